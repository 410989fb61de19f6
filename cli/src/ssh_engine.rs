//! A host reached by SSH that has no agent but has the docker CLI: its
//! engine through `ssh HOST docker system dial-stdio` (what
//! `DOCKER_HOST=ssh://` does), served by an agent in this process as
//! `local` is. Each engine connection is its own `ssh`, as docker's are.

use std::path::PathBuf;

use dockyard_agent::engine::{EngineDialer, EngineIo};
use dockyard_client::ssh::SshTarget;

pub struct SshEngine {
    pub target: SshTarget,
    /// The `ssh` program (None: `DOCKYARD_SSH`, else `ssh`).
    pub program: Option<PathBuf>,
}

impl EngineDialer for SshEngine {
    fn dial(&self) -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn EngineIo>>> {
        let pipe = self.target.dial_engine(self.program.as_deref());
        Box::pin(async move { Ok(Box::new(pipe?) as Box<dyn EngineIo>) })
    }

    fn describe(&self) -> String {
        format!("{} (docker system dial-stdio)", self.target)
    }
}
