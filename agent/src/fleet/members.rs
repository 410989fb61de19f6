//! Who the peers are: the `--peer` addresses, and the addresses a
//! `--peers` DNS name resolves to (re-resolved every few seconds: in Swarm
//! `tasks.<service>` lists one address per running task, this agent's
//! among them). Each is asked, every few seconds, which node it serves
//! (ListNodes, answered by the peer alone); one that does not answer is
//! down, with the reason, until it answers again. An address the DNS name
//! no longer gives is forgotten: its node leaves the listings.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dockyard_proto::pb::dockyard_service_client::DockyardServiceClient;
use dockyard_proto::pb::{ListNodesRequest, NodeError, NodeInfo};
use dockyard_proto::transport::PANE_CONNECTION_WINDOW;
use dockyard_proto::{MAX_FRAME, MAX_MESSAGE_SIZE, STREAM_WINDOW};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::PeerClient;
use crate::auth::Caller;

/// How often the peers are looked up and asked.
pub const REFRESH: Duration = Duration::from_secs(2);

/// How long a peer has to answer before it counts as down.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// The default port of an agent.
const PORT: u16 = 50051;

/// How agents of one cluster know each other: the cluster's CA, this
/// agent's certificate (presented to its peers as a client), and the name
/// every agent's certificate carries, which is checked instead of an
/// address (a peer found by DNS has no name of its own).
pub struct PeerTls {
    pub ca_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub server_name: String,
}

/// The peers. Cheap to clone.
#[derive(Clone)]
pub struct Peers(Arc<Inner>);

struct Inner {
    me: String,
    fixed: Vec<String>,
    dns: Option<String>,
    tls: ClientTlsConfig,
    table: Mutex<Vec<Member>>,
    /// This agent's own addresses among them (DNS gives every task's),
    /// asked once and not again.
    own: Mutex<HashSet<String>>,
}

struct Member {
    address: String,
    channel: Channel,
    client: DockyardServiceClient<Channel>,
    /// From `--peers` (forgotten when it no longer resolves).
    found: bool,
    info: Option<NodeInfo>,
    error: Option<String>,
}

impl Member {
    fn name(&self) -> String {
        self.info
            .as_ref()
            .map_or_else(|| self.address.clone(), |i| i.name.clone())
    }
}

/// `HOST` or `HOST:PORT` (IPv6 in brackets), the port defaulted.
fn with_port(addr: &str) -> String {
    let bare_v6 = addr.matches(':').count() > 1 && !addr.starts_with('[');
    if bare_v6 {
        format!("[{addr}]:{PORT}")
    } else if addr
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        addr.to_string()
    } else {
        format!("{addr}:{PORT}")
    }
}

impl Peers {
    /// Peers of the node `me`; membership is kept by a task until
    /// `shutdown`.
    pub fn start(
        me: &str,
        fixed: &[String],
        dns: Option<&str>,
        tls: &PeerTls,
        shutdown: CancellationToken,
    ) -> Self {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&tls.ca_pem))
            .identity(Identity::from_pem(&tls.cert_pem, &tls.key_pem))
            .domain_name(tls.server_name.clone());
        let peers = Peers(Arc::new(Inner {
            me: me.to_string(),
            fixed: fixed.iter().map(|a| with_port(a)).collect(),
            dns: dns.map(with_port),
            tls,
            table: Mutex::new(Vec::new()),
            own: Mutex::new(HashSet::new()),
        }));
        tokio::spawn(peers.clone().keep(shutdown));
        peers
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Vec<Member>> {
        self.0.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn keep(self, shutdown: CancellationToken) {
        loop {
            self.refresh().await;
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(REFRESH) => {}
            }
        }
    }

    /// Looks the peers up and asks each which node it serves.
    async fn refresh(&self) {
        let mut want: Vec<(String, bool)> =
            self.0.fixed.iter().map(|a| (a.clone(), false)).collect();
        if let Some(name) = &self.0.dns {
            match tokio::net::lookup_host(name.as_str()).await {
                Ok(addrs) => want.extend(addrs.map(|a| (a.to_string(), true))),
                Err(e) => tracing::debug!("cannot resolve {name}: {e}"),
            }
        }
        let probes = {
            let mut table = self.table();
            let own = self.0.own.lock().unwrap_or_else(|p| p.into_inner()).clone();
            want.retain(|(a, _)| !own.contains(a));
            let keep: HashSet<&str> = want.iter().map(|(a, _)| a.as_str()).collect();
            table.retain(|m| {
                let stays = !m.found || keep.contains(m.address.as_str());
                if !stays {
                    tracing::info!(peer = m.address, node = m.name(), "peer left");
                }
                stays
            });
            for (address, found) in want {
                if table.iter().any(|m| m.address == address) {
                    continue;
                }
                match self.channel(&address) {
                    Ok(channel) => table.push(Member {
                        client: client(channel.clone()),
                        channel,
                        address,
                        found,
                        info: None,
                        error: Some("not asked yet".into()),
                    }),
                    Err(e) => tracing::warn!(peer = address, "bad peer address: {e}"),
                }
            }
            table
                .iter()
                .map(|m| (m.address.clone(), m.client.clone()))
                .collect::<Vec<_>>()
        };
        let me = Caller {
            token: None,
            certificate: Some(format!("agent {}", self.0.me)),
            user: None,
        };
        let asked = probes.into_iter().map(|(address, mut client)| {
            let metadata = super::forwarded(&me, "");
            async move {
                let mut req = tonic::Request::new(ListNodesRequest {});
                *req.metadata_mut() = metadata;
                let answer = tokio::time::timeout(PROBE_WAIT, client.list_nodes(req)).await;
                let result = match answer {
                    Ok(Ok(r)) => r
                        .into_inner()
                        .nodes
                        .into_iter()
                        .find(|n| n.entry)
                        .ok_or_else(|| "it did not say which node it serves".to_string()),
                    Ok(Err(s)) => Err(crate::fleet::gate::status_text(&s)),
                    Err(_) => Err(format!("no answer in {} s", PROBE_WAIT.as_secs())),
                };
                (address, result)
            }
        });
        let results = futures::future::join_all(asked).await;
        let mut table = self.table();
        for (address, result) in results {
            let Some(m) = table.iter_mut().find(|m| m.address == address) else {
                continue;
            };
            match result {
                Ok(info) if info.name == self.0.me => {
                    self.0
                        .own
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(address);
                    m.info = Some(info);
                }
                Ok(mut info) => {
                    if m.error.is_some() {
                        tracing::info!(peer = address, node = info.name, "peer up");
                    }
                    info.address = address;
                    info.up = true;
                    info.entry = false;
                    m.info = Some(info);
                    m.error = None;
                }
                Err(e) => {
                    if m.error.is_none() {
                        tracing::warn!(peer = address, node = m.name(), "peer down: {e}");
                    }
                    m.error = Some(e);
                }
            }
        }
        // This agent's own address among them (DNS gives every task's).
        let me = &self.0.me;
        table.retain(|m| m.info.as_ref().is_none_or(|i| &i.name != me));
    }

    fn channel(&self, address: &str) -> Result<Channel, tonic::transport::Error> {
        let endpoint = Endpoint::from_shared(format!("https://{address}"))?
            .tls_config(self.0.tls.clone())?
            .tcp_nodelay(true)
            .connect_timeout(PROBE_WAIT)
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(PANE_CONNECTION_WINDOW)
            .max_frame_size(MAX_FRAME)
            .http2_keep_alive_interval(Duration::from_secs(20))
            .keep_alive_timeout(Duration::from_secs(20))
            .keep_alive_while_idle(true);
        Ok(endpoint.connect_lazy())
    }

    /// The peers that answered last time.
    pub fn up(&self) -> Vec<PeerClient> {
        self.table()
            .iter()
            .filter(|m| m.error.is_none())
            .filter_map(|m| {
                Some(PeerClient {
                    node: m.info.as_ref()?.name.clone(),
                    address: m.address.clone(),
                    channel: m.channel.clone(),
                    client: m.client.clone(),
                })
            })
            .collect()
    }

    /// The peers that did not, and why.
    pub fn down(&self) -> Vec<NodeError> {
        self.table()
            .iter()
            .filter_map(|m| {
                Some(NodeError {
                    node: m.name(),
                    error: m.error.clone()?,
                })
            })
            .collect()
    }

    pub fn nodes(&self) -> Vec<NodeInfo> {
        self.table()
            .iter()
            .map(|m| match (&m.info, &m.error) {
                (Some(i), None) => i.clone(),
                (info, error) => NodeInfo {
                    name: m.name(),
                    address: m.address.clone(),
                    up: false,
                    error: error.clone().unwrap_or_default(),
                    version: info.as_ref().and_then(|i| i.version.clone()),
                    ..info.clone().unwrap_or_default()
                },
            })
            .collect()
    }

    pub fn find(&self, node: &str) -> Result<PeerClient, tonic::Status> {
        let table = self.table();
        let Some(m) = table.iter().find(|m| m.name() == node) else {
            let mut names: Vec<String> = table.iter().map(Member::name).collect();
            names.push(self.0.me.clone());
            names.sort();
            return Err(dockyard_proto::Cause::NodeNotFound.status(format!(
                "no node named '{node}' in this cluster (nodes: {})",
                names.join(", ")
            )));
        };
        if let Some(e) = &m.error {
            return Err(dockyard_proto::Cause::NodeDown.status(format!("node {node} is down: {e}")));
        }
        Ok(PeerClient {
            node: node.to_string(),
            address: m.address.clone(),
            channel: m.channel.clone(),
            client: m.client.clone(),
        })
    }
}

fn client(channel: Channel) -> DockyardServiceClient<Channel> {
    DockyardServiceClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addresses_get_the_default_port() {
        assert_eq!(with_port("h1"), "h1:50051");
        assert_eq!(with_port("h1:7000"), "h1:7000");
        assert_eq!(with_port("10.0.0.1"), "10.0.0.1:50051");
        assert_eq!(with_port("[::1]:9"), "[::1]:9");
        assert_eq!(with_port("::1"), "[::1]:50051");
        assert_eq!(
            with_port("tasks.dockyard_agent"),
            "tasks.dockyard_agent:50051"
        );
    }
}
