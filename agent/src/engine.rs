//! The connection to the Docker engine: a bollard client for the REST calls,
//! plus the engine's address for the one call we make by hand (exec attach,
//! see `attach.rs`).
//!
//! The API version is negotiated on first use rather than at start-up, so an
//! agent started before the engine (or across an engine restart) recovers by
//! itself instead of needing a restart.

use std::path::PathBuf;

use bollard::Docker;
use tokio::sync::OnceCell;

use crate::error::AgentError;

/// Where the engine listens, as DOCKER_HOST says (or the default socket).
#[derive(Debug, Clone)]
pub enum EngineAddr {
    Unix(PathBuf),
    /// host:port, plain HTTP.
    Tcp(String),
}

impl EngineAddr {
    pub fn from_env() -> Result<Self, AgentError> {
        let host = std::env::var("DOCKER_HOST").unwrap_or_default();
        Self::parse(&host)
    }

    pub fn parse(host: &str) -> Result<Self, AgentError> {
        if host.is_empty() {
            return Ok(EngineAddr::Unix("/var/run/docker.sock".into()));
        }
        if let Some(path) = host.strip_prefix("unix://") {
            return Ok(EngineAddr::Unix(path.into()));
        }
        if let Some(rest) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            return Ok(EngineAddr::Tcp(rest.trim_end_matches('/').to_string()));
        }
        Err(AgentError::InvalidArgument(format!(
            "DOCKER_HOST '{host}' is not supported: use unix:///path or tcp://host:port"
        )))
    }

    fn uri(&self) -> String {
        match self {
            EngineAddr::Unix(p) => format!("unix://{}", p.display()),
            EngineAddr::Tcp(a) => format!("tcp://{a}"),
        }
    }
}

#[derive(Debug)]
pub struct Engine {
    addr: EngineAddr,
    docker: OnceCell<Docker>,
}

impl Engine {
    /// Makes no connection yet: the engine may come up after the agent.
    pub fn new(addr: EngineAddr) -> Self {
        Engine {
            addr,
            docker: OnceCell::new(),
        }
    }

    pub fn from_env() -> Result<Self, AgentError> {
        Ok(Self::new(EngineAddr::from_env()?))
    }

    pub fn addr(&self) -> &EngineAddr {
        &self.addr
    }

    /// The client, its API version agreed with the engine. Engines older than
    /// bollard's default (this machine's 20.10 speaks 1.41) refuse requests
    /// made with a newer version, so every call goes through here. Until the
    /// engine answers once, each call tries again.
    pub async fn docker(&self) -> Result<&Docker, AgentError> {
        self.docker
            .get_or_try_init(|| async {
                let uri = self.addr.uri();
                let docker = match &self.addr {
                    EngineAddr::Unix(path) => {
                        if !path.exists() {
                            return Err(AgentError::EngineUnavailable(format!(
                                "no socket at {}",
                                path.display()
                            )));
                        }
                        Docker::connect_with_unix(&uri, 120, bollard::API_DEFAULT_VERSION)
                    }
                    EngineAddr::Tcp(_) => {
                        Docker::connect_with_http(&uri, 120, bollard::API_DEFAULT_VERSION)
                    }
                }
                .map_err(AgentError::engine)?;
                docker.negotiate_version().await.map_err(AgentError::engine)
            })
            .await
    }

    /// "1.41": the version path segment for hand-made requests.
    pub async fn api_version(&self) -> Result<String, AgentError> {
        let v = self.docker().await?.client_version();
        Ok(format!("{}.{}", v.major_version, v.minor_version))
    }
}
