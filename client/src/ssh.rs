//! `ssh://[USER@]HOST[:PORT][/PATH]`: an agent reached through the
//! system's `ssh` client, so `~/.ssh/config` aliases, keys, the SSH agent,
//! `ProxyJump` and `known_hosts` apply as they do for `ssh` itself. The
//! remote side runs `dockyard-agent dial-stdio [PATH]`, which joins the
//! pipe to the agent's Unix socket; gRPC runs over the pipe, so one SSH
//! connection carries every stream of the host, and a pipe that breaks is
//! dialled again like a TCP connection.
//!
//! `ssh` runs with `BatchMode` (never a password prompt: a TUI cannot
//! answer one) and a connect timeout; what it says on failing is the
//! error, in its own words.
//!
//! A host's sessions all go through one SSH connection, an [`SshLink`]:
//! a master (`ssh -M -N`, a child of this process that dies with it)
//! that each session's `ssh` joins through its control socket. A run pays
//! SSH's handshake once, whether the remote turns out to have an agent or
//! only the docker CLI (then every engine connection is a session of the
//! same master).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{ChildStdout, Command};

use dockyard_proto::DIAL_HELLO;
pub use dockyard_proto::pipe::ChildPipe;

/// How long an SSH connection may take to reach the agent (the TCP
/// connect has `ConnectTimeout` of its own).
pub const DIAL_LIMIT: Duration = Duration::from_secs(15);

/// Seconds `ssh` waits for the TCP connection.
const CONNECT_TIMEOUT: u32 = 5;

/// A host reached through SSH, as written after `ssh://`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The agent's socket on that host (default: dial-stdio's own).
    pub socket: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid host '{0}': expected ssh://[USER@]HOST[:PORT][/PATH]")]
pub struct BadTarget(pub String);

impl FromStr for SshTarget {
    type Err = BadTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadTarget(s.to_string());
        let rest = s.strip_prefix("ssh://").ok_or_else(bad)?;
        let (authority, socket) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(rest[i..].to_string())),
            None => (rest, None),
        };
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
            Some(_) => return Err(bad()),
            None => (None, authority),
        };
        // [v6]:port, [v6], host:port, host
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (h.to_string(), None),
                p => (h.to_string(), Some(p.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        let port = match port {
            None => None,
            Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?),
        };
        let ok_word = |w: &str| {
            !w.is_empty()
                && !w.starts_with('-')
                && !w.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        if !ok_word(&host) || user.as_deref().is_some_and(|u| !ok_word(u)) {
            return Err(bad());
        }
        // The remote shell reads it: nothing it would expand or split.
        let plain_path = |p: &str| {
            p.len() >= 2
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-+@%=,:".contains(&b))
        };
        if socket.as_deref().is_some_and(|p| !plain_path(p)) {
            return Err(bad());
        }
        Ok(SshTarget {
            user,
            host,
            port,
            socket,
        })
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(s) = &self.socket {
            f.write_str(s)?;
        }
        Ok(())
    }
}

impl SshTarget {
    /// `ssh` running `remote` on this host, its stdio piped; it dies with
    /// the value (nothing is left running when a connection is dropped).
    /// `program` is the `ssh` to run (None: `DOCKYARD_SSH`, else `ssh`
    /// on the PATH).
    pub fn command(&self, program: Option<&std::path::Path>, remote: &[&str]) -> Command {
        self.command_with(program, &[], remote)
    }

    /// [`command`](Self::command) with more of ssh's options (`-S PATH`).
    pub fn command_with(
        &self,
        program: Option<&std::path::Path>,
        options: &[&std::ffi::OsStr],
        remote: &[&str],
    ) -> Command {
        let ssh = program
            .map(|p| p.as_os_str().to_owned())
            .or_else(|| std::env::var_os("DOCKYARD_SSH"))
            .unwrap_or_else(|| "ssh".into());
        let mut c = Command::new(ssh);
        c.args(["-T", "-o", "BatchMode=yes"])
            .arg("-o")
            .arg(format!("ConnectTimeout={CONNECT_TIMEOUT}"));
        if let Some(u) = &self.user {
            c.args(["-l", u]);
        }
        if let Some(p) = self.port {
            c.args(["-p", &p.to_string()]);
        }
        c.args(options);
        c.arg("--").arg(&self.host).args(remote);
        die_with_this_process(&mut c);
        c
    }

    /// `ssh` running `remote` as a session of the master connection whose
    /// control socket is `control`.
    fn session(&self, program: Option<&Path>, control: &Path, remote: &[&str]) -> Command {
        self.command_with(
            program,
            &[
                "-S".as_ref(),
                control.as_os_str(),
                "-o".as_ref(),
                "ControlMaster=no".as_ref(),
            ],
            remote,
        )
    }

    /// A pipe to the agent on this host, once `dial-stdio` has said it
    /// reached the agent's socket; over the master connection at
    /// `control` (see [`SshLink`]).
    async fn dial(&self, program: Option<&Path>, control: &Path) -> std::io::Result<ChildPipe> {
        let mut remote = vec!["dockyard-agent", "dial-stdio"];
        if let Some(s) = &self.socket {
            remote.push(s);
        }
        let fail = |why: String| std::io::Error::other(format!("{self}: {why}"));
        let mut pipe = ChildPipe::spawn(self.session(program, control, &remote))
            .map_err(|e| fail(format!("cannot run ssh: {e}")))?;
        match tokio::time::timeout(DIAL_LIMIT, hello(&mut pipe.stdout)).await {
            Ok(Ok(())) => Ok(pipe),
            Ok(Err(_)) => {
                // ssh (or dial-stdio) ended: its own words say why.
                let (code, words) = pipe.last_words().await;
                if code == Some(127) {
                    // The shell found no such program: told apart (a
                    // NotFound error) so the client can do without.
                    let words = if words.is_empty() {
                        "command not found".to_string()
                    } else {
                        words
                    };
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{self}: no dockyard-agent on the remote PATH ({words})"),
                    ));
                }
                Err(fail(if words.is_empty() {
                    "ssh ended without a word".into()
                } else {
                    words
                }))
            }
            Err(_) => Err(fail(format!(
                "no answer in {} s (ssh: {})",
                DIAL_LIMIT.as_secs(),
                pipe.said.last_line()
            ))),
        }
    }

    /// A pipe to the engine on this host through `docker system
    /// dial-stdio` (a host with the docker CLI and no agent), over the
    /// master connection at `control`.
    fn dial_engine(&self, program: Option<&Path>, control: &Path) -> std::io::Result<ChildPipe> {
        ChildPipe::spawn(self.session(program, control, &["docker", "system", "dial-stdio"]))
    }
}

/// `ssh` is ended when this process ends, however it ends: a master
/// connection (`-N`) would otherwise outlive a client killed with
/// SIGKILL, or one that leaves through `process::exit`, for good.
/// (The signal comes when the spawning thread ends: connections are
/// spawned from the runtime's workers or the main thread, which live as
/// long as the process.) The crate's one `unsafe`: `pre_exec`.
#[allow(unsafe_code)]
fn die_with_this_process(c: &mut Command) {
    // SAFETY: between fork and exec only async-signal-safe calls: prctl
    // and getppid.
    let parent = nix::unistd::getpid();
    unsafe {
        c.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)?;
            // The parent may have died before the line above.
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::other("the client has ended"));
            }
            Ok(())
        });
    }
}

/// One SSH connection to a host, shared by every session to it: a master
/// (`ssh -M -N`) that is started on first use and again after it died
/// (the network dropped, or it was killed), its control socket in a
/// directory only this user can enter.
pub struct SshLink {
    target: SshTarget,
    program: Option<PathBuf>,
    master: tokio::sync::Mutex<Option<Master>>,
}

struct Master {
    dir: PathBuf,
    socket: PathBuf,
    /// Killed when dropped; its stderr kept for its last words.
    ssh: ChildPipe,
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SshLink {
    /// `program` is the `ssh` to run (None: `DOCKYARD_SSH`, else `ssh`).
    pub fn new(target: SshTarget, program: Option<PathBuf>) -> Arc<SshLink> {
        Arc::new(SshLink {
            target,
            program,
            master: Default::default(),
        })
    }

    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    /// A pipe to the agent on the host (see [`SshTarget::dial`]).
    pub async fn dial_agent(&self) -> std::io::Result<ChildPipe> {
        let control = self.control().await?;
        self.target.dial(self.program.as_deref(), &control).await
    }

    /// A pipe to the host's engine (see [`SshTarget::dial_engine`]).
    pub async fn dial_engine(&self) -> std::io::Result<ChildPipe> {
        let control = self.control().await?;
        self.target.dial_engine(self.program.as_deref(), &control)
    }

    /// The control socket of a live master, started when there is none;
    /// ssh's own words when it cannot be.
    async fn control(&self) -> std::io::Result<PathBuf> {
        let mut master = self.master.lock().await;
        if let Some(m) = master.as_mut()
            && matches!(m.ssh.child.try_wait(), Ok(None))
        {
            return Ok(m.socket.clone());
        }
        *master = None;
        let m = self.start().await?;
        let socket = m.socket.clone();
        *master = Some(m);
        Ok(socket)
    }

    async fn start(&self) -> std::io::Result<Master> {
        use std::os::unix::fs::DirBuilderExt;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let fail = |why: String| std::io::Error::other(format!("{}: {why}", self.target));
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The clock's nanoseconds too: a directory left by a killed client
        // whose pid comes round again is not in the way.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("dockyard-ssh-{}-{n}-{nanos:x}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| fail(format!("cannot make {}: {e}", dir.display())))?;
        let socket = dir.join("master");
        let cmd = self.target.command_with(
            self.program.as_deref(),
            &[
                "-M".as_ref(),
                "-N".as_ref(),
                "-S".as_ref(),
                socket.as_os_str(),
                "-o".as_ref(),
                "ControlPersist=no".as_ref(),
                // A connection the network dropped under it ends it within
                // 30 s, so the next dial opens a new one.
                "-o".as_ref(),
                "ServerAliveInterval=10".as_ref(),
                "-o".as_ref(),
                "ServerAliveCountMax=3".as_ref(),
            ],
            &[],
        );
        let ssh = match ChildPipe::spawn(cmd) {
            Ok(ssh) => ssh,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(fail(format!("cannot run ssh: {e}")));
            }
        };
        // Dropped on failure: ssh killed, the directory removed.
        let mut master = Master { dir, socket, ssh };
        // Ready when its socket is there; failed if ssh ended first.
        let deadline = tokio::time::Instant::now() + DIAL_LIMIT;
        while !master.socket.exists() {
            if !matches!(master.ssh.child.try_wait(), Ok(None)) {
                let (_, words) = master.ssh.last_words().await;
                return Err(fail(if words.is_empty() {
                    "ssh ended without a word".into()
                } else {
                    words
                }));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(fail(format!(
                    "no answer in {} s (ssh: {})",
                    DIAL_LIMIT.as_secs(),
                    master.ssh.said.last_line()
                )));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(master)
    }
}

/// Reads up to and including [`DIAL_HELLO`]'s line; what a login script
/// printed before it is skipped (up to 64 KiB).
async fn hello(stdout: &mut BufReader<ChildStdout>) -> std::io::Result<()> {
    let mut skipped = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut *stdout)
            .take(64 * 1024)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.strip_suffix(b"\n") == Some(DIAL_HELLO.as_bytes()) {
            return Ok(());
        }
        skipped += n;
        if skipped > 64 * 1024 {
            return Err(std::io::Error::other(
                "the remote side printed 64 KiB without answering as dockyard-agent dial-stdio",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t: SshTarget = "ssh://alice@box.example:2222/run/a.sock"
            .parse()
            .expect("ok");
        assert_eq!(
            t,
            SshTarget {
                user: Some("alice".into()),
                host: "box.example".into(),
                port: Some(2222),
                socket: Some("/run/a.sock".into()),
            }
        );
        assert_eq!(t.to_string(), "ssh://alice@box.example:2222/run/a.sock");
        let t: SshTarget = "ssh://myalias".parse().expect("ok");
        assert_eq!((t.user, t.port, t.socket), (None, None, None));
        let t: SshTarget = "ssh://[::1]:22".parse().expect("ok");
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(22)));
        assert_eq!(t.to_string(), "ssh://[::1]:22");
        for bad in [
            "ssh://",
            "ssh://@host",
            "ssh://host:0",
            "ssh://host:x",
            "ssh://-oProxyCommand=x",
            "ssh://a b",
            "ssh://host/",
            "ssh://host/x;touch${IFS}y",
            "ssh://host/$HOME/a.sock",
            "host",
        ] {
            assert!(bad.parse::<SshTarget>().is_err(), "{bad}");
        }
    }
}
