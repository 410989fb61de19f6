//! The client side of Dockyard, shared by both front ends (the `dockyard`
//! CLI and the terminal UI), so that they reach agents, run execs, accept
//! and refuse input, and show engine text in exactly the same way.
//!
//! - [`dial`]: `--host` specs, tokens, TLS, connecting; error text.
//! - [`exec_session`]: [`ExecSession`], one exec conversation.
//! - [`parse`]: what people type for env, ports, labels; [`launch`] turns
//!   a whole launch (flags or form) into one request.
//! - [`pull`]: one rule for summing image pull progress.
//! - [`text`]: engine text made safe to print, and display forms.
//! - [`container`]: a container's state as a type; [`filter`]: docker's
//!   `--filter` for containers.
//! - [`since`], [`stats`], [`inspect`]: `--since` times, stats figures and
//!   inspect JSON exactly as docker reads and prints them.

pub mod container;
pub mod dial;
pub mod exec_session;
pub mod filter;
pub mod inspect;
pub mod launch;
pub mod parse;
pub mod pull;
pub mod since;
pub mod stats;
pub mod text;

pub use dial::{Auth, DEFAULT_PORT, DialError, DialOptions, HostAddr, HostSpec};
pub use dockyard_proto::{Flow, pb};
pub use exec_session::{ExecError, ExecEvent, ExecInput, ExecSession, OutputStream};

/// The client type every Dockyard front end uses.
pub type Client = pb::dockyard_service_client::DockyardServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, dial::Auth>,
>;

/// Did the agent answer that its engine is unavailable (as opposed to the
/// agent itself being unreachable)?
pub fn is_engine_unavailable(s: &tonic::Status) -> bool {
    s.metadata()
        .get(dockyard_proto::CAUSE_KEY)
        .is_some_and(|v| v == dockyard_proto::CAUSE_ENGINE_UNAVAILABLE)
}
