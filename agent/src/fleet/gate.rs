//! The gate every request passes on a TCP agent, before gRPC decodes it:
//! who sent it, and which node carries it out.
//!
//! - A request carrying `dockyard-caller` comes from a peer forwarding for
//!   someone: it is believed only over a connection whose client
//!   certificate is an agent's of this cluster (`is_agent_cert`); from
//!   anyone else it is refused. Believed, the caller it names is the
//!   request's caller (session ownership, the audit log), no token asked.
//! - A request whose `dockyard-node` names another node is forwarded to
//!   that node's agent as it is, HTTP/2 stream for stream (so backpressure,
//!   byte order and the exit status are the peer's own), after this agent
//!   has authenticated the caller (token, certificate) and put its identity
//!   in `dockyard-caller` instead of the token.
//! - A request that names a container but no node goes to the node that
//!   has it (`route`), and every answer names, in its `dockyard-node`
//!   header, the node that served it.

use dockyard_proto::Cause;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use dockyard_proto::{CALLER_KEY, NODE_KEY};
use tonic::body::Body;
use tonic::service::Interceptor;
use tower::{Layer, Service, ServiceExt};

use super::{Fleet, decode_caller, encode_caller, route};
use crate::auth::{Caller, Forwarded, TokenCheck};
use crate::engine::Engine;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the gate needs: this agent's fleet (None: no peers, so nothing is
/// forwarded and nobody is believed to be one), its token check, and the
/// cluster's CA (DER), which signs agents' certificates.
#[derive(Clone)]
pub struct GateLayer {
    fleet: Option<Fleet>,
    check: TokenCheck,
    cluster_ca: Option<Arc<[u8]>>,
    /// This agent's engine, to know whether a container named without a
    /// node is its own (`route`).
    engine: Option<Arc<Engine>>,
}

impl GateLayer {
    pub fn new(fleet: Option<Fleet>, check: TokenCheck, cluster_ca: Option<Vec<u8>>) -> Self {
        GateLayer {
            fleet,
            check,
            cluster_ca: cluster_ca.map(Arc::from),
            engine: None,
        }
    }

    /// Requests that name a container but no node go to the node that
    /// has it, found with this engine and the peers' lists.
    pub fn routing(mut self, engine: Arc<Engine>) -> Self {
        self.engine = Some(engine);
        self
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    layer: GateLayer,
}

type GateFuture =
    Pin<Box<dyn std::future::Future<Output = Result<http::Response<Body>, BoxError>> + Send>>;

fn refuse(status: tonic::Status) -> Result<http::Response<Body>, BoxError> {
    Ok(status.into_http())
}

impl<S> Service<http::Request<Body>> for Gate<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = GateFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        // The service that was polled ready goes with this call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            if let Some(v) = req.headers().get(CALLER_KEY) {
                // Only a request that claims to come from a peer has its
                // certificate read: most requests (every exec's) do not.
                if !layer.is_peer(&req) {
                    tracing::warn!(
                        "a forwarded identity from a connection that is not an agent of this cluster: refused"
                    );
                    return refuse(Cause::PermissionDenied.status(
                        "a forwarded identity is accepted only from an agent of this cluster",
                    ));
                }
                let Some(caller) = v.to_str().ok().and_then(decode_caller) else {
                    return refuse(Cause::BadRequest.status("unreadable dockyard-caller"));
                };
                if let Err(status) = layer.believable(&caller, req.uri().path()) {
                    return refuse(status);
                }
                req.extensions_mut().insert(Forwarded(caller));
            }
            if let Err(status) = layer.route(&mut req).await {
                return refuse(status);
            }
            let node = req
                .headers()
                .get(NODE_KEY)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let fleet = match &layer.fleet {
                Some(f) if !f.is_me(node.as_deref()) => f.clone(),
                _ if node.as_deref().is_some_and(|n| !n.is_empty()) && layer.fleet.is_none() => {
                    return refuse(Cause::NodeNotFound.status(format!(
                        "no node named '{}': this agent has no peers",
                        node.unwrap_or_default()
                    )));
                }
                _ => {
                    let mut resp = inner.oneshot(req).await.map_err(Into::into)?;
                    // Which node served it, for a client that named none
                    // (it attaches to a session there later).
                    if let Some(v) = layer.fleet.as_ref().and_then(|f| f.me().name.parse().ok()) {
                        resp.headers_mut().insert(NODE_KEY, v);
                    }
                    return Ok(resp);
                }
            };
            let node = node.unwrap_or_default();
            // Believed from a peer above.
            if req.extensions().get::<Forwarded>().is_some() {
                return refuse(Cause::BadRequest.status(format!(
                    "node '{node}' is not this agent ({}); a forwarded request is not forwarded again",
                    fleet.me().name
                )));
            }
            let caller = match layer.caller(&req) {
                Ok(c) => c,
                Err(status) => return refuse(status),
            };
            let peer = match fleet.peer(&node) {
                Ok(p) => p,
                Err(status) => return refuse(status),
            };
            let headers = req.headers_mut();
            headers.remove(http::header::AUTHORIZATION);
            match encode_caller(&caller).parse() {
                Ok(v) => {
                    headers.insert(CALLER_KEY, v);
                }
                Err(_) => return refuse(Cause::Unspecified.status("cannot carry the caller")),
            }
            tracing::debug!(node, path = req.uri().path(), %caller, "forwarded");
            match peer.channel.oneshot(req).await {
                Ok(resp) => Ok(resp),
                Err(e) => refuse(Cause::NodeDown.status(format!(
                    "node {node} ({}): {}",
                    peer.address,
                    crate::error::innermost(&e)
                ))),
            }
        })
    }
}

impl GateLayer {
    /// Names the node of a request for a container that names none, when
    /// a peer, not this agent, has the container (`route`). Not for a
    /// request a peer forwarded: it was routed where it was sent.
    async fn route(&self, req: &mut http::Request<Body>) -> Result<(), tonic::Status> {
        let (Some(fleet), Some(engine)) = (&self.fleet, &self.engine) else {
            return Ok(());
        };
        if req.headers().contains_key(NODE_KEY)
            || req.extensions().get::<Forwarded>().is_some()
            || fleet.up().is_empty()
        {
            return Ok(());
        }
        let caller = self.caller(req)?;
        let taken = std::mem::take(req);
        let (back, node) = route::node_for(fleet, engine, &caller, taken).await;
        *req = back;
        if let Some(v) = node?.and_then(|n| n.parse().ok()) {
            req.headers_mut().insert(NODE_KEY, v);
        }
        Ok(())
    }

    /// A caller a peer vouches for is one this agent would let in itself:
    /// when it checks tokens, the token's name must be one of its own
    /// (names are the identity: another node's `token-1` may be someone
    /// else), and only a peer's own membership question comes without one.
    fn believable(&self, caller: &Caller, path: &str) -> Result<(), tonic::Status> {
        // A Unix user the entry's own socket named: the entry trusted the
        // socket's permissions, and this agent trusts the entry.
        if !self.check.has_tokens() || caller.user.is_some() {
            return Ok(());
        }
        match &caller.token {
            Some(name) if self.check.knows(name) => Ok(()),
            Some(name) => Err(Cause::PermissionDenied.status(format!(
                "the forwarded token name '{name}' is not one of this agent's (every agent of a cluster needs the same token file)"
            ))),
            None if path.ends_with("/ListNodes") => Ok(()),
            None => Err(Cause::PermissionDenied.status(
                "a forwarded request without a token name, to an agent that requires tokens",
            )),
        }
    }

    /// The request's connection presented an agent certificate of this
    /// cluster.
    fn is_peer(&self, req: &http::Request<Body>) -> bool {
        let Some(ca) = &self.cluster_ca else {
            return false;
        };
        let Some(certs) = probe(req).peer_certs() else {
            return false;
        };
        certs.first().is_some_and(|c| is_agent_cert(c.as_ref(), ca))
    }

    /// The caller as this agent authenticates it (token, certificate).
    fn caller(&self, req: &http::Request<Body>) -> Result<Caller, tonic::Status> {
        let checked = self.check.clone().call(probe(req))?;
        Ok(Caller::of(&checked))
    }
}

/// The request's headers and connection details, without its body, as
/// tonic's interceptors see a request.
fn probe(req: &http::Request<Body>) -> tonic::Request<()> {
    let mut p = http::Request::new(());
    *p.headers_mut() = req.headers().clone();
    *p.extensions_mut() = req.extensions().clone();
    tonic::Request::from_http(p)
}

/// An agent's certificate of this cluster: signed by the cluster's CA
/// (`ca`, DER: its key is checked, not only its name, since a client CA
/// may have the same name) and naming an agent (an organizational unit
/// `dockyard-agent`). rustls has already checked the chain and validity
/// against the CAs the agent trusts for clients.
pub fn is_agent_cert(der: &[u8], ca: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, ca))) = (
        x509_parser::parse_x509_certificate(der),
        x509_parser::parse_x509_certificate(ca),
    ) else {
        return false;
    };
    let by_cluster_ca = cert.issuer().as_raw() == ca.subject().as_raw()
        && cert.verify_signature(Some(ca.public_key())).is_ok();
    let an_agent = cert
        .subject()
        .iter_organizational_unit()
        .any(|ou| ou.as_str() == Ok("dockyard-agent"));
    by_cluster_ca && an_agent
}

/// The first certificate of a PEM file (DER): the cluster's CA, which
/// signs agents' certificates.
pub fn ca_der(pem: &[u8]) -> Result<Vec<u8>, String> {
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    pem.parse_x509()
        .map_err(|e| format!("not a certificate: {e}"))?;
    Ok(pem.contents)
}

/// A status as one line for people: its message, or its code.
pub fn status_text(s: &tonic::Status) -> String {
    if s.message().is_empty() {
        format!("{:?}", s.code())
    } else {
        s.message().to_string()
    }
}
