//! The exec conversation's answers, spelled once: every `ExecStatus` an
//! exec sends (started, attached, finished, detached, refused), the output
//! messages, and the in-band refusal. One place, so the wire cannot say
//! the same thing two ways, and every refusal carries its cause.

use bytes::Bytes;
use dockyard_proto::Cause;
use dockyard_proto::pb::{
    ExecOutput, ExecResponse, ExecStatus, OutputKind, exec_response::ResponseType,
};
use tokio::sync::mpsc;
use tonic::Status;

use crate::error::AgentError;

/// A client's response stream, as the service hands it out.
pub type ResponseTx = mpsc::Sender<Result<ExecResponse, Status>>;

pub fn status(s: ExecStatus) -> Result<ExecResponse, Status> {
    Ok(ExecResponse {
        response_type: Some(ResponseType::Status(s)),
    })
}

pub fn output(kind: OutputKind, data: Bytes) -> Result<ExecResponse, Status> {
    Ok(ExecResponse {
        response_type: Some(ResponseType::Output(ExecOutput::new(kind, data))),
    })
}

/// The exec (or session) a status is about: its engine id and, for a
/// durable session, the session's id (empty otherwise).
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub exec_id: &'a str,
    pub session_id: &'a str,
}

/// The first status of an exec just started. `detached_ttl_ms` is 0 for
/// an exec that is not durable.
pub fn started(about: About<'_>, detached_ttl_ms: u64) -> ExecStatus {
    ExecStatus {
        success: true,
        exec_id: about.exec_id.into(),
        message: "Execution started successfully".into(),
        session_id: about.session_id.into(),
        detached_ttl_ms,
        ..Default::default()
    }
}

/// The first status of a client that joined a session, which resumes at
/// `offset` of its output.
pub fn attached(about: About<'_>, offset: u64, detached_ttl_ms: u64) -> ExecStatus {
    ExecStatus {
        message: "Attached".into(),
        offset,
        ..started(about, detached_ttl_ms)
    }
}

/// The one final status of an exec that ran: its exit code and how it
/// ended; `offset` is where a durable session's output ended (0 else).
pub fn finished(about: About<'_>, exit_code: i32, message: String, offset: u64) -> ExecStatus {
    ExecStatus {
        success: true,
        exec_id: about.exec_id.into(),
        message,
        exit_code,
        finished: true,
        session_id: about.session_id.into(),
        offset,
        ..Default::default()
    }
}

/// The final status of an exec whose result could not be had, or of a
/// client that broke the protocol: exit code -1.
pub fn failed(about: About<'_>, cause: Cause, message: String) -> ExecStatus {
    ExecStatus {
        success: false,
        exit_code: -1,
        cause: cause.into(),
        ..finished(about, -1, message, 0)
    }
}

/// The last status of a client that detached: the session runs on from
/// `offset`.
pub fn detached(about: About<'_>, offset: u64) -> ExecStatus {
    ExecStatus {
        detached: true,
        ..finished(about, 0, "Detached; the session runs on".into(), offset)
    }
}

/// An exec that could not be started or joined, and why.
pub fn refused(cause: Cause, message: String) -> ExecStatus {
    ExecStatus {
        success: false,
        message,
        cause: cause.into(),
        ..Default::default()
    }
}

/// The exec could not be started (or joined): said in band, as the seed's
/// agent does, so the client reads a reason rather than a broken stream.
pub async fn reject(tx: &ResponseTx, e: AgentError) {
    tracing::info!("exec rejected: {e}");
    let _ = tx.send(status(refused(e.cause(), e.to_string()))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABOUT: About<'static> = About {
        exec_id: "e1",
        session_id: "s1",
    };

    #[test]
    fn a_refusal_carries_its_cause_and_the_seeds_fields() {
        let e = AgentError::ContainerNotRunning {
            name: "web".into(),
            status: "exited".into(),
        };
        let s = refused(e.cause(), e.to_string());
        assert!(!s.success && !s.finished);
        assert_eq!(s.message, "Container 'web' is not running (status: exited)");
        assert_eq!(Cause::of_exec(&s), Cause::ContainerNotRunning);
    }

    #[test]
    fn final_statuses_are_final() {
        for s in [
            finished(ABOUT, 3, "done".into(), 9),
            failed(ABOUT, Cause::EngineUnavailable, "gone".into()),
            detached(ABOUT, 9),
        ] {
            assert!(s.finished, "{s:?}");
            assert_eq!((s.exec_id.as_str(), s.session_id.as_str()), ("e1", "s1"));
        }
        assert_eq!(failed(ABOUT, Cause::BadRequest, "x".into()).exit_code, -1);
        assert!(detached(ABOUT, 9).detached && detached(ABOUT, 9).success);
        let a = attached(ABOUT, 5, 100);
        assert!(a.success && !a.finished && a.offset == 5 && a.detached_ttl_ms == 100);
    }
}
