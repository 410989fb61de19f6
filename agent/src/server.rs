//! Serving the agent: on a TCP listener (the `dockyard-agent` binary), or
//! in-process over an in-memory transport (the client's embedded default),
//! with the same service, limits and HTTP/2 settings either way.

use std::sync::Arc;
use std::time::Duration;

use dockyard_proto::pb::dockyard_service_server::DockyardServiceServer;
use dockyard_proto::{CONNECTION_WINDOW, MAX_FRAME, MAX_MESSAGE_SIZE, STREAM_WINDOW};
use futures::{FutureExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server, ServerTlsConfig};

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::TokenCheck;
use crate::fleet::gate::{GateLayer, ca_der};
use crate::fleet::{Fleet, Node, Peers};

use crate::engine::Engine;
use crate::service::Agent;
use crate::sessions::SessionConfig;

fn builder() -> Server {
    // No `tcp_nodelay` here: see `incoming`.
    Server::builder()
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        // Bulk stdin arrives in 256 KiB messages; 16 KiB frames cost a
        // frame header and a wake-up each.
        .max_frame_size(MAX_FRAME)
        // Dead peers are noticed; quiet shells are not: keepalive pings
        // are answered by a live client however idle its session is.
        .http2_keepalive_interval(Some(Duration::from_secs(20)))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
}

fn service(agent: Agent) -> DockyardServiceServer<Agent> {
    DockyardServiceServer::new(agent)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// How the TCP server protects itself (see `auth`), what it keeps of
/// sessions, and its audit trail.
pub struct Settings {
    pub tls: Option<ServerTlsConfig>,
    pub tokens: Vec<crate::auth::Token>,
    pub sessions: SessionConfig,
    pub audit: Arc<crate::audit::Audit>,
    /// Where the health service alone is served too, without TLS or a
    /// token (loopback only).
    pub health_listener: Option<TcpListener>,
    pub cluster: Cluster,
}

/// The agent's place in a cluster: its node's name (default: the
/// engine's host name), its peers, and how agents know each other.
#[derive(Default)]
pub struct Cluster {
    pub node_name: Option<String>,
    pub peers: Vec<String>,
    pub peers_dns: Option<String>,
    pub tls: Option<crate::fleet::PeerTls>,
}

/// How often the engine is asked whether it answers, for the health
/// service.
const HEALTH_EVERY: Duration = Duration::from_secs(5);

/// Keeps the health service's status the engine's: serving while it
/// answers a ping, not serving (with the reason logged once) while it does
/// not. The agent itself is up either way; a HEALTHCHECK that fails says
/// the host's containers cannot be reached through it.
async fn watch_engine(engine: Arc<Engine>, health: HealthReporter, shutdown: CancellationToken) {
    let mut up = true;
    loop {
        let answer = match engine.docker().await {
            Ok(d) => d.ping().await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match (answer, up) {
            (Ok(()), false) => {
                tracing::info!("the engine answers again: serving");
                health.set_serving::<DockyardServiceServer<Agent>>().await;
                health.set_service_status("", ServingStatus::Serving).await;
                up = true;
            }
            (Err(e), true) => {
                tracing::warn!("the engine does not answer: not serving ({e})");
                health
                    .set_not_serving::<DockyardServiceServer<Agent>>()
                    .await;
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                up = false;
            }
            _ => {}
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(HEALTH_EVERY) => {}
        }
    }
}

/// A socket the agent serves on: TCP (with the TLS and tokens of
/// [`Settings`]) or a Unix socket (callers known by their Unix user).
pub enum Listener {
    Tcp(TcpListener),
    Unix(tokio::net::UnixListener),
}

/// Serves until `shutdown` is cancelled, then ends running execs (each gets
/// its final status) and returns once their streams have closed.
pub async fn serve(
    listeners: Vec<Listener>,
    engine: Arc<Engine>,
    settings: Settings,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<DockyardServiceServer<Agent>>().await;
    tokio::spawn(watch_engine(engine.clone(), health, shutdown.clone()));
    if let Some(listener) = settings.health_listener {
        let alone = Server::builder()
            .add_service(health_service.clone())
            .serve_with_incoming_shutdown(incoming(listener), shutdown.clone().cancelled_owned());
        tokio::spawn(async move {
            if let Err(e) = alone.await {
                tracing::error!("the health listener failed: {e}");
            }
        });
    }
    let cluster = settings.cluster;
    let me = Node::of(&engine, cluster.node_name).await;
    tracing::info!(
        node = me.name,
        node_id = me.node_id,
        hostname = me.hostname,
        "node"
    );
    // Checked when the flags were read.
    let cluster_ca = cluster
        .tls
        .as_ref()
        .map(|tls| ca_der(&tls.ca_pem).unwrap_or_default());
    let peers = match &cluster.tls {
        Some(tls) if !cluster.peers.is_empty() || cluster.peers_dns.is_some() => {
            Some(Peers::start(
                &me.name,
                &cluster.peers,
                cluster.peers_dns.as_deref(),
                tls,
                shutdown.clone(),
            ))
        }
        _ => None,
    };
    let fleet = Fleet::new(me, peers);
    let agent = Agent::new(
        engine.clone(),
        settings.sessions,
        settings.audit,
        shutdown.clone(),
    )
    .in_fleet(fleet.clone());
    let check = TokenCheck::new(settings.tokens);
    // One router per socket, the same service behind each; TLS only on TCP.
    let router = |tls: Option<ServerTlsConfig>| {
        let mut server = builder();
        if let Some(tls) = tls {
            server = server.tls_config(tls)?;
        }
        Ok::<_, tonic::transport::Error>(
            server
                .layer(
                    GateLayer::new(Some(fleet.clone()), check.clone(), cluster_ca.clone())
                        .routing(engine.clone()),
                )
                .add_service(health_service.clone())
                .add_service(InterceptedService::new(
                    service(agent.clone()),
                    check.clone(),
                )),
        )
    };
    let mut served = Vec::new();
    for listener in listeners {
        let done = shutdown.clone().cancelled_owned();
        served.push(match listener {
            Listener::Tcp(l) => router(settings.tls.clone())?
                .serve_with_incoming_shutdown(incoming(l), done)
                .boxed(),
            Listener::Unix(l) => router(None)?
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::UnixListenerStream::new(l),
                    done,
                )
                .boxed(),
        });
    }
    for result in futures::future::join_all(served).await {
        result?;
    }
    Ok(())
}

/// The listener's connections, without Nagle's delay: tonic applies
/// `Server::tcp_nodelay` only to listeners it binds itself, and with Nagle
/// a keystroke's echo sent while a neighbouring pane's output was still
/// unacknowledged waited for the client's delayed ACK (up to 40 ms).
fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

/// An agent in this process, reached through in-memory pipes: every
/// connection the channel opens is a fresh `duplex` pair whose far end is
/// handed to the server.
pub struct Embedded {
    pub channel: Channel,
    shutdown: CancellationToken,
    sessions: tokio_util::task::TaskTracker,
}

impl Embedded {
    pub fn start(engine: Arc<Engine>, flow: dockyard_proto::Flow) -> Self {
        let (conn_tx, conn_rx) = tokio::sync::mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let audit = Arc::new(crate::audit::Audit::none());
        let agent = Agent::new(engine, SessionConfig::default(), audit, shutdown.clone());
        let sessions = agent.tasks();
        tokio::spawn(async move {
            let incoming = UnboundedReceiverStream::new(conn_rx).map(Ok::<_, std::io::Error>);
            if let Err(e) = builder()
                .add_service(InterceptedService::new(
                    service(agent),
                    TokenCheck::default(),
                ))
                .serve_with_incoming(incoming)
                .await
            {
                tracing::error!("embedded agent stopped: {e}");
            }
        });
        let endpoint =
            dockyard_proto::transport::tune(Endpoint::from_static("http://embedded.agent"), flow);
        let channel = endpoint.connect_with_connector_lazy(tower::service_fn(move |_| {
            let (client, server) = tokio::io::duplex(256 * 1024);
            let sent = conn_tx.send(server);
            async move {
                sent.map_err(|_| std::io::Error::other("embedded agent is gone"))?;
                Ok::<_, std::io::Error>(TokioIo::new(client))
            }
        }));
        Embedded {
            channel,
            shutdown,
            sessions,
        }
    }

    /// Ends every exec still running (a client that quits mid-session
    /// leaves nothing behind) and waits, at most `limit`, for them to be
    /// gone. Must run before the runtime is dropped: the agent lives in it.
    pub async fn shutdown(&self, limit: std::time::Duration) {
        self.shutdown.cancel();
        self.sessions.close();
        if tokio::time::timeout(limit, self.sessions.wait())
            .await
            .is_err()
        {
            tracing::warn!("execs still ending after {limit:?}; leaving");
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    #[tokio::test]
    async fn connections_are_accepted_without_nagle() {
        let listener = super::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut incoming = super::incoming(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let accepted = incoming.next().await.expect("one").expect("accepted");
        assert!(accepted.nodelay().expect("nodelay"));
    }
}
