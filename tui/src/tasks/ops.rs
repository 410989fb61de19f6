//! Operations on a host: the lifecycle calls, inspect, pull-and-launch
//! (each in its own task, answering with a `Msg`), and the stats stream.

use dockyard_client::Client;
use dockyard_client::dial::status_text;
use dockyard_client::lifecycle::Options;
use dockyard_client::pb::{ContainerRef, LaunchRequest, StatsRequest};
use dockyard_client::pull::Pull;
use dockyard_client::routed;
use dockyard_client::text::printable;
use tokio::sync::mpsc;

use crate::msg::{LaunchEvent, Lifecycle, Msg};

pub fn spawn_lifecycle(
    client: Client,
    op: Lifecycle,
    id: String,
    name: String,
    msgs: mpsc::Sender<Msg>,
) {
    tokio::spawn(async move {
        // The entry agent of a cluster takes it to the container's node.
        let opts = Options {
            force: true,
            ..Options::default()
        };
        let r = op.apply(&mut client.clone(), None, &id, &opts).await;
        let (text, error) = match r {
            Ok(()) => (format!("{} {name}", op.done()), false),
            Err(s) => (format!("{name}: {}", status_text(&s)), true),
        };
        let _ = msgs.send(Msg::Notice { text, error }).await;
    });
}

/// Fetches a container's inspect JSON for the inspect view.
pub fn spawn_inspect(client: Client, id: String, name: String, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let req = ContainerRef {
            container_identifier: id.clone(),
        };
        let result = client
            .clone()
            .inspect_container(req)
            .await
            .map(|r| r.into_inner().json)
            .map_err(|s| status_text(&s));
        let _ = msgs.send(Msg::Inspected { name, result }).await;
    });
}

/// How often a host's stats reach the UI: the engine samples each
/// container about once a second, spread over the second; one update a
/// second costs one redraw, not one per container.
const STATS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Follows every running container's stats on one host until dropped
/// (the handle aborts it) or the stream ends (the host's watcher then
/// reports it down, and its reconnect starts a new one).
pub fn spawn_stats(
    mut client: Client,
    host: usize,
    msgs: mpsc::Sender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let request = StatsRequest {
            container_identifiers: vec![],
            stream: true,
        };
        let mut stream = match client.container_stats(request).await {
            Ok(s) => s.into_inner(),
            Err(s) => {
                tracing::debug!(host, "no stats: {}", status_text(&s));
                return;
            }
        };
        let mut tick = tokio::time::interval(STATS_EVERY);
        let mut pending = Vec::new();
        loop {
            tokio::select! {
                batch = stream.message() => match batch {
                    Ok(Some(b)) => pending.extend(b.stats),
                    Ok(None) => return,
                    Err(s) => {
                        tracing::debug!(host, "stats ended: {}", status_text(&s));
                        return;
                    }
                },
                _ = tick.tick() => {
                    if pending.is_empty() {
                        continue;
                    }
                    let stats = std::mem::take(&mut pending);
                    if msgs.send(Msg::Stats { host, stats }).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

/// Pulls the image when missing (progress as it comes), then launches.
pub fn spawn_launch(
    mut client: Client,
    node: Option<String>,
    request: LaunchRequest,
    msgs: mpsc::Sender<Msg>,
) {
    tokio::spawn(async move {
        let send = |ev| {
            let msgs = msgs.clone();
            async move {
                let _ = msgs.send(Msg::Launch(ev)).await;
            }
        };
        let node = node.as_deref();
        if let Err(s) = pull(&mut client, node, &request.image, &send).await {
            send(LaunchEvent::Done(Err(status_text(&s)))).await;
            return;
        }
        send(LaunchEvent::Progress("starting…".into())).await;
        let done = match client.launch_container(routed(request, node)).await {
            Ok(resp) => {
                let r = resp.into_inner();
                Ok(if r.name.is_empty() {
                    r.container_id.chars().take(12).collect()
                } else {
                    r.name
                })
            }
            Err(s) => Err(status_text(&s)),
        };
        send(LaunchEvent::Done(done)).await;
    });
}

async fn pull<F, Fut>(
    client: &mut Client,
    node: Option<&str>,
    image: &str,
    send: &F,
) -> Result<(), tonic::Status>
where
    F: Fn(LaunchEvent) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut pull = Pull::start_on(client, node, image).await?;
    while let Some((p, _)) = pull.next().await? {
        send(LaunchEvent::Progress(format!(
            "pulling {}: {} ({})",
            printable(image),
            printable(&p.status),
            pull.tally().text()
        )))
        .await;
    }
    Ok(())
}

/// A host's sessions, for the picker.
pub fn spawn_list_sessions(mut client: Client, host: usize, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let result = client
            .list_sessions(dockyard_client::pb::ListSessionsRequest {})
            .await
            .map(|r| r.into_inner().sessions)
            .map_err(|s| status_text(&s));
        let _ = msgs.send(Msg::Sessions { host, result }).await;
    });
}

/// Ends a session from the picker; the outcome goes to the status line.
pub fn spawn_end_session(mut client: Client, id: String, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let request = dockyard_client::pb::SessionRef {
            session_id: id.clone(),
        };
        let (text, error) = match client.end_session(request).await {
            Ok(_) => (format!("ended session {id}"), false),
            Err(s) => (status_text(&s), true),
        };
        let _ = msgs.send(Msg::Notice { text, error }).await;
    });
}

/// The `.cast` files in `dir` (none when it does not exist yet).
pub fn spawn_list_recordings(dir: std::path::PathBuf, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let read = tokio::task::spawn_blocking(move || list_recordings(&dir)).await;
        let result = read.unwrap_or_else(|e| Err(e.to_string()));
        let _ = msgs.send(Msg::Recordings(result)).await;
    });
}

fn list_recordings(
    dir: &std::path::Path,
) -> Result<Vec<crate::state::recordings::Recording>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    Ok(entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "cast"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let modified = meta
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs() as i64;
            Some(crate::state::recordings::Recording {
                path: e.path(),
                bytes: meta.len(),
                modified,
            })
        })
        .collect())
}
