//! The agent's one error type, mapped once to `tonic::Status` at the edge
//! and to a refused `ExecStatus` in band, with its [`Cause`] in both.

use dockyard_proto::Cause;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("Container '{0}' not found")]
    ContainerNotFound(String),
    /// Removed while a stream (logs, stats) was following it.
    #[error("Container '{0}' was removed")]
    ContainerRemoved(String),
    #[error("Container '{name}' is not running (status: {status})")]
    ContainerNotRunning { name: String, status: String },
    #[error("image '{0}' not found")]
    ImageNotFound(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    Conflict(String),
    /// `at` is the engine's address, given where the error is made (see
    /// [`Engine::unavailable`](crate::engine::Engine::unavailable)), so the
    /// person reading it knows which socket to look at.
    #[error("Docker engine unavailable at {at}: {cause}")]
    EngineUnavailable { at: String, cause: String },
    #[error("{0}")]
    Engine(String),
    /// No such path in a container: the engine's words, which name it.
    #[error("{0}")]
    PathNotFound(String),
    #[error("No such session: {0}")]
    SessionNotFound(String),
    /// Attached to a session in the moment it ended.
    #[error("the session {0} has ended")]
    SessionEnded(String),
}

impl AgentError {
    /// Classifies a bollard error from the engine at `at` (its address).
    /// `not_found` names the object a 404 is about. Usually reached through
    /// [`Engine::error`](crate::engine::Engine::error) and
    /// [`Engine::error_about`](crate::engine::Engine::error_about).
    pub fn from_docker(
        e: bollard::errors::Error,
        at: &str,
        not_found: impl FnOnce() -> AgentError,
    ) -> Self {
        use bollard::errors::Error as E;
        match e {
            E::DockerResponseServerError {
                status_code,
                message,
            } => AgentError::from_status(status_code, message, not_found),
            E::IOError { err } => AgentError::unavailable(at, err.to_string()),
            E::HyperResponseError { err } => AgentError::unavailable(at, err.to_string()),
            E::HyperLegacyError { err } => AgentError::unavailable(at, innermost(&err)),
            E::RequestTimeoutError => AgentError::unavailable(at, "request timed out"),
            other => AgentError::Engine(other.to_string()),
        }
    }

    /// The engine's answer `status` with its `message`, for a call about
    /// what `not_found` names: the one mapping of engine statuses to
    /// errors, for bollard's calls and the agent's own requests alike.
    pub fn from_status(
        status: u16,
        message: String,
        not_found: impl FnOnce() -> AgentError,
    ) -> Self {
        match status {
            404 => not_found(),
            409 => AgentError::Conflict(message),
            400 => AgentError::InvalidArgument(message),
            _ => AgentError::Engine(message),
        }
    }

    /// The engine at `at` (its address) cannot be reached.
    pub fn unavailable(at: &str, cause: impl Into<String>) -> Self {
        AgentError::EngineUnavailable {
            at: at.to_string(),
            cause: cause.into(),
        }
    }
}

impl AgentError {
    /// Why, as the wire says it: in a refused `ExecStatus` and in the
    /// `dockyard-cause` metadata of a gRPC error.
    pub fn cause(&self) -> Cause {
        match self {
            AgentError::ContainerNotFound(_) => Cause::ContainerNotFound,
            AgentError::ContainerRemoved(_) => Cause::ContainerRemoved,
            AgentError::ContainerNotRunning { .. } => Cause::ContainerNotRunning,
            AgentError::ImageNotFound(_) => Cause::ImageNotFound,
            AgentError::InvalidArgument(_) => Cause::BadRequest,
            AgentError::Conflict(_) => Cause::Conflict,
            AgentError::EngineUnavailable { .. } => Cause::EngineUnavailable,
            AgentError::Engine(_) => Cause::EngineError,
            AgentError::PathNotFound(_) => Cause::PathNotFound,
            AgentError::SessionNotFound(_) | AgentError::SessionEnded(_) => Cause::SessionNotFound,
        }
    }

    /// The gRPC status for a client, its cause in the metadata.
    /// Deliberately not a `From`: a `?` in the service would skip the log
    /// engine trouble gets; errors leave through `service::fail`.
    pub(crate) fn into_status(self) -> tonic::Status {
        let status = self.cause().status(self.to_string());
        match &self {
            AgentError::ContainerNotFound(name)
            | AgentError::ContainerRemoved(name)
            | AgentError::ContainerNotRunning { name, .. } => {
                dockyard_proto::cause::with_subject(status, name)
            }
            _ => status,
        }
    }
}

/// The innermost cause ("Connection refused") says more than the wrappers.
/// Local because the agent depends on the wire crate only, not the client's.
pub(crate) fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_names_the_engine() {
        let e = AgentError::unavailable(
            "unix:///tmp/x.sock",
            "No such file or directory (os error 2)",
        );
        assert_eq!(
            e.to_string(),
            "Docker engine unavailable at unix:///tmp/x.sock: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn innermost_is_the_last_source() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        assert_eq!(innermost(&Outer(io)), "Connection refused");
        assert_eq!(innermost(&std::io::Error::other("alone")), "alone");
    }
}
