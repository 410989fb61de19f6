//! The entry finds a container's node itself: a request that names a
//! container but no node (`dockyard exec web`, `dockyard logs web` given
//! one address of a cluster) goes where the container is, in the one
//! round trip the client makes. The gate reads the request's first
//! message (and only that: the rest of an exec's stream passes untouched),
//! takes the container it names, and, when this agent does not have it,
//! asks the peers' lists and names the node that does. One rule finds it
//! in the lists: docker's (`dockyard_proto::find`).

use bytes::{Buf, Bytes, BytesMut};
use dockyard_proto::Cause;
use dockyard_proto::find::{Found, find};
use dockyard_proto::pb;
use futures::StreamExt;
use http_body_util::{BodyExt, BodyStream, StreamBody};
use prost::Message;
use tonic::body::Body;

use super::Fleet;
use crate::auth::Caller;
use crate::engine::Engine;

const SERVICE: &str = "/dockyard.DockyardService/";

/// The RPCs whose request names one container in field 1
/// (`container_identifier`), and the exec stream, whose first request's
/// `start` does.
fn addressed(path: &str) -> Option<Kind> {
    let method = path.strip_prefix(SERVICE)?;
    match method {
        "ExecContainer" => Some(Kind::Exec),
        "StopContainer" | "RemoveContainer" | "ContainerLogs" | "InspectContainer"
        | "RestartContainer" | "PauseContainer" | "UnpauseContainer" | "KillContainer"
        | "StatPath" | "CopyFrom" | "CopyTo" | "ListPath" => Some(Kind::Ref),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Exec,
    Ref,
}

impl Kind {
    /// The container the first message names (an exec's attach names a
    /// session, which lives on the node the client names).
    fn container(self, message: &[u8]) -> Option<String> {
        let key = match self {
            Kind::Exec => match pb::ExecRequest::decode(message).ok()?.request_type? {
                pb::exec_request::RequestType::Start(s) => s.container_identifier,
                _ => return None,
            },
            Kind::Ref => pb::ContainerRef::decode(message).ok()?.container_identifier,
        };
        Some(key).filter(|k| !k.is_empty())
    }
}

/// Which node `req` should go to, and the request to send on (its body
/// with the first message put back). None: this agent (the request does
/// not name a container, this agent has it, or nobody does, which this
/// agent then says in its own words).
pub(super) async fn node_for(
    fleet: &Fleet,
    engine: &Engine,
    caller: &Caller,
    req: http::Request<Body>,
) -> (http::Request<Body>, Result<Option<String>, tonic::Status>) {
    let Some(kind) = addressed(req.uri().path()) else {
        return (req, Ok(None));
    };
    let (parts, body) = req.into_parts();
    let (first, body) = first_message(body).await;
    let req = http::Request::from_parts(parts, body);
    let Some(key) = first.as_deref().and_then(|m| kind.container(m)) else {
        return (req, Ok(None));
    };
    let node = fleet.locate(engine, caller, &key).await;
    (req, node)
}

/// The first gRPC message of `body` (without its 5-byte prefix), and a
/// body that yields everything `body` would have, from the first byte.
/// None for a compressed or cut-short message: then nothing is routed.
async fn first_message(mut body: Body) -> (Option<Bytes>, Body) {
    let mut read = BytesMut::new();
    let mut held = Vec::new();
    let mut ended = false;
    let wanted = |buf: &[u8]| (buf.len() >= 5).then(|| 5 + (&buf[1..5]).get_u32() as usize);
    // Not more than a message may be: over that (or compressed), nothing
    // is routed and tonic refuses the request as it would anyway.
    let too_big = |buf: &[u8]| {
        wanted(buf).is_some_and(|n| n > 5 + dockyard_proto::MAX_MESSAGE_SIZE || buf[0] != 0)
    };
    while wanted(&read).is_none_or(|n| read.len() < n) && !too_big(&read) {
        match body.frame().await {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => read.extend_from_slice(&data),
                Err(trailers) => {
                    held.push(Ok(trailers));
                    ended = true;
                    break;
                }
            },
            Some(Err(e)) => {
                held.push(Err(e));
                ended = true;
                break;
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    let read = read.freeze();
    let first = match wanted(&read) {
        Some(n) if read.len() >= n && !too_big(&read) => Some(read.slice(5..n)),
        _ => None,
    };
    let mut frames = vec![Ok(http_body::Frame::data(read))];
    frames.extend(held);
    let head = futures::stream::iter(frames);
    let body = if ended {
        Body::new(StreamBody::new(head))
    } else {
        Body::new(StreamBody::new(head.chain(BodyStream::new(body))))
    };
    (first, body)
}

impl Fleet {
    /// The node of the cluster that has the container `key`, when it is
    /// not this agent's: None when this agent has it (or its engine cannot
    /// say: it answers that itself) or no node does; an error when it
    /// names containers on several nodes.
    pub async fn locate(
        &self,
        engine: &Engine,
        caller: &Caller,
        key: &str,
    ) -> Result<Option<String>, tonic::Status> {
        // A name the engine would refuse is this agent's to refuse.
        if self.up().is_empty()
            || crate::exec::check_container_name(key).is_err()
            || engine.has(key).await.unwrap_or(true)
        {
            return Ok(None);
        }
        let (answers, _) = self
            .gather(caller, |mut peer, metadata| async move {
                let mut req = tonic::Request::new(pb::ListContainersRequest { all: true });
                *req.metadata_mut() = metadata;
                peer.client.list_containers(req).await
            })
            .await;
        let listed: Vec<pb::ContainerInfo> = answers
            .into_iter()
            .flat_map(|(node, r)| {
                r.into_inner().containers.into_iter().map(move |mut c| {
                    c.node.clone_from(&node);
                    c
                })
            })
            .collect();
        match find(&listed, key) {
            Found::One(c) => {
                tracing::debug!(container = key, node = c.node, "routed to its node");
                Ok(Some(c.node.clone()))
            }
            Found::None => Ok(None),
            Found::Ambiguous(v) => {
                let mut nodes: Vec<&str> = v.iter().map(|c| c.node.as_str()).collect();
                nodes.sort_unstable();
                nodes.dedup();
                Err(Cause::BadRequest.status(format!(
                    "'{key}' names containers on several nodes ({}): choose one with --node",
                    nodes.join(", ")
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(m: &impl Message) -> Bytes {
        let body = m.encode_to_vec();
        let mut b = BytesMut::new();
        b.extend_from_slice(&[0]);
        b.extend_from_slice(&(body.len() as u32).to_be_bytes());
        b.extend_from_slice(&body);
        b.freeze()
    }

    async fn collect(body: Body) -> Bytes {
        body.collect().await.expect("body").to_bytes()
    }

    fn pieces(bytes: Bytes, at: &[usize]) -> Body {
        let mut frames = Vec::new();
        let mut from = 0;
        for &to in at.iter().chain([bytes.len()].iter()) {
            frames.push(Ok::<_, tonic::Status>(http_body::Frame::data(
                bytes.slice(from..to),
            )));
            from = to;
        }
        Body::new(StreamBody::new(futures::stream::iter(frames)))
    }

    #[tokio::test]
    async fn the_first_message_is_read_and_the_body_kept_whole() {
        let start = pb::ExecRequest {
            request_type: Some(pb::exec_request::RequestType::Start(pb::ExecStart {
                container_identifier: "web".into(),
                command: vec!["cat".into()],
                ..Default::default()
            })),
        };
        let input = pb::ExecRequest {
            request_type: Some(pb::exec_request::RequestType::Input(pb::ExecInput {
                data: Bytes::from_static(b"\x00\x01\x02 bytes"),
            })),
        };
        let mut all = BytesMut::from(&framed(&start)[..]);
        all.extend_from_slice(&framed(&input));
        let all = all.freeze();
        // Cut in every place: the prefix, the message and the next one.
        for cut in 1..all.len() {
            let (first, body) = first_message(pieces(all.clone(), &[cut])).await;
            let first = first.expect("a first message");
            assert_eq!(Kind::Exec.container(&first).as_deref(), Some("web"));
            assert_eq!(collect(body).await, all, "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn only_container_requests_are_read() {
        assert!(addressed("/dockyard.DockyardService/ListContainers").is_none());
        assert!(addressed("/dockyard.DockyardService/KillContainer").is_some());
        let attach = pb::ExecRequest {
            request_type: Some(pb::exec_request::RequestType::Attach(pb::ExecAttach {
                session_id: "s".into(),
                ..Default::default()
            })),
        };
        let bytes = framed(&attach);
        assert_eq!(Kind::Exec.container(&bytes[5..]), None);
        let kill = pb::KillRequest {
            container_identifier: "db".into(),
            signal: "HUP".into(),
        };
        assert_eq!(
            Kind::Ref.container(&framed(&kill)[5..]).as_deref(),
            Some("db")
        );
    }

    #[tokio::test]
    async fn an_oversized_first_message_is_not_read_whole() {
        // A prefix that claims 4 GiB, and a little of it.
        let mut claim = vec![0u8];
        claim.extend_from_slice(&u32::MAX.to_be_bytes());
        claim.extend_from_slice(b"a few bytes");
        let claim = Bytes::from(claim);
        let (first, body) = first_message(pieces(claim.clone(), &[5])).await;
        assert!(first.is_none());
        assert_eq!(collect(body).await, claim, "passed on untouched");
    }

    #[tokio::test]
    async fn a_short_body_is_passed_on_as_it_was() {
        let (first, body) = first_message(pieces(Bytes::from_static(&[0, 0, 0]), &[])).await;
        assert!(first.is_none());
        assert_eq!(collect(body).await, Bytes::from_static(&[0, 0, 0]));
    }
}
