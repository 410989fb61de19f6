//! Dockyard's wire contract: the messages and service generated from
//! `proto/dockyard.proto`, the transport settings both ends agree on, and
//! the status metadata an agent uses to say what failed. The client side
//! of the wire (dialing, `ExecSession`) lives in `dockyard-client`.

pub mod age;
pub mod cause;
pub mod find;
pub mod pipe;
pub mod state;
pub mod transport;

/// The generated protobuf messages and gRPC stubs.
pub mod pb {
    tonic::include_proto!("dockyard");
}

pub use transport::{CONNECTION_WINDOW, Flow, MAX_FRAME, MAX_MESSAGE_SIZE, STREAM_WINDOW};

pub use cause::{CAUSE_KEY, with_cause};

/// The toolbox of a debug shell when nobody names one (`DebugOptions`):
/// busybox built static with musl, so its programs run from any root.
pub const DEFAULT_DEBUG_IMAGE: &str = "busybox:musl";
pub use pb::Cause;

/// Request metadata naming the node of a cluster a request is for (see
/// `ListNodes` in the proto). Absent: the agent that receives it.
pub const NODE_KEY: &str = "dockyard-node";

/// Request metadata an agent adds when it forwards a request to a peer:
/// who the caller is (as the entry authenticated it). A peer believes it
/// only from another agent of its cluster (a client certificate of the
/// cluster's CA naming an agent); from anyone else it refuses the request.
pub const CALLER_KEY: &str = "dockyard-caller";

/// Where an agent's Unix socket is when nobody names one: `--listen
/// unix://`, and what `dockyard-agent dial-stdio` joins (what
/// `ssh://HOST` reaches).
pub const DEFAULT_SOCKET: &str = "/run/dockyard/agent.sock";

/// The line `dockyard-agent dial-stdio` writes once it has reached the
/// agent's socket, before the agent's bytes: a client through SSH skips
/// what a login script printed before it, and knows an agent answers.
pub const DIAL_HELLO: &str = "dockyard-agent dial-stdio 1";

use pb::OutputKind;

impl OutputKind {
    /// The kind's name in `stream_type`, the string field that clients
    /// generated from the seed's proto read.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Stdout | OutputKind::Unspecified => "stdout",
            OutputKind::Stderr => "stderr",
            OutputKind::Screen => "screen",
        }
    }

    /// The kind an agent that predates the `kind` field meant by its
    /// `stream_type` (anything unknown is the program's output).
    fn from_name(name: &str) -> Self {
        match name {
            "stderr" => OutputKind::Stderr,
            "screen" => OutputKind::Screen,
            _ => OutputKind::Stdout,
        }
    }

    /// `kind` as sent, or, from an agent that does not send it, what its
    /// `stream_type` says. The one place a client decides what bytes are.
    fn resolve(kind: i32, stream_type: &str) -> Self {
        match OutputKind::try_from(kind) {
            Ok(OutputKind::Unspecified) | Err(_) => OutputKind::from_name(stream_type),
            Ok(k) => k,
        }
    }
}

impl pb::ExecOutput {
    /// Output of `kind`, with both the typed field and the string one
    /// filled, so old and new clients read it alike.
    pub fn new(kind: OutputKind, data: bytes::Bytes) -> Self {
        pb::ExecOutput {
            data,
            stream_type: kind.name().into(),
            kind: kind.into(),
            offset: None,
        }
    }

    /// A redraw of a session's screen as of `offset` in its output.
    pub fn redraw(data: bytes::Bytes, offset: u64) -> Self {
        pb::ExecOutput {
            offset: Some(offset),
            ..Self::new(OutputKind::Screen, data)
        }
    }

    /// What these bytes are (old agents: from `stream_type`).
    pub fn output_kind(&self) -> OutputKind {
        OutputKind::resolve(self.kind, &self.stream_type)
    }
}

impl pb::LogsChunk {
    /// A piece of a log of `kind` (stdout or stderr), both fields filled.
    pub fn new(kind: OutputKind, data: bytes::Bytes) -> Self {
        pb::LogsChunk {
            data,
            stream_type: kind.name().into(),
            kind: kind.into(),
            tty: false,
        }
    }

    /// Which stream this piece is from (old agents: from `stream_type`).
    pub fn output_kind(&self) -> OutputKind {
        OutputKind::resolve(self.kind, &self.stream_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_read_from_either_field() {
        let new = pb::ExecOutput::new(OutputKind::Screen, bytes::Bytes::new());
        assert_eq!(new.stream_type, "screen");
        assert_eq!(new.output_kind(), OutputKind::Screen);
        // An agent that predates `kind`.
        for (name, kind) in [
            ("stdout", OutputKind::Stdout),
            ("stderr", OutputKind::Stderr),
            ("screen", OutputKind::Screen),
        ] {
            let old = pb::ExecOutput {
                stream_type: name.into(),
                ..Default::default()
            };
            assert_eq!(old.output_kind(), kind);
        }
        // A kind from a newer agent that this client does not know.
        let future = pb::ExecOutput {
            stream_type: "stderr".into(),
            kind: 99,
            ..Default::default()
        };
        assert_eq!(future.output_kind(), OutputKind::Stderr);
        let log = pb::LogsChunk::new(OutputKind::Stderr, bytes::Bytes::new());
        assert_eq!(
            (log.stream_type.as_str(), log.output_kind()),
            ("stderr", OutputKind::Stderr)
        );
    }
}
