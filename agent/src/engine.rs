//! The connection to the Docker engine: a bollard client for the REST calls,
//! plus the engine's address for the one call we make by hand (exec attach,
//! see `attach.rs`).
//!
//! The API version is negotiated on first use rather than at start-up, so an
//! agent started before the engine (or across an engine restart) recovers by
//! itself instead of needing a restart.

use std::path::PathBuf;

use bollard::Docker;
use tokio::sync::OnceCell;

use crate::error::AgentError;

/// Where the engine listens, as DOCKER_HOST says (or the default socket),
/// or how to open a pipe to it.
#[derive(Debug, Clone)]
pub enum EngineAddr {
    Unix(PathBuf),
    /// host:port, plain HTTP.
    Tcp(String),
    /// Every connection a pipe a program opens (`ssh HOST docker system
    /// dial-stdio`): for an engine on a host without an agent.
    Piped(Piped),
}

/// Opens connections to an engine by running something that joins a pipe
/// to it, as `docker system dial-stdio` does.
pub trait EngineDialer: Send + Sync {
    /// A fresh connection to the engine.
    fn dial(&self) -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn EngineIo>>>;
    /// Where it leads, for messages (`ssh://web1, docker system dial-stdio`).
    fn describe(&self) -> String;
}

/// An [`EngineDialer`], shared.
#[derive(Clone)]
pub struct Piped(pub std::sync::Arc<dyn EngineDialer>);

impl std::fmt::Debug for Piped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Piped({})", self.0.describe())
    }
}

impl EngineAddr {
    pub fn from_env() -> Result<Self, AgentError> {
        let host = std::env::var("DOCKER_HOST").unwrap_or_default();
        Self::parse(&host)
    }

    pub fn parse(host: &str) -> Result<Self, AgentError> {
        if host.is_empty() {
            return Ok(EngineAddr::Unix("/var/run/docker.sock".into()));
        }
        if let Some(path) = host.strip_prefix("unix://") {
            return Ok(EngineAddr::Unix(path.into()));
        }
        if let Some(rest) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            return Ok(EngineAddr::Tcp(rest.trim_end_matches('/').to_string()));
        }
        // No engine to name yet: its address is what failed to parse.
        Err(AgentError::InvalidArgument(format!(
            "DOCKER_HOST '{host}' is not supported: use unix:///path or tcp://host:port"
        )))
    }

    pub fn uri(&self) -> String {
        match self {
            EngineAddr::Unix(p) => format!("unix://{}", p.display()),
            EngineAddr::Tcp(a) => format!("tcp://{a}"),
            EngineAddr::Piped(p) => p.0.describe(),
        }
    }
}

/// On a debug helper (`debug.rs`): the id of the container it debugs.
/// Lists and stats leave helpers out ([`Engine::shows`]).
pub const HELPER_LABEL: &str = "dockyard.debug.helper";

#[derive(Debug)]
pub struct Engine {
    addr: EngineAddr,
    docker: OnceCell<Docker>,
    /// For a piped engine, the one pool of kept-alive connections that
    /// bollard's requests and the hand-made ones share: each connection
    /// is a remote program, so a fresh one per request would cost one.
    pooled: Option<Pooled>,
    /// Only containers with this label are this agent's (`--only-label`).
    only_label: Option<(String, String)>,
    /// When its containers entered their states.
    ages: crate::ages::Ages,
}

impl Engine {
    /// Makes no connection yet: the engine may come up after the agent.
    pub fn new(addr: EngineAddr) -> Self {
        let pooled = match &addr {
            EngineAddr::Piped(p) => Some(pooled(p.clone())),
            _ => None,
        };
        Engine {
            addr,
            docker: OnceCell::new(),
            pooled,
            only_label: None,
            ages: Default::default(),
        }
    }

    /// Serves only the containers carrying `label` (KEY, VALUE): the
    /// others are listed by nobody and not found by name.
    pub fn with_only_label(mut self, label: Option<(String, String)>) -> Self {
        self.only_label = label;
        self
    }

    pub fn ages(&self) -> &crate::ages::Ages {
        &self.ages
    }

    /// Whether a container with these labels is this agent's.
    /// `--only-label`'s key and value, if it was given.
    pub fn only_label(&self) -> Option<&(String, String)> {
        self.only_label.as_ref()
    }

    /// A container to show in lists and stats: this agent's, and not one
    /// of the debug helpers it runs for itself (`debug.rs`).
    pub fn shows(&self, labels: &std::collections::HashMap<String, String>) -> bool {
        self.owns(labels) && !labels.contains_key(HELPER_LABEL)
    }

    pub fn owns(&self, labels: &std::collections::HashMap<String, String>) -> bool {
        self.only_label
            .as_ref()
            .is_none_or(|(k, v)| labels.get(k) == Some(v))
    }

    /// Whether the container `name` (a name or id, as docker takes them)
    /// is this agent's: there, and with `--only-label`, labelled.
    pub async fn has(&self, name: &str) -> Result<bool, AgentError> {
        match self.check_owned(name).await {
            Ok(()) if self.only_label.is_some() => Ok(true),
            Ok(()) => {
                let docker = self.docker().await?;
                match docker.inspect_container(name, None).await {
                    Ok(_) => Ok(true),
                    Err(e) => {
                        match self.error_about(e, || AgentError::ContainerNotFound(name.into())) {
                            AgentError::ContainerNotFound(_) => Ok(false),
                            other => Err(other),
                        }
                    }
                }
            }
            Err(AgentError::ContainerNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A container addressed by name or id is this agent's: with
    /// `--only-label`, one without the label is answered as missing (one
    /// more engine call, made only then).
    pub async fn check_owned(&self, name: &str) -> Result<(), AgentError> {
        if self.only_label.is_none() {
            return Ok(());
        }
        let docker = self.docker().await?;
        let info = docker
            .inspect_container(name, None)
            .await
            .map_err(|e| self.error_about(e, || AgentError::ContainerNotFound(name.to_string())))?;
        let labels = info.config.and_then(|c| c.labels).unwrap_or_default();
        if self.owns(&labels) {
            Ok(())
        } else {
            Err(AgentError::ContainerNotFound(name.to_string()))
        }
    }

    pub fn from_env() -> Result<Self, AgentError> {
        Ok(Self::new(EngineAddr::from_env()?))
    }

    pub fn addr(&self) -> &EngineAddr {
        &self.addr
    }

    /// This engine cannot be reached. The error names its address, so the
    /// person reading it knows which socket to look at.
    pub fn unavailable(&self, cause: impl Into<String>) -> AgentError {
        AgentError::unavailable(&self.addr.uri(), cause)
    }

    /// A bollard error from this engine, classified.
    pub fn error(&self, e: bollard::errors::Error) -> AgentError {
        self.error_about(e, || AgentError::Engine("not found".into()))
    }

    /// Like [`error`](Self::error), for a call about one object: a 404
    /// becomes `not_found()`.
    pub fn error_about(
        &self,
        e: bollard::errors::Error,
        not_found: impl FnOnce() -> AgentError,
    ) -> AgentError {
        AgentError::from_docker(e, &self.addr.uri(), not_found)
    }

    /// The client, its API version agreed with the engine. Engines older than
    /// bollard's default (this machine's 20.10 speaks 1.41) refuse requests
    /// made with a newer version, so every call goes through here. Until the
    /// engine answers once, each call tries again.
    pub async fn docker(&self) -> Result<&Docker, AgentError> {
        self.docker
            .get_or_try_init(|| async {
                // `/_ping` names the engine's API version in a header and
                // costs well under a millisecond; bollard's negotiation asks
                // `/version`, which queries containerd and runc (~7 ms here),
                // on every CLI start with the embedded agent.
                let theirs = self.ping_api_version().await?;
                let ours = bollard::API_DEFAULT_VERSION;
                let version = if (theirs.major_version, theirs.minor_version)
                    < (ours.major_version, ours.minor_version)
                {
                    theirs
                } else {
                    *ours
                };
                let uri = self.addr.uri();
                match &self.addr {
                    EngineAddr::Unix(_) => Docker::connect_with_unix(&uri, 120, &version),
                    EngineAddr::Tcp(_) => Docker::connect_with_http(&uri, 120, &version),
                    EngineAddr::Piped(_) => Docker::connect_with_custom_transport(
                        piped_transport(self.pooled.clone().ok_or_else(|| {
                            AgentError::Engine("a piped engine without its pool".into())
                        })?),
                        Some("http://docker"),
                        120,
                        &version,
                    ),
                }
                .map_err(|e| self.error(e))
            })
            .await
    }

    /// A fresh connection to the engine, for the requests made by hand.
    pub(crate) async fn dial(&self) -> Result<Box<dyn EngineIo>, AgentError> {
        match &self.addr {
            EngineAddr::Unix(path) => {
                let s = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| self.unavailable(e.to_string()))?;
                Ok(Box::new(s))
            }
            EngineAddr::Tcp(addr) => {
                let s = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(|e| self.unavailable(e.to_string()))?;
                // Keystrokes are tiny writes; Nagle would hold them back.
                let _ = s.set_nodelay(true);
                Ok(Box::new(s))
            }
            EngineAddr::Piped(p) => {
                p.0.dial()
                    .await
                    .map_err(|e| self.unavailable(e.to_string()))
            }
        }
    }

    async fn ping_api_version(&self) -> Result<bollard::ClientVersion, AgentError> {
        let res = self.raw_get("/_ping").await?;
        let header = res
            .headers()
            .get("api-version")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| AgentError::Engine("the engine's /_ping names no API version".into()))?;
        parse_version(header)
            .ok_or_else(|| AgentError::Engine(format!("unreadable engine API version '{header}'")))
    }

    /// GET `path` on a fresh connection (a kept one, for a piped engine),
    /// whatever the answer's status.
    async fn raw_get(
        &self,
        path: &str,
    ) -> Result<hyper::Response<hyper::body::Incoming>, AgentError> {
        self.request(hyper::Method::GET, path, None).await
    }

    /// `method` on `path` (after the API version, e.g.
    /// `/containers/x/archive?path=/etc`), with `body` streamed when
    /// given, whatever the answer's status.
    pub(crate) async fn send(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<EngineBody>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, AgentError> {
        let version = self.api_version().await?;
        self.request(method, &format!("/v{version}{path}"), body)
            .await
    }

    async fn request(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<EngineBody>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, AgentError> {
        let body = body.unwrap_or_else(|| bollard::body_full(bytes::Bytes::new()));
        if let Some(pool) = &self.pooled {
            let req = hyper::Request::builder()
                .method(method)
                .uri(format!("http://docker{path}"))
                .body(body)
                .map_err(|e| AgentError::Engine(e.to_string()))?;
            return pool
                .request(req)
                .await
                .map_err(|e| self.unavailable(crate::error::innermost(&e)));
        }
        let io = self.dial().await?;
        let unavailable = |e: hyper::Error| self.unavailable(crate::error::innermost(&e));
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
                .await
                .map_err(unavailable)?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("engine connection ended: {e}");
            }
        });
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, "docker")
            .body(body)
            .map_err(|e| AgentError::Engine(e.to_string()))?;
        sender.send_request(req).await.map_err(unavailable)
    }

    /// A GET made by hand, for the answers whose bytes matter (logs read
    /// without bollard's guessing decoder, inspect JSON not re-encoded).
    /// `path` starts after the version, e.g. `/containers/x/json`. A 404
    /// becomes `not_found()`, other failures carry the engine's message.
    pub(crate) async fn get(
        &self,
        path: &str,
        not_found: impl FnOnce() -> AgentError,
    ) -> Result<hyper::Response<hyper::body::Incoming>, AgentError> {
        let version = self.api_version().await?;
        let res = self.raw_get(&format!("/v{version}{path}")).await?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        Err(AgentError::from_status(
            status.as_u16(),
            refusal(res).await,
            not_found,
        ))
    }

    /// "1.41": the version path segment for hand-made requests.
    pub async fn api_version(&self) -> Result<String, AgentError> {
        let v = self.docker().await?.client_version();
        Ok(format!("{}.{}", v.major_version, v.minor_version))
    }
}

/// bollard's request body, which its custom transports are given.
pub(crate) trait BodyOf {
    type Body;
}

impl<B> BodyOf for hyper::Request<B> {
    type Body = B;
}

/// A request body the engine's requests take (bollard's).
pub(crate) type EngineBody = <bollard::BollardRequest as BodyOf>::Body;

type Pooled = hyper_util::client::legacy::Client<PipeConnector, EngineBody>;

/// Connections over pipes, kept alive between requests as docker's
/// client keeps its connection (each pipe is a remote program: a fresh
/// one per request cost a `docker system dial-stdio` each).
fn pooled(piped: Piped) -> Pooled {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .build(PipeConnector(piped))
}

/// bollard's requests over the pool of pipes.
fn piped_transport(
    client: Pooled,
) -> impl Fn(
    bollard::BollardRequest,
) -> futures::future::BoxFuture<
    'static,
    Result<hyper::Response<hyper::body::Incoming>, bollard::errors::Error>,
> + Send
+ Sync {
    move |req| {
        let client = client.clone();
        Box::pin(async move {
            client
                .request(req)
                .await
                .map_err(|e| std::io::Error::other(crate::error::innermost(&e)).into())
        })
    }
}

/// Opens a pipe per connection the pooled client asks for.
#[derive(Clone)]
struct PipeConnector(Piped);

impl tower::Service<hyper::Uri> for PipeConnector {
    type Response = hyper_util::rt::TokioIo<PipeIo>;
    type Error = std::io::Error;
    type Future = futures::future::BoxFuture<'static, std::io::Result<Self::Response>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let piped = self.0.clone();
        Box::pin(async move { Ok(hyper_util::rt::TokioIo::new(PipeIo(piped.0.dial().await?))) })
    }
}

/// A pipe as the pooled client's connection.
struct PipeIo(Box<dyn EngineIo>);

impl hyper_util::client::legacy::connect::Connection for PipeIo {
    fn connected(&self) -> hyper_util::client::legacy::connect::Connected {
        hyper_util::client::legacy::connect::Connected::new()
    }
}

impl tokio::io::AsyncRead for PipeIo {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for PipeIo {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

/// What the hand-made requests run over: a unix or TCP stream, or a pipe.
pub trait EngineIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> EngineIo for T {}

fn parse_version(v: &str) -> Option<bollard::ClientVersion> {
    let (major, minor) = v.trim().split_once('.')?;
    Some(bollard::ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// The engine's error bodies are `{"message": "..."}`.
/// The engine's words in a refused answer's body.
pub(crate) async fn refusal(res: hyper::Response<hyper::body::Incoming>) -> String {
    use http_body_util::BodyExt;
    let body = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    engine_message(&body)
}

pub(crate) fn engine_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split_once(r#""message":""#)
        .and_then(|(_, rest)| rest.rsplit_once('"'))
        .map(|(m, _)| m.replace("\\\"", "\""))
        .unwrap_or_else(|| text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_message_extracts_text() {
        assert_eq!(
            engine_message(br#"{"message":"Container abc is not running"}"#),
            "Container abc is not running"
        );
        assert_eq!(engine_message(b"plain"), "plain");
    }

    #[test]
    fn versions_and_addresses() {
        let v = parse_version("1.41").expect("1.41");
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(parse_version("x").is_none());
        assert!(matches!(
            EngineAddr::parse("").expect("default"),
            EngineAddr::Unix(_)
        ));
        assert!(
            matches!(EngineAddr::parse("tcp://h:2375").expect("tcp"), EngineAddr::Tcp(a) if a == "h:2375")
        );
        assert!(EngineAddr::parse("ssh://h").is_err());
    }
}
