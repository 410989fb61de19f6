//! Resource usage, many containers on one stream: one engine stats stream
//! per container, merged; with no containers named, every running one,
//! following starts and stops through the engine's events. Figures are
//! computed as `docker stats` computes them (cli/command/container/
//! stats_helpers.go), so the two agree.

use std::collections::HashMap;
use std::sync::Arc;

use bollard::Docker;
use bollard::models::{ContainerStatsResponse, EventMessage};
use bollard::query_parameters::{EventsOptions, ListContainersOptions, StatsOptions};
use dockyard_proto::pb;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::check_container_name;

pub type StatsStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<pb::StatsResponse, AgentError>> + Send>>;

/// Samples waiting for the client; beyond it the per-container tasks wait
/// (and the engine's samples wait with them).
const QUEUE: usize = 256;

pub async fn stats(engine: Arc<Engine>, req: pb::StatsRequest) -> Result<StatsStream, AgentError> {
    let docker = engine.docker().await?.clone();
    let follow_all = req.container_identifiers.is_empty();
    // The event stream is only requested when first polled, after the
    // listing: asking for events since a moment before the listing means
    // no start falls between the two (one already listed is skipped).
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().saturating_sub(1).to_string())
        .ok();
    let events = (follow_all && req.stream).then(|| container_events(&docker, since));
    let mut targets = Vec::new();
    if follow_all {
        let running = docker
            .list_containers(None::<ListContainersOptions>)
            .await
            .map_err(|e| engine.error(e))?;
        targets.extend(
            running
                .into_iter()
                .filter(|c| engine.shows(c.labels.as_ref().unwrap_or(&HashMap::new())))
                .filter_map(|c| c.id),
        );
    } else {
        for name in &req.container_identifiers {
            check_container_name(name)?;
            engine.check_owned(name).await?;
            let info = docker.inspect_container(name, None).await.map_err(|e| {
                engine.error_about(e, || AgentError::ContainerNotFound(name.clone()))
            })?;
            targets.push(info.id.unwrap_or_else(|| name.clone()));
        }
    }
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(supervise(
        engine.clone(),
        docker,
        targets,
        req.stream,
        events,
        tx,
    ));
    let rx = tokio_stream::wrappers::ReceiverStream::new(rx);
    Ok(Box::pin(
        rx.ready_chunks(QUEUE)
            .map(|stats| Ok(pb::StatsResponse { stats })),
    ))
}

type Events =
    std::pin::Pin<Box<dyn Stream<Item = Result<EventMessage, bollard::errors::Error>> + Send>>;

fn container_events(docker: &Docker, since: Option<String>) -> Events {
    let filters: HashMap<String, Vec<String>> = [
        ("type".to_string(), vec!["container".to_string()]),
        (
            "event".to_string(),
            ["start", "die", "destroy"].map(String::from).to_vec(),
        ),
    ]
    .into();
    Box::pin(docker.events(Some(EventsOptions {
        since,
        filters: Some(filters),
        ..Default::default()
    })))
}

/// Runs the per-container streams until the client leaves (or, without
/// `events`, until every stream has ended). A container whose stream ends
/// or that dies is reported once as `gone`.
async fn supervise(
    engine: Arc<Engine>,
    docker: Docker,
    targets: Vec<String>,
    stream: bool,
    mut events: Option<Events>,
    tx: mpsc::Sender<pb::ContainerStats>,
) {
    let mut tasks = JoinSet::new();
    let mut running: HashMap<String, tokio::task::AbortHandle> = HashMap::new();
    for id in targets {
        let handle = tasks.spawn(follow(docker.clone(), id.clone(), stream, tx.clone()));
        running.insert(id, handle);
    }
    let gone = |id: String| pb::ContainerStats {
        id,
        gone: true,
        ..Default::default()
    };
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            ended = tasks.join_next(), if !tasks.is_empty() => {
                if let Some(Ok(id)) = ended {
                    running.remove(&id);
                    if stream && tx.send(gone(id)).await.is_err() {
                        return;
                    }
                }
            }
            ev = next_event(&mut events) => {
                let Some(ev) = ev else {
                    // The engine's events ended: keep the streams we have.
                    events = None;
                    continue;
                };
                let Some(actor) = ev.actor else { continue };
                let Some(id) = actor.id else { continue };
                // An event carries the container's labels among its
                // attributes: one this agent does not own is not followed.
                let labels = actor.attributes.unwrap_or_default();
                let action = ev.action.unwrap_or_default();
                if action == "start" && !running.contains_key(&id) && engine.shows(&labels) {
                    let handle = tasks.spawn(follow(docker.clone(), id.clone(), stream, tx.clone()));
                    running.insert(id, handle);
                } else if action != "start" && let Some(handle) = running.remove(&id) {
                    handle.abort();
                    if tx.send(gone(id)).await.is_err() {
                        return;
                    }
                }
            }
        }
        if tasks.is_empty() && events.is_none() {
            return;
        }
    }
}

/// The next event, or pending forever without an event stream.
async fn next_event(events: &mut Option<Events>) -> Option<EventMessage> {
    match events {
        Some(ev) => match ev.next().await {
            Some(Ok(e)) => Some(e),
            Some(Err(e)) => {
                tracing::debug!("stats: engine events failed: {e}");
                None
            }
            None => None,
        },
        None => std::future::pending().await,
    }
}

/// One container's samples, until its engine stream ends. Returns its id.
async fn follow(
    docker: Docker,
    id: String,
    stream: bool,
    tx: mpsc::Sender<pb::ContainerStats>,
) -> String {
    let mut samples = docker.stats(
        &id,
        Some(StatsOptions {
            stream,
            one_shot: false,
        }),
    );
    while let Some(s) = samples.next().await {
        match s {
            Ok(s) => {
                if tx.send(sample(&id, s)).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                tracing::debug!(container = id, "stats ended: {e}");
                break;
            }
        }
    }
    id
}

/// One engine sample as `docker stats` shows it.
fn sample(id: &str, s: ContainerStatsResponse) -> pb::ContainerStats {
    let (usage, limit) = memory(&s);
    let (block_read, block_write) = block_io(&s);
    let nets = s.networks.clone().unwrap_or_default();
    pb::ContainerStats {
        id: s.id.clone().unwrap_or_else(|| id.to_string()),
        name: s
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        cpu_percent: cpu_percent(&s),
        memory_usage: usage,
        memory_limit: limit,
        memory_percent: if limit == 0 {
            0.0
        } else {
            usage as f64 / limit as f64 * 100.0
        },
        net_rx: nets.values().filter_map(|n| n.rx_bytes).sum(),
        net_tx: nets.values().filter_map(|n| n.tx_bytes).sum(),
        block_read,
        block_write,
        pids: s.pids_stats.and_then(|p| p.current).unwrap_or_default(),
        gone: false,
        read_unix_nanos: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or_default(),
    }
}

/// docker's calculateCPUPercentUnix: the container's share of the host's
/// CPU time since the previous sample, times the CPUs (100 = one core).
fn cpu_percent(s: &ContainerStatsResponse) -> f64 {
    let total = |c: &Option<bollard::models::ContainerCpuStats>| {
        c.as_ref()
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or_default() as f64
    };
    let system = |c: &Option<bollard::models::ContainerCpuStats>| {
        c.as_ref()
            .and_then(|c| c.system_cpu_usage)
            .unwrap_or_default() as f64
    };
    let cpu_delta = total(&s.cpu_stats) - total(&s.precpu_stats);
    let system_delta = system(&s.cpu_stats) - system(&s.precpu_stats);
    let cpus = s.cpu_stats.as_ref().map_or(0.0, |c| match c.online_cpus {
        Some(n) if n > 0 => n as f64,
        _ => c
            .cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(0.0, |p| p.len() as f64),
    });
    if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    }
}

/// docker's calculateMemUsageUnixNoCache: usage less inactive file pages
/// (cgroup v1 `total_inactive_file`, v2 `inactive_file`), and the limit.
fn memory(s: &ContainerStatsResponse) -> (u64, u64) {
    let Some(m) = &s.memory_stats else {
        return (0, 0);
    };
    let usage = m.usage.unwrap_or_default();
    let stats = m.stats.clone().unwrap_or_default();
    let inactive = match stats.get("total_inactive_file") {
        Some(&v) if v < usage => Some(v),
        Some(_) => None,
        None => stats.get("inactive_file").copied().filter(|&v| v < usage),
    };
    (usage - inactive.unwrap_or(0), m.limit.unwrap_or_default())
}

/// Bytes read and written, summed over devices as docker sums them.
fn block_io(s: &ContainerStatsResponse) -> (u64, u64) {
    let mut read = 0;
    let mut write = 0;
    let entries = s
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref());
    for e in entries.into_iter().flatten() {
        let value = e.value.unwrap_or_default();
        match e.op.as_deref().and_then(|op| op.bytes().next()) {
            Some(b'r' | b'R') => read += value,
            Some(b'w' | b'W') => write += value,
            _ => {}
        }
    }
    (read, write)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample as this machine's engine (cgroup v1) sends it, cut down.
    const SAMPLE: &str = r#"{
        "id": "abc", "name": "/web",
        "cpu_stats": {"cpu_usage": {"total_usage": 3000000000, "percpu_usage": [1, 2]},
                      "system_cpu_usage": 20000000000, "online_cpus": 2},
        "precpu_stats": {"cpu_usage": {"total_usage": 2000000000},
                         "system_cpu_usage": 18000000000},
        "memory_stats": {"usage": 10485760, "limit": 104857600,
                         "stats": {"total_inactive_file": 2097152, "inactive_file": 1}},
        "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 7}, "eth1": {"rx_bytes": 1, "tx_bytes": 1}},
        "blkio_stats": {"io_service_bytes_recursive": [
            {"major": 8, "minor": 0, "op": "Read", "value": 4096},
            {"major": 8, "minor": 0, "op": "Write", "value": 512},
            {"major": 8, "minor": 16, "op": "read", "value": 4},
            {"major": 8, "minor": 0, "op": "Total", "value": 4612}]},
        "pids_stats": {"current": 3}
    }"#;

    #[test]
    fn figures_as_docker_stats_computes_them() {
        let s: ContainerStatsResponse = serde_json::from_str(SAMPLE).expect("sample parses");
        let got = sample("x", s);
        // 1e9 of 2e9 ns system time, two CPUs: one whole core.
        assert!(
            (got.cpu_percent - 100.0).abs() < 1e-9,
            "{}",
            got.cpu_percent
        );
        assert_eq!(got.memory_usage, 10485760 - 2097152);
        assert_eq!(got.memory_limit, 104857600);
        assert!((got.memory_percent - 8.0).abs() < 1e-9);
        assert_eq!((got.net_rx, got.net_tx), (101, 8));
        assert_eq!((got.block_read, got.block_write), (4100, 512));
        assert_eq!(
            (got.pids, got.name.as_str(), got.id.as_str()),
            (3, "web", "abc")
        );
    }

    #[test]
    fn cgroup_v2_and_missing_fields() {
        let s: ContainerStatsResponse = serde_json::from_str(
            r#"{"memory_stats": {"usage": 100, "limit": 0, "stats": {"inactive_file": 40}},
                "cpu_stats": {"cpu_usage": {"total_usage": 5}, "system_cpu_usage": 5},
                "precpu_stats": {"cpu_usage": {"total_usage": 9}, "system_cpu_usage": 1}}"#,
        )
        .expect("parses");
        let got = sample("x", s);
        assert_eq!(got.memory_usage, 60);
        assert_eq!(got.memory_percent, 0.0);
        // The counter went backwards (a restart): no figure rather than a
        // negative one.
        assert_eq!(got.cpu_percent, 0.0);
        assert_eq!(got.id, "x");
    }
}
