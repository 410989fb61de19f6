//! The agent as one node of a cluster (docs/fleet.md). Any agent is an
//! entry: a request whose `dockyard-node` metadata names another node is
//! forwarded, whole and stream for stream, to that node's agent (`gate`),
//! with the caller's identity, which the peer believes only from another
//! agent of the cluster (mutual TLS with the cluster's CA, the client
//! certificate naming an agent: `peer_cert`). Lists are gathered from
//! every node, each item naming its node (`Fleet::gather`). Who the peers
//! are comes from `--peer` addresses and a `--peers` DNS name re-resolved
//! every few seconds (`members`).
//!
//! A single agent is a cluster of one: its node is named, nothing else
//! changes.

mod caller;
pub mod gate;
pub(crate) mod members;
mod node;
mod route;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use dockyard_proto::pb::dockyard_service_client::DockyardServiceClient;
use dockyard_proto::pb::{NodeError, NodeInfo};
use dockyard_proto::{CALLER_KEY, NODE_KEY};
use tonic::transport::Channel;

use crate::auth::Caller;
pub use caller::{decode_caller, encode_caller};
pub use members::{PeerTls, Peers};
pub use node::Node;

/// How long a gathered list waits for a node before listing it as not
/// answering.
pub const GATHER_WAIT: Duration = Duration::from_secs(3);

/// This agent's node and its peers. Cheap to clone.
#[derive(Clone)]
pub struct Fleet(Arc<Inner>);

struct Inner {
    me: Node,
    peers: Option<Peers>,
}

/// A peer to ask, by its node's name.
#[derive(Clone)]
pub struct PeerClient {
    pub node: String,
    pub address: String,
    /// For forwarding whole HTTP/2 requests (`gate`).
    pub channel: Channel,
    pub client: DockyardServiceClient<Channel>,
}

impl Fleet {
    pub fn new(me: Node, peers: Option<Peers>) -> Self {
        Fleet(Arc::new(Inner { me, peers }))
    }

    pub fn me(&self) -> &Node {
        &self.0.me
    }

    /// Whether `node` (from a request's `dockyard-node`) is this agent's:
    /// absent, empty, or its name.
    pub fn is_me(&self, node: Option<&str>) -> bool {
        node.is_none_or(|n| n.is_empty() || n == self.0.me.name)
    }

    /// The peers that answered last time, by node name.
    pub fn up(&self) -> Vec<PeerClient> {
        self.0.peers.as_ref().map(Peers::up).unwrap_or_default()
    }

    /// Every peer known, up or not, as ListNodes shows it.
    pub fn nodes(&self) -> Vec<NodeInfo> {
        self.0.peers.as_ref().map(Peers::nodes).unwrap_or_default()
    }

    /// The peers known to be down, with why.
    pub fn down(&self) -> Vec<NodeError> {
        self.0.peers.as_ref().map(Peers::down).unwrap_or_default()
    }

    /// A peer by node name: Ok(client), or why it cannot be reached.
    pub fn peer(&self, node: &str) -> Result<PeerClient, tonic::Status> {
        match &self.0.peers {
            Some(p) => p.find(node),
            None => Err(dockyard_proto::Cause::NodeNotFound.status(format!(
                "no node named '{node}': this agent ({}) has no peers",
                self.0.me.name
            ))),
        }
    }

    /// Asks every peer that is up, at once, each for its own part (its
    /// node named, the caller's identity carried), waiting at most
    /// `GATHER_WAIT` for each; the answers and the nodes that gave none.
    pub async fn gather<T, F, Fut>(
        &self,
        caller: &Caller,
        ask: F,
    ) -> (Vec<(String, T)>, Vec<NodeError>)
    where
        F: Fn(PeerClient, tonic::metadata::MetadataMap) -> Fut,
        Fut: std::future::Future<Output = Result<T, tonic::Status>>,
    {
        let calls = self.up().into_iter().map(|peer| {
            let node = peer.node.clone();
            let metadata = forwarded(caller, &node);
            let call = ask(peer, metadata);
            async move {
                match tokio::time::timeout(GATHER_WAIT, call).await {
                    Ok(Ok(v)) => Ok((node, v)),
                    Ok(Err(s)) => Err(NodeError {
                        node,
                        error: s.message().to_string(),
                    }),
                    Err(_) => Err(NodeError {
                        node,
                        error: format!("no answer in {} s", GATHER_WAIT.as_secs()),
                    }),
                }
            }
        });
        let mut answers = Vec::new();
        let mut missing = self.down();
        for r in futures::future::join_all(calls).await {
            match r {
                Ok(a) => answers.push(a),
                Err(e) => missing.push(e),
            }
        }
        (answers, missing)
    }
}

/// The metadata of a request this agent makes to `node` on `caller`'s
/// behalf.
pub fn forwarded(caller: &Caller, node: &str) -> tonic::metadata::MetadataMap {
    let mut m = tonic::metadata::MetadataMap::new();
    if let Ok(v) = node.parse() {
        m.insert(NODE_KEY, v);
    }
    if let Ok(v) = encode_caller(caller).parse() {
        m.insert(CALLER_KEY, v);
    }
    m
}
