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
//! - [`container`] (from the wire crate): a container's state as a type; [`filter`]: docker's
//!   `--filter` for containers.
//! - [`since`], [`stats`], [`inspect`]: `--since` times, stats figures and
//!   inspect JSON exactly as docker reads and prints them.

pub mod copy;
pub mod dial;
pub mod exec_session;
pub mod filter;
pub mod forward;
pub mod inspect;
pub mod launch;
pub mod lifecycle;
pub mod parse;
pub mod pull;
pub mod since;
pub mod ssh;
pub mod stats;
pub mod text;

pub use dial::{Auth, DEFAULT_PORT, DialError, DialOptions, HostAddr, HostSpec};
/// A container's state as a type (the wire carries docker's word).
pub use dockyard_proto::state as container;
pub use dockyard_proto::{Cause, DEFAULT_DEBUG_IMAGE, DEFAULT_SOCKET, Flow, age, cause, find, pb};
pub use exec_session::{ExecError, ExecEvent, ExecInput, ExecSession, OutputStream};

/// A request for the node `node` of a cluster (its `dockyard-node`
/// metadata); None or an unusable name: for the agent dialed.
pub fn routed<T>(message: T, node: Option<&str>) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    if let Some(v) = node.filter(|n| !n.is_empty()).and_then(|n| n.parse().ok()) {
        req.metadata_mut().insert(dockyard_proto::NODE_KEY, v);
    }
    req
}

/// Where the container `name` (a name or an id prefix, as docker takes
/// them) runs in the cluster behind `client`: its node, when the agent
/// lists it on a named node. (A request that names a container needs no
/// node: the entry agent takes it there. This is for one that names
/// several, such as stats.)
pub async fn locate(client: &mut Client, name: &str) -> Result<Option<String>, tonic::Status> {
    let list = client
        .list_containers(pb::ListContainersRequest { all: true })
        .await?
        .into_inner()
        .containers;
    Ok(match find::find(&list, name) {
        find::Found::One(c) if !c.node.is_empty() => Some(c.node.clone()),
        _ => None,
    })
}

/// The client type every Dockyard front end uses.
pub type Client = pb::dockyard_service_client::DockyardServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, dial::Auth>,
>;

/// Did the agent answer that its engine is unavailable (as opposed to the
/// agent itself being unreachable)?
pub fn is_engine_unavailable(s: &tonic::Status) -> bool {
    Cause::of(s) == Cause::EngineUnavailable
}
