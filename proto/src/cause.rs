//! Why a request was refused, as a type both ends agree on. The agent
//! puts a [`Cause`] in a refused `ExecStatus` and, for a gRPC error, in the
//! `dockyard-cause` metadata ([`with_cause`]); clients read it back with
//! [`Cause::of`] and decide by it, never by a message's words (which are
//! for people, and may be translated, reworded or escaped).

use crate::pb::Cause;

/// Status metadata naming the [`Cause`] of a gRPC error.
pub const CAUSE_KEY: &str = "dockyard-cause";

/// Status metadata naming what the error is about, as the request named
/// it (the container that was not found, of several asked for).
pub const SUBJECT_KEY: &str = "dockyard-subject";

/// What `status` is about ([`SUBJECT_KEY`]), when the agent said.
pub fn subject(status: &tonic::Status) -> Option<&str> {
    status.metadata().get(SUBJECT_KEY)?.to_str().ok()
}

/// `status` about `subject` (left out when it cannot be a header value).
pub fn with_subject(mut status: tonic::Status, subject: &str) -> tonic::Status {
    if let Ok(v) = subject.parse() {
        status.metadata_mut().insert(SUBJECT_KEY, v);
    }
    status
}

impl Cause {
    /// The cause's name in `dockyard-cause` metadata (lower case, dashes).
    /// `engine-unavailable` is the name agents before the enum used.
    pub fn metadata_name(self) -> &'static str {
        match self {
            Cause::Unspecified => "unspecified",
            Cause::ContainerNotFound => "container-not-found",
            Cause::ContainerNotRunning => "container-not-running",
            Cause::ContainerRemoved => "container-removed",
            Cause::EngineUnavailable => "engine-unavailable",
            Cause::PermissionDenied => "permission-denied",
            Cause::NodeDown => "node-down",
            Cause::BadRequest => "bad-request",
            Cause::ImageNotFound => "image-not-found",
            Cause::SessionNotFound => "session-not-found",
            Cause::Conflict => "conflict",
            Cause::NodeNotFound => "node-not-found",
            Cause::Limit => "limit",
            Cause::EngineError => "engine-error",
            Cause::Unauthenticated => "unauthenticated",
            Cause::CommandNotFound => "command-not-found",
            Cause::PathNotFound => "path-not-found",
        }
    }

    const ALL: [Cause; 17] = [
        Cause::Unspecified,
        Cause::ContainerNotFound,
        Cause::ContainerNotRunning,
        Cause::ContainerRemoved,
        Cause::EngineUnavailable,
        Cause::PermissionDenied,
        Cause::NodeDown,
        Cause::BadRequest,
        Cause::ImageNotFound,
        Cause::SessionNotFound,
        Cause::Conflict,
        Cause::NodeNotFound,
        Cause::Limit,
        Cause::EngineError,
        Cause::Unauthenticated,
        Cause::CommandNotFound,
        Cause::PathNotFound,
    ];

    /// The cause a metadata name stands for; a name this build does not
    /// know (a newer agent's) is Unspecified.
    pub fn from_metadata_name(name: &str) -> Cause {
        Cause::ALL
            .into_iter()
            .find(|c| c.metadata_name() == name)
            .unwrap_or(Cause::Unspecified)
    }

    /// The cause a gRPC error carries (Unspecified when it carries none:
    /// an older agent, or an error that never reached one, such as a
    /// broken connection).
    pub fn of(status: &tonic::Status) -> Cause {
        status
            .metadata()
            .get(CAUSE_KEY)
            .and_then(|v| v.to_str().ok())
            .map(Cause::from_metadata_name)
            .unwrap_or(Cause::Unspecified)
    }

    /// The cause of a refused `ExecStatus` (its `cause` field; an unknown
    /// number is Unspecified).
    pub fn of_exec(status: &crate::pb::ExecStatus) -> Cause {
        Cause::try_from(status.cause).unwrap_or(Cause::Unspecified)
    }

    /// The gRPC code an error of this cause goes with.
    pub fn code(self) -> tonic::Code {
        use tonic::Code;
        match self {
            Cause::ContainerNotFound
            | Cause::ContainerRemoved
            | Cause::ImageNotFound
            | Cause::SessionNotFound
            | Cause::NodeNotFound
            | Cause::PathNotFound => Code::NotFound,
            Cause::ContainerNotRunning | Cause::Conflict => Code::FailedPrecondition,
            Cause::EngineUnavailable | Cause::NodeDown => Code::Unavailable,
            Cause::PermissionDenied => Code::PermissionDenied,
            Cause::Unauthenticated => Code::Unauthenticated,
            Cause::BadRequest => Code::InvalidArgument,
            Cause::Limit => Code::ResourceExhausted,
            Cause::EngineError | Cause::Unspecified | Cause::CommandNotFound => Code::Internal,
        }
    }

    /// The gRPC error for this cause, the cause in its metadata.
    pub fn status(self, message: impl Into<String>) -> tonic::Status {
        with_cause(tonic::Status::new(self.code(), message), self)
    }
}

/// `status` with `cause` in its metadata.
pub fn with_cause(mut status: tonic::Status, cause: Cause) -> tonic::Status {
    status.metadata_mut().insert(
        CAUSE_KEY,
        tonic::metadata::MetadataValue::from_static(cause.metadata_name()),
    );
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_round_trips_through_metadata() {
        for c in Cause::ALL {
            assert_eq!(Cause::of(&c.status("words")), c, "{c:?}");
        }
        // Every variant is in ALL: the count of the generated enum.
        assert_eq!(Cause::ALL.len(), Cause::PathNotFound as usize + 1);
    }

    #[test]
    fn no_metadata_or_an_unknown_name_is_unspecified() {
        assert_eq!(
            Cause::of(&tonic::Status::not_found("Container 'x' not found")),
            Cause::Unspecified
        );
        assert_eq!(Cause::from_metadata_name("later-cause"), Cause::Unspecified);
    }

    #[test]
    fn a_subject_travels_when_it_can() {
        let s = with_subject(Cause::ContainerNotFound.status("x"), "web-1");
        assert_eq!(subject(&s), Some("web-1"));
        let s = with_subject(Cause::ContainerNotFound.status("x"), "bad\nname");
        assert_eq!(subject(&s), None);
    }

    #[test]
    fn the_old_engine_name_is_kept() {
        assert_eq!(
            Cause::from_metadata_name("engine-unavailable"),
            Cause::EngineUnavailable
        );
    }
}
