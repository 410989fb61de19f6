//! One task per host: connect, watch its containers, report; when the
//! agent is unreachable or the watch breaks, say so and retry with backoff
//! (1 s doubling to 30 s). The other hosts carry on.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use dockyard_client::Client;
use dockyard_client::dial::status_text;
use dockyard_client::pb::{ContainerInfo, ListContainersRequest};
use tokio::sync::mpsc;

use crate::msg::HostEvent;

/// How long a connected agent may take to send its first list.
const FIRST_LIST: Duration = Duration::from_secs(30);

pub type ConnectFuture = Pin<Box<dyn Future<Output = Result<Client, String>> + Send>>;

/// How to reach one host; called again on every reconnect.
pub struct Target {
    pub name: crate::state::hosts::HostName,
    pub connect: Box<dyn Fn() -> ConnectFuture + Send + Sync>,
}

/// What a host's watcher reports to the UI task. `Connected` carries the
/// client, which the tasks keep (the state never holds one).
#[derive(Debug)]
pub enum HostReport {
    Connected(Box<Client>, Vec<ContainerInfo>),
    Event(HostEvent),
}

pub type Reports = mpsc::Sender<(usize, HostReport)>;

pub fn spawn_watchers(targets: Vec<Target>, events: Reports) {
    for (host, target) in targets.into_iter().enumerate() {
        let events = events.clone();
        tokio::spawn(async move {
            let mut backoff = 1u64;
            loop {
                let dropped = match watch_once(host, &target, &events, &mut backoff).await {
                    Ok(()) => return,
                    Err(d) => d,
                };
                let down = HostEvent::Down {
                    reason: dropped.reason,
                    retry_in: backoff,
                    engine_down: dropped.engine_down,
                };
                if events.send((host, HostReport::Event(down))).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(backoff)).await;
                backoff = (backoff * 2).min(30);
            }
        });
    }
}

/// Why a host's watch ended.
struct Dropped {
    reason: String,
    /// The agent answered, saying its Docker engine is unavailable.
    engine_down: bool,
}

impl From<String> for Dropped {
    fn from(reason: String) -> Self {
        Dropped {
            reason,
            engine_down: false,
        }
    }
}

impl From<&str> for Dropped {
    fn from(reason: &str) -> Self {
        reason.to_string().into()
    }
}

impl From<tonic::Status> for Dropped {
    fn from(s: tonic::Status) -> Self {
        Dropped {
            reason: status_text(&s),
            engine_down: dockyard_client::is_engine_unavailable(&s),
        }
    }
}

/// Ok when the UI has gone away; Err when the host dropped.
async fn watch_once(
    host: usize,
    target: &Target,
    events: &Reports,
    backoff: &mut u64,
) -> Result<(), Dropped> {
    let mut client = (target.connect)().await?;
    let mut stream = client
        .watch_containers(ListContainersRequest { all: true })
        .await?
        .into_inner();
    // An agent whose engine hangs would otherwise leave the row saying
    // "retrying" forever, with no retry coming.
    let (first, down) = match tokio::time::timeout(FIRST_LIST, stream.message()).await {
        Ok(Ok(Some(list))) => (list.containers, nodes_down(&list.unreachable)),
        Ok(Ok(None)) => return Err("the agent closed the container watch".into()),
        Ok(Err(s)) => return Err(s.into()),
        Err(_) => return Err("the agent sent no container list".into()),
    };
    *backoff = 1;
    let connected = HostReport::Connected(Box::new(client), first);
    if events.send((host, connected)).await.is_err() {
        return Ok(());
    }
    let down = HostReport::Event(HostEvent::NodesDown(down));
    if events.send((host, down)).await.is_err() {
        return Ok(());
    }
    loop {
        match stream.message().await {
            Ok(Some(list)) => {
                let down = nodes_down(&list.unreachable);
                let ev = HostReport::Event(HostEvent::List(list.containers));
                if events.send((host, ev)).await.is_err() {
                    return Ok(());
                }
                let ev = HostReport::Event(HostEvent::NodesDown(down));
                if events.send((host, ev)).await.is_err() {
                    return Ok(());
                }
            }
            Ok(None) => return Err("the agent closed the container watch".into()),
            Err(s) => return Err(s.into()),
        }
    }
}

fn nodes_down(unreachable: &[dockyard_client::pb::NodeError]) -> Vec<(String, String)> {
    unreachable
        .iter()
        .map(|u| (u.node.clone(), u.error.clone()))
        .collect()
}
