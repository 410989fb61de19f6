//! A real `sshd` for the tests, on a loopback port of its own: host and
//! client keys, a `known_hosts` and an ssh config with an alias, all made
//! here in a private directory; `ssh` given that config through a wrapper
//! first on `PATH` (ssh reads `~/.ssh` from the passwd entry, not
//! `$HOME`). The remote `PATH` starts with the directory of the built
//! `dockyard-agent`, as an installed one would be on it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The alias the config gives the server.
pub const ALIAS: &str = "dockyard-test-ssh";

/// A second login for identity tests, made when missing.
pub const OTHER_USER: &str = "dockyard-ssh";

pub struct Sshd {
    pub dir: PathBuf,
    pub port: u16,
    child: Child,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a setup command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Makes [`OTHER_USER`] when it is not there (a login with a shell, no
/// password: only the tests' key lets it in).
pub fn ensure_other_user() {
    let known = Command::new("id")
        .arg(OTHER_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !known {
        // Two tests at once: the second one's useradd fails, and the user
        // is there all the same.
        let _ = Command::new("useradd")
            .args(["--create-home", "--shell", "/bin/sh", OTHER_USER])
            .status();
        let made = Command::new("id").arg(OTHER_USER).output();
        assert!(
            made.is_ok_and(|o| o.status.success()),
            "cannot make the user {OTHER_USER}"
        );
    }
    // No password, but not locked: sshd without PAM turns a locked
    // account away even with a good key.
    run(Command::new("usermod").args(["-p", "*", OTHER_USER]));
}

/// What the server's PATH offers a login.
enum Remote {
    Agent,
    DockerOnly,
    Nothing,
}

impl Sshd {
    /// With the built `dockyard-agent` on the remote PATH.
    pub fn start() -> Self {
        Self::start_with(Remote::Agent)
    }

    /// A host with the docker CLI and no `dockyard-agent`.
    pub fn start_without_agent() -> Self {
        Self::start_with(Remote::DockerOnly)
    }

    /// A host with neither on its PATH.
    pub fn start_bare() -> Self {
        Self::start_with(Remote::Nothing)
    }

    fn start_with(remote: Remote) -> Self {
        let dir = std::env::temp_dir().join(crate::unique_name("sshd"));
        std::fs::create_dir_all(dir.join("bin")).expect("sshd dir");
        // Entered by the other login too (its socket, the agent), whatever
        // the umask.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
                .expect("chmod sshd dir");
        }
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        for key in ["host_key", "id"] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", ""])
                .arg("-f")
                .arg(dir.join(key)));
        }
        std::fs::copy(dir.join("id.pub"), dir.join("authorized_keys")).expect("authorized_keys");
        let port = free_port();
        // The agent where every login can run it (the build's directory may
        // be under a home only its owner enters): linked, else copied.
        let agent_dir = dir.join("remote-bin");
        std::fs::create_dir_all(&agent_dir).expect("remote-bin");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&agent_dir, std::fs::Permissions::from_mode(0o755))
                .expect("chmod remote-bin");
        }
        let agent = agent_dir.join("dockyard-agent");
        if std::fs::hard_link(crate::agent_bin(), &agent).is_err() {
            std::fs::copy(crate::agent_bin(), &agent).expect("copy the agent");
        }
        let remote_path = match remote {
            Remote::Agent => format!("{}:/usr/local/bin:/usr/bin:/bin", agent_dir.display()),
            Remote::DockerOnly => "/usr/local/bin:/usr/bin:/bin".to_string(),
            // A directory with nothing in it.
            Remote::Nothing => dir.join("bin-none").display().to_string(),
        };
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\n\
             AuthorizedKeysFile {ak}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
             SetEnv PATH={remote_path}\nLogLevel ERROR\n",
            hk = dir.join("host_key").display(),
            pid = dir.join("sshd.pid").display(),
            ak = dir.join("authorized_keys").display(),
        );
        std::fs::write(dir.join("sshd_config"), config).expect("sshd_config");
        let host_pub = std::fs::read_to_string(dir.join("host_key.pub")).expect("host key");
        std::fs::write(
            dir.join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_pub}"),
        )
        .expect("known_hosts");
        let client = format!(
            "Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n\
             Host *\n  IdentityFile {id}\n  IdentitiesOnly yes\n  UserKnownHostsFile {kh}\n\
             StrictHostKeyChecking yes\n  LogLevel ERROR\n",
            id = dir.join("id").display(),
            kh = dir.join("known_hosts").display(),
        );
        std::fs::write(dir.join("ssh_config"), client).expect("ssh_config");
        let wrapper = format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n",
            dir.join("ssh_config").display()
        );
        let ssh = dir.join("bin").join("ssh");
        std::fs::write(&ssh, wrapper).expect("ssh wrapper");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd");
        let sshd = Sshd { dir, port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd never listened on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    /// `PATH` with the ssh wrapper first.
    pub fn path(&self) -> String {
        format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// `dockyard` whose `ssh` is this server's client.
    pub fn dockyard(&self, host: &str, args: &[&str]) -> Command {
        let mut c = crate::dockyard_command();
        c.env("PATH", self.path()).args(["--host", host]).args(args);
        c
    }

    /// A path for a socket in this server's directory.
    pub fn socket(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Breaks the server's host key as a client knows it: the next
    /// connection meets a key it does not expect.
    pub fn forget_host_key(&self) {
        let path = self.dir.join("known_hosts");
        let other = self.dir.join("other");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(&other));
        let key = std::fs::read_to_string(other.with_extension("pub")).expect("key");
        std::fs::write(path, format!("[127.0.0.1]:{} {key}", self.port)).expect("known_hosts");
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
