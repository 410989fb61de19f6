//! Dockyard's wire contract (generated from `proto/dockyard.proto`) and the
//! client side of it: dialing an agent ([`dial`]) and running an exec
//! ([`ExecSession`]), shared by the CLI and the TUI.

pub mod args;
pub mod dial;
pub mod exec_session;
pub mod text;

/// The generated protobuf messages and gRPC stubs.
pub mod pb {
    tonic::include_proto!("dockyard");
}

pub use dial::{Auth, DEFAULT_PORT, DialError, DialOptions, HostAddr, HostSpec};
pub use exec_session::{ExecError, ExecEvent, ExecInput, ExecSession, OutputStream};

/// The client type every Dockyard front end uses.
pub type Client = pb::dockyard_service_client::DockyardServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, dial::Auth>,
>;

/// Status metadata an agent adds when the Docker engine, not the agent, is
/// what failed, so clients can tell the two apart without reading prose.
pub const CAUSE_KEY: &str = "dockyard-cause";
pub const CAUSE_ENGINE_UNAVAILABLE: &str = "engine-unavailable";

/// Did the agent answer that its engine is unavailable?
pub fn is_engine_unavailable(s: &tonic::Status) -> bool {
    s.metadata()
        .get(CAUSE_KEY)
        .is_some_and(|v| v == CAUSE_ENGINE_UNAVAILABLE)
}

/// Message size limit on both sides of the wire. Exec frames are at most
/// 64 KiB; listings of thousands of containers stay far below this.
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// HTTP/2 flow-control windows. The defaults (64 KiB) cap a single exec
/// stream at roughly one window per round trip; bulk output needs more.
pub const STREAM_WINDOW: u32 = 4 * 1024 * 1024;
pub const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;

/// Largest HTTP/2 frame each side accepts (the default is 16 KiB).
pub const MAX_FRAME: u32 = 256 * 1024;
