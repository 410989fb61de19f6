//! The container list of a whole cluster, live, and its stats: this
//! node's stream and every peer's, merged. For the list: Each node's latest list is kept; whenever one
//! changes, the whole list goes out again, with the nodes that are not
//! answering and why. Peers that join are watched as they come (looked for
//! every `members::REFRESH`); a peer whose watch ends leaves its
//! containers out until it is watched again.

use std::collections::BTreeMap;
use std::pin::Pin;

use dockyard_proto::pb::{ContainerInfo, ListContainersRequest, ListContainersResponse, NodeError};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::StreamMap;
use tonic::Status;

use super::{Fleet, forwarded};
use crate::auth::Caller;

type Updates = Pin<Box<dyn Stream<Item = Result<ListContainersResponse, Status>> + Send>>;

/// The merged watch. `local` is this node's (named `node`).
pub fn gathered(fleet: Fleet, caller: Caller, all: bool, node: String, local: Updates) -> Updates {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(merge(fleet, caller, all, node, local, tx));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

async fn merge(
    fleet: Fleet,
    caller: Caller,
    all: bool,
    me: String,
    local: Updates,
    tx: mpsc::Sender<Result<ListContainersResponse, Status>>,
) {
    let mut streams: StreamMap<String, Updates> = StreamMap::new();
    streams.insert(me.clone(), local);
    let mut lists: BTreeMap<String, Vec<ContainerInfo>> = BTreeMap::new();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let mut tick = tokio::time::interval(super::members::REFRESH);
    loop {
        let changed = tokio::select! {
            _ = tx.closed() => return,
            _ = tick.tick() => join(&fleet, &caller, all, &mut streams, &mut lists, &mut failed).await,
            item = streams.next() => match item {
                Some((node, Ok(update))) => {
                    let mut containers = update.containers;
                    containers.iter_mut().for_each(|c| c.node.clone_from(&node));
                    failed.remove(&node);
                    lists.insert(node, containers);
                    true
                }
                Some((node, Err(status))) if node == me => {
                    // This node's own watch failed: the client is told.
                    let _ = tx.send(Err(status)).await;
                    return;
                }
                Some((node, Err(status))) => {
                    streams.remove(&node);
                    lists.remove(&node);
                    failed.insert(node, super::gate::status_text(&status));
                    true
                }
                None => return,
            },
        };
        if !changed {
            continue;
        }
        let mut unreachable: Vec<NodeError> = failed
            .iter()
            .map(|(node, error)| NodeError {
                node: node.clone(),
                error: error.clone(),
            })
            .collect();
        for down in fleet.down() {
            if !unreachable.iter().any(|u| u.node == down.node) {
                unreachable.push(down);
            }
        }
        let update = ListContainersResponse {
            containers: lists.values().flatten().cloned().collect(),
            unreachable,
        };
        if tx.send(Ok(update)).await.is_err() {
            return;
        }
    }
}

/// Starts watching the peers that are up and not yet watched (all at
/// once: a slow peer holds up no other), and drops the lists of nodes no
/// longer up; true when the list changed.
async fn join(
    fleet: &Fleet,
    caller: &Caller,
    all: bool,
    streams: &mut StreamMap<String, Updates>,
    lists: &mut BTreeMap<String, Vec<ContainerInfo>>,
    failed: &mut BTreeMap<String, String>,
) -> bool {
    let up = fleet.up();
    let me = fleet.me().name.clone();
    let is_up = |n: &String| *n == me || up.iter().any(|p| &p.node == n);
    let mut changed = false;
    let gone: Vec<String> = streams.keys().filter(|n| !is_up(n)).cloned().collect();
    for node in gone {
        streams.remove(&node);
    }
    // Also the lists of nodes whose watch ended and that then left.
    let stale: Vec<String> = lists.keys().filter(|n| !is_up(n)).cloned().collect();
    for node in stale {
        lists.remove(&node);
        changed = true;
    }
    let asked = up
        .into_iter()
        .filter(|p| !streams.contains_key(&p.node))
        .map(|mut peer| {
            let mut req = tonic::Request::new(ListContainersRequest { all });
            *req.metadata_mut() = forwarded(caller, &peer.node);
            async move {
                let call =
                    tokio::time::timeout(super::GATHER_WAIT, peer.client.watch_containers(req));
                let answer = call.await.unwrap_or_else(|_| {
                    Err(dockyard_proto::Cause::NodeDown.status("no answer in time"))
                });
                (peer.node, answer)
            }
        });
    for (node, answer) in futures::future::join_all(asked).await {
        match answer {
            Ok(r) => {
                let stream: Updates = Box::pin(r.into_inner());
                streams.insert(node, stream);
            }
            Err(s) => {
                failed.insert(node, super::gate::status_text(&s));
                changed = true;
            }
        }
    }
    changed
}

type StatsUpdates =
    Pin<Box<dyn Stream<Item = Result<dockyard_proto::pb::StatsResponse, Status>> + Send>>;

/// Every node's stats of every running container, on one stream: this
/// node's (`local`) and each peer's as it joins. A peer's stream that ends
/// is asked again when the peer is up; its containers simply stop
/// reporting meanwhile (a list of them says why).
pub fn stats_gathered(
    fleet: Fleet,
    caller: Caller,
    req: dockyard_proto::pb::StatsRequest,
    local: StatsUpdates,
) -> StatsUpdates {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let me = fleet.me().name.clone();
        let mut streams: StreamMap<String, StatsUpdates> = StreamMap::new();
        streams.insert(me.clone(), local);
        let join = |streams: &mut StreamMap<String, StatsUpdates>| {
            let (fleet, caller, req) = (fleet.clone(), caller.clone(), req.clone());
            let have: Vec<String> = streams.keys().cloned().collect();
            async move {
                let asked = fleet
                    .up()
                    .into_iter()
                    .filter(|p| !have.contains(&p.node))
                    .map(|mut peer| {
                        let mut r = tonic::Request::new(req.clone());
                        *r.metadata_mut() = forwarded(&caller, &peer.node);
                        async move {
                            let call = peer.client.container_stats(r);
                            match tokio::time::timeout(super::GATHER_WAIT, call).await {
                                Ok(Ok(s)) => {
                                    let s: StatsUpdates = Box::pin(s.into_inner());
                                    Some((peer.node, s))
                                }
                                _ => None,
                            }
                        }
                    });
                futures::future::join_all(asked)
                    .await
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
            }
        };
        for (node, s) in join(&mut streams).await {
            streams.insert(node, s);
        }
        let mut tick = tokio::time::interval(super::members::REFRESH);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tx.closed() => return,
                _ = tick.tick(), if req.stream => {
                    for (node, s) in join(&mut streams).await {
                        streams.insert(node, s);
                    }
                }
                item = streams.next() => match item {
                    Some((_, Ok(update))) => {
                        if tx.send(Ok(update)).await.is_err() {
                            return;
                        }
                    }
                    Some((node, Err(status))) if node == me => {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                    Some((node, Err(_))) => {
                        streams.remove(&node);
                    }
                    // Without streaming, every node's one sample each:
                    // done when all have ended.
                    None => return,
                },
            }
        }
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}
