//! The agent's one error type, mapped once to `tonic::Status` at the edge.

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("Container '{0}' not found")]
    ContainerNotFound(String),
    #[error("Container '{name}' is not running (status: {status})")]
    ContainerNotRunning { name: String, status: String },
    #[error("image '{0}' not found")]
    ImageNotFound(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    Conflict(String),
    /// `at` is the engine's address, filled in by
    /// [`Engine::explain`](crate::engine::Engine::explain) where the error
    /// leaves the agent.
    #[error("Docker engine unavailable{}: {cause}", at_suffix(.at))]
    EngineUnavailable { at: String, cause: String },
    #[error("{0}")]
    Engine(String),
}

impl AgentError {
    /// Classifies a bollard error. `what` names the object a 404 is about.
    pub fn from_docker(e: bollard::errors::Error, not_found: impl FnOnce() -> AgentError) -> Self {
        use bollard::errors::Error as E;
        match e {
            E::DockerResponseServerError {
                status_code: 404, ..
            } => not_found(),
            E::DockerResponseServerError {
                status_code: 409,
                message,
            } => AgentError::Conflict(message),
            E::DockerResponseServerError {
                status_code: 400,
                message,
            } => AgentError::InvalidArgument(message),
            E::DockerResponseServerError { message, .. } => AgentError::Engine(message),
            E::IOError { err } => AgentError::unavailable(err.to_string()),
            E::HyperResponseError { err } => AgentError::unavailable(err.to_string()),
            E::HyperLegacyError { err } => AgentError::unavailable(innermost(&err)),
            E::RequestTimeoutError => AgentError::unavailable("request timed out"),
            other => AgentError::Engine(other.to_string()),
        }
    }

    /// The engine cannot be reached; its address is added on the way out.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        AgentError::EngineUnavailable {
            at: String::new(),
            cause: cause.into(),
        }
    }

    pub fn engine(e: bollard::errors::Error) -> Self {
        Self::from_docker(e, || AgentError::Engine("not found".into()))
    }
}

impl AgentError {
    /// The gRPC status for a client. Deliberately not a `From`: a `?` in
    /// the service would skip `Engine::explain`; errors leave through
    /// `service::fail`.
    pub(crate) fn into_status(self) -> tonic::Status {
        let msg = self.to_string();
        match self {
            AgentError::ContainerNotFound(_) | AgentError::ImageNotFound(_) => {
                tonic::Status::not_found(msg)
            }
            AgentError::ContainerNotRunning { .. } | AgentError::Conflict(_) => {
                tonic::Status::failed_precondition(msg)
            }
            AgentError::InvalidArgument(_) => tonic::Status::invalid_argument(msg),
            AgentError::EngineUnavailable { .. } => tonic::Status::unavailable(msg),
            AgentError::Engine(_) => tonic::Status::internal(msg),
        }
    }
}

fn at_suffix(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!(" at {at}")
    }
}

/// The innermost cause ("Connection refused") says more than the wrappers.
pub(crate) use dockyard_proto::dial::error_chain as innermost;
