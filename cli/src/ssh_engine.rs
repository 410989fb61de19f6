//! A host reached by SSH that has no agent but has the docker CLI: its
//! engine through `ssh HOST docker system dial-stdio` (what
//! `DOCKER_HOST=ssh://` does), served by an agent in this process as
//! `local` is.
//!
//! Every engine connection is its own `ssh` session, as docker's are, but
//! not its own SSH connection: one master connection (`ssh -M -N`, this
//! process's child, ended with it) carries them all, so a call pays
//! SSH's handshake once per run, not once per engine request. Without a
//! master (ssh could not make one) each session connects on its own.

use std::path::PathBuf;
use std::time::Duration;

use dockyard_agent::engine::{EngineDialer, EngineIo};
use dockyard_client::ssh::SshTarget;
use tokio::sync::OnceCell;

pub struct SshEngine {
    target: SshTarget,
    /// The `ssh` program (None: `DOCKYARD_SSH`, else `ssh`).
    program: Option<PathBuf>,
    master: std::sync::Arc<OnceCell<Option<Master>>>,
}

/// The master connection: its control socket, in a directory only this
/// user can enter, and the `ssh` keeping it (spawned `kill_on_drop`: it
/// ends with this value).
struct Master {
    dir: PathBuf,
    socket: PathBuf,
    ssh: tokio::process::Child,
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SshEngine {
    pub fn new(target: SshTarget, program: Option<PathBuf>) -> Self {
        SshEngine {
            target,
            program,
            master: Default::default(),
        }
    }
}

/// Starts the master connection; None (each session then connects on its
/// own) when ssh cannot make one.
async fn start_master(target: &SshTarget, program: Option<&std::path::Path>) -> Option<Master> {
    use std::os::unix::fs::DirBuilderExt;
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("dockyard-ssh-{}-{n}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir).ok()?;
    let socket = dir.join("master");
    let mut cmd = target.command_with(
        program,
        &[
            "-M".as_ref(),
            "-N".as_ref(),
            "-S".as_ref(),
            socket.as_os_str(),
            "-o".as_ref(),
            "ControlPersist=no".as_ref(),
        ],
        &[],
    );
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let ssh = match cmd.spawn() {
        Ok(ssh) => ssh,
        Err(_) => {
            let _ = std::fs::remove_dir_all(&dir);
            return None;
        }
    };
    let mut master = Master { dir, socket, ssh };
    // Ready when its socket is there; gone if ssh ended first (dropping
    // the master then removes its directory).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !master.socket.exists() {
        if tokio::time::Instant::now() >= deadline || !matches!(master.ssh.try_wait(), Ok(None)) {
            tracing::info!("{target}: no SSH master connection; each engine connection connects");
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Some(master)
}

impl EngineDialer for SshEngine {
    fn dial(&self) -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn EngineIo>>> {
        let (target, program, master) = (
            self.target.clone(),
            self.program.clone(),
            self.master.clone(),
        );
        Box::pin(async move {
            let master = master
                .get_or_init(|| start_master(&target, program.as_deref()))
                .await;
            let control = master.as_ref().map(|m| m.socket.as_path());
            let pipe = target.dial_engine(program.as_deref(), control)?;
            Ok(Box::new(pipe) as Box<dyn EngineIo>)
        })
    }

    fn describe(&self) -> String {
        format!("{} (docker system dial-stdio)", self.target)
    }
}
