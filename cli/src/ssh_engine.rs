//! A host reached by SSH that has no agent but has the docker CLI: its
//! engine through `ssh HOST docker system dial-stdio` (what
//! `DOCKER_HOST=ssh://` does), served by an agent in this process as
//! `local` is.
//!
//! Every engine connection is its own `ssh` session, as docker's are, but
//! not its own SSH connection: they are sessions of the host's one
//! [`SshLink`], the master connection that found there was no agent, so a
//! run pays SSH's handshake once.

use std::sync::Arc;

use dockyard_agent::engine::{EngineDialer, EngineIo};
use dockyard_client::ssh::SshLink;

pub struct SshEngine(pub Arc<SshLink>);

impl EngineDialer for SshEngine {
    fn dial(&self) -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn EngineIo>>> {
        let link = self.0.clone();
        Box::pin(async move {
            let pipe = link.dial_engine().await?;
            Ok(Box::new(pipe) as Box<dyn EngineIo>)
        })
    }

    fn describe(&self) -> String {
        format!("{} (docker system dial-stdio)", self.0.target())
    }
}
