//! Dockyard's wire contract: the messages and service generated from
//! `proto/dockyard.proto`, the transport settings both ends agree on, and
//! the status metadata an agent uses to say what failed. The client side
//! of the wire (dialing, `ExecSession`) lives in `dockyard-client`.

pub mod transport;

/// The generated protobuf messages and gRPC stubs.
pub mod pb {
    tonic::include_proto!("dockyard");
}

pub use transport::{CONNECTION_WINDOW, Flow, MAX_FRAME, MAX_MESSAGE_SIZE, STREAM_WINDOW};

/// Status metadata an agent adds when the Docker engine, not the agent, is
/// what failed, so clients can tell the two apart without reading prose.
pub const CAUSE_KEY: &str = "dockyard-cause";
pub const CAUSE_ENGINE_UNAVAILABLE: &str = "engine-unavailable";
