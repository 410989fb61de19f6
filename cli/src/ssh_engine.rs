//! A host reached by SSH that has no agent but has the docker CLI: its
//! engine through `ssh HOST docker system dial-stdio` (what
//! `DOCKER_HOST=ssh://` does), served by an agent in this process as
//! `local` is.
//!
//! Every engine connection is its own `ssh` session, as docker's are, but
//! not its own SSH connection: they are sessions of the host's one
//! [`SshLink`], the master connection that found there was no agent, so a
//! run pays SSH's handshake once. What a session still costs is the remote
//! side starting a shell and `docker` (a fifth of a second on a host whose
//! `.bashrc` does work), so one is kept opened ahead: an exec's stream,
//! which needs a connection of its own, finds it ready.

use std::sync::{Arc, Mutex};

use dockyard_agent::engine::{EngineDialer, EngineIo};
use dockyard_client::ssh::{ChildPipe, SshLink};
use tokio::task::JoinHandle;

pub struct SshEngine {
    link: Arc<SshLink>,
    spare: Arc<Mutex<Option<JoinHandle<std::io::Result<ChildPipe>>>>>,
}

impl SshEngine {
    pub fn new(link: Arc<SshLink>) -> Self {
        SshEngine {
            link,
            spare: Default::default(),
        }
    }
}

impl Drop for SshEngine {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.lock().ok().and_then(|mut s| s.take()) {
            spare.abort();
        }
    }
}

impl EngineDialer for SshEngine {
    fn dial(&self) -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn EngineIo>>> {
        let (link, spare) = (self.link.clone(), self.spare.clone());
        Box::pin(async move {
            let ready = spare.lock().ok().and_then(|mut s| s.take());
            // The next one opens while this one is used.
            let next = link.clone();
            let next = tokio::spawn(async move { next.dial_engine().await });
            if let Ok(mut s) = spare.lock()
                && let Some(old) = s.replace(next)
            {
                old.abort();
            }
            // One whose ssh ended (its master died) is not used.
            if let Some(ready) = ready
                && let Ok(Ok(mut pipe)) = ready.await
                && matches!(pipe.child.try_wait(), Ok(None))
            {
                return Ok(Box::new(pipe) as Box<dyn EngineIo>);
            }
            let pipe = link.dial_engine().await?;
            Ok(Box::new(pipe) as Box<dyn EngineIo>)
        })
    }

    fn describe(&self) -> String {
        format!("{} (docker system dial-stdio)", self.link.target())
    }
}
