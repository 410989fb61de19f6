//! Container and image operations on the engine: list, launch, stop,
//! remove, pull. Each takes wire messages in and gives wire messages out,
//! so the gRPC service stays a thin translation.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, CreateImageInfo, EventMessage, HostConfig,
    PortBinding as DockerPortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, ListContainersOptions, RemoveContainerOptions,
    StopContainerOptions,
};
use dockyard_proto::pb;
use futures::{Stream, StreamExt};

use crate::engine::Engine;
use crate::error::AgentError;

pub async fn list(engine: &Engine, all: bool) -> Result<Vec<pb::ContainerInfo>, AgentError> {
    let docker = engine.docker().await?;
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all,
            ..Default::default()
        }))
        .await
        .map_err(|e| engine.error(e))?;
    let list: Vec<pb::ContainerInfo> = list
        .into_iter()
        .filter(|c| engine.shows(c.labels.as_ref().unwrap_or(&HashMap::new())))
        .map(|c| pb::ContainerInfo {
            id: c.id.unwrap_or_default(),
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            image: c.image.unwrap_or_default(),
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            status: c.status.unwrap_or_default(),
            created: c.created.unwrap_or_default(),
            ports: c
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|p| pb::PortMapping {
                    ip: p.ip.unwrap_or_default(),
                    private_port: p.private_port.into(),
                    public_port: p.public_port.map(u32::from).unwrap_or_default(),
                    protocol: p.typ.map(|t| t.to_string()).unwrap_or_default(),
                })
                .collect(),
            labels: c.labels.unwrap_or_default(),
            command: c.command.unwrap_or_default(),
            image_id: c.image_id.unwrap_or_default(),
            // The service names the node.
            node: String::new(),
            state_age_ms: None,
        })
        .collect();
    Ok(list)
}

/// [`list`] with each container's `state_age_ms`, for a watch: its client
/// keeps the list and ages it. (A one-off list, as `ps` asks for, goes
/// without: its words are fresh, and the ages cost an inspect per
/// container the first time.)
async fn list_aged(engine: &Engine, all: bool) -> Result<Vec<pb::ContainerInfo>, AgentError> {
    let mut list = list(engine, all).await?;
    let listed: Vec<crate::ages::Listed> = list
        .iter()
        .map(|c| crate::ages::Listed {
            id: &c.id,
            state: &c.state,
            status: &c.status,
        })
        .collect();
    let docker = engine.docker().await?;
    let ages = engine.ages().of(docker, &listed, all).await;
    for (c, age) in list.iter_mut().zip(ages) {
        c.state_age_ms = age;
    }
    Ok(list)
}

fn restart_policy(s: &str) -> Result<Option<RestartPolicy>, AgentError> {
    let bad = || {
        AgentError::InvalidArgument(format!(
            "invalid restart policy '{s}': use no, always, unless-stopped or on-failure[:N]"
        ))
    };
    let (name, retries) = match s.split_once(':') {
        Some((n, r)) => (n, Some(r.parse::<i64>().map_err(|_| bad())?)),
        None => (s, None),
    };
    let name = match name {
        "" => return Ok(None),
        "no" => RestartPolicyNameEnum::NO,
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => return Err(bad()),
    };
    if retries.is_some() && name != RestartPolicyNameEnum::ON_FAILURE {
        return Err(bad());
    }
    Ok(Some(RestartPolicy {
        name: Some(name),
        maximum_retry_count: retries,
    }))
}

/// The engine's port settings: the exposed ports, and their bindings.
type Ports = (Vec<String>, HashMap<String, Option<Vec<DockerPortBinding>>>);

fn port_bindings(ports: &[pb::PortBinding]) -> Result<Ports, AgentError> {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<DockerPortBinding>>> = HashMap::new();
    for p in ports {
        let proto = if p.protocol.is_empty() {
            "tcp"
        } else {
            p.protocol.as_str()
        };
        if !matches!(proto, "tcp" | "udp" | "sctp") {
            return Err(AgentError::InvalidArgument(format!(
                "invalid port protocol '{proto}'"
            )));
        }
        if p.container_port == 0 || p.container_port > 65535 || p.host_port > 65535 {
            return Err(AgentError::InvalidArgument(format!(
                "invalid port mapping {}:{}",
                p.host_port, p.container_port
            )));
        }
        let key = format!("{}/{proto}", p.container_port);
        exposed.push(key.clone());
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_default()
            .push(DockerPortBinding {
                host_ip: (!p.host_ip.is_empty()).then(|| p.host_ip.clone()),
                host_port: (p.host_port != 0).then(|| p.host_port.to_string()),
            });
    }
    Ok((exposed, bindings))
}

/// The create request for a launch, validated.
fn container_body(req: &pb::LaunchRequest) -> Result<ContainerCreateBody, AgentError> {
    let restart = restart_policy(&req.restart_policy)?;
    let (exposed, bindings) = port_bindings(&req.ports)?;
    let mut env: Vec<String> = req
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    env.sort();
    Ok(ContainerCreateBody {
        image: Some(req.image.clone()),
        cmd: (!req.command.is_empty()).then(|| req.command.clone()),
        env: (!env.is_empty()).then_some(env),
        labels: (!req.labels.is_empty()).then(|| req.labels.clone()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(HostConfig {
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            restart_policy: restart,
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// Creates and starts a container, pulling its image first when missing.
pub async fn launch(
    engine: &Engine,
    req: pb::LaunchRequest,
) -> Result<pb::LaunchResponse, AgentError> {
    if req.image.trim().is_empty() {
        return Err(AgentError::InvalidArgument("no image given".into()));
    }
    let body = container_body(&req)?;
    let docker = engine.docker().await?;
    if docker.inspect_image(&req.image).await.is_err() {
        let mut pull = pull(engine, req.image.clone(), false).await?;
        while let Some(p) = pull.next().await {
            p?;
        }
    }
    let opts = CreateContainerOptions {
        name: (!req.name.is_empty()).then(|| req.name.clone()),
        ..Default::default()
    };
    let created = docker
        .create_container(Some(opts), body)
        .await
        .map_err(|e| engine.error_about(e, || AgentError::ImageNotFound(req.image.clone())))?;
    start_created(engine, docker, &created.id).await?;
    let name = docker
        .inspect_container(&created.id, None)
        .await
        .ok()
        .and_then(|i| i.name)
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_default();
    Ok(pb::LaunchResponse {
        success: true,
        container_id: created.id,
        message: "Container started".into(),
        name,
    })
}

/// Starts a just-created container, removing it if it cannot start.
async fn start_created(engine: &Engine, docker: &Docker, id: &str) -> Result<(), AgentError> {
    if let Err(e) = docker.start_container(id, None).await {
        // A container that cannot start (bad command, port taken) would
        // otherwise be left behind in "created".
        let _ = docker
            .remove_container(
                id,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
        return Err(engine.error(e));
    }
    Ok(())
}

pub async fn stop(engine: &Engine, name: &str, timeout: Option<u32>) -> Result<(), AgentError> {
    crate::exec::check_container_name(name)?;
    engine.check_owned(name).await?;
    let docker = engine.docker().await?;
    let opts = StopContainerOptions {
        t: timeout.map(|t| t.min(i32::MAX as u32) as i32),
        ..Default::default()
    };
    docker
        .stop_container(name, Some(opts))
        .await
        .map_err(|e| engine.error_about(e, || AgentError::ContainerNotFound(name.into())))
}

pub async fn remove(engine: &Engine, name: &str, force: bool) -> Result<(), AgentError> {
    crate::exec::check_container_name(name)?;
    engine.check_owned(name).await?;
    let docker = engine.docker().await?;
    docker
        .remove_container(
            name,
            Some(RemoveContainerOptions {
                force,
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| engine.error_about(e, || AgentError::ContainerNotFound(name.into())))
}

/// Splits "repo:tag" / "repo@digest" the way the engine's create-image call
/// wants it; "host:5000/repo" has a colon that is not a tag.
fn split_reference(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// Container event actions that change what a list shows. Exec events
/// (exec_create, exec_start, exec_die) are container events too, and are
/// left out: every shell opened would otherwise re-list.
const LIST_CHANGING: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "stop",
    "kill",
    "destroy",
    "rename",
    "pause",
    "unpause",
    "health_status",
    "oom",
];

const STATUS_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

pub type WatchStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<Vec<pb::ContainerInfo>, AgentError>> + Send>>;

/// The list now, then a fresh list after each burst of container events.
/// Events that arrive together (a `docker rm -f` sends kill, die, destroy)
/// make one update.
pub async fn watch(engine: std::sync::Arc<Engine>, all: bool) -> Result<WatchStream, AgentError> {
    let docker = engine.docker().await?.clone();
    let filters: HashMap<String, Vec<String>> = [
        ("type".to_string(), vec!["container".to_string()]),
        (
            "event".to_string(),
            LIST_CHANGING.iter().map(|s| s.to_string()).collect(),
        ),
    ]
    .into();
    let events = docker.events(Some(bollard::query_parameters::EventsOptions {
        filters: Some(filters),
        ..Default::default()
    }));
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(send_lists(engine, all, events, tx));
    Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
}

type ListTx = tokio::sync::mpsc::Sender<Result<Vec<pb::ContainerInfo>, AgentError>>;

/// The watch's task: a list, then one per burst of `events`, until the
/// client leaves or the events end.
async fn send_lists<S>(engine: std::sync::Arc<Engine>, all: bool, mut events: S, tx: ListTx)
where
    S: Stream<Item = Result<EventMessage, bollard::errors::Error>> + Unpin,
{
    // Subscribed before the first list, so nothing falls between.
    if tx.send(list_aged(&engine, all).await).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    let _ = tx.send(Err(engine.error(e))).await;
                    return;
                }
                None => {
                    let _ = tx.send(Err(engine.unavailable("event stream ended"))).await;
                    return;
                }
            },
            _ = tx.closed() => return,
            // Status texts ("Up 5 minutes") age without events; a
            // slow refresh keeps them honest.
            _ = tokio::time::sleep(STATUS_REFRESH) => {}
        }
        let ended = rest_of_burst(&mut events).await;
        if tx.send(list_aged(&engine, all).await).await.is_err() {
            return;
        }
        if ended {
            let _ = tx.send(Err(engine.unavailable("event stream ended"))).await;
            return;
        }
    }
}

/// Coalesce the rest of the burst: waits until events pause. True when the
/// event stream ended (or failed) meanwhile.
async fn rest_of_burst<S, T, E>(events: &mut S) -> bool
where
    S: Stream<Item = Result<T, E>> + Unpin,
{
    let quiet = tokio::time::sleep(std::time::Duration::from_millis(50));
    tokio::pin!(quiet);
    let mut ended = false;
    while !ended {
        tokio::select! {
            _ = &mut quiet => break,
            ev = events.next() => ended = !matches!(ev, Some(Ok(_))),
        }
    }
    ended
}

pub type PullStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<pb::PullProgress, AgentError>> + Send>>;

/// Pulls an image, yielding the engine's progress per layer; the last item
/// has `done` set. With `only_if_missing`, a present image answers at once.
pub async fn pull(
    engine: &Engine,
    image: String,
    only_if_missing: bool,
) -> Result<PullStream, AgentError> {
    if image.trim().is_empty() {
        return Err(AgentError::InvalidArgument("no image given".into()));
    }
    let docker = engine.docker().await?.clone();
    if only_if_missing && docker.inspect_image(&image).await.is_ok() {
        let done = pb::PullProgress {
            status: "Image is present".into(),
            done: true,
            already_present: true,
            ..Default::default()
        };
        return Ok(Box::pin(futures::stream::iter([Ok(done)])));
    }
    let (repo, tag) = split_reference(&image);
    let opts = CreateImageOptions {
        from_image: Some(repo),
        tag: (!tag.is_empty()).then_some(tag),
        ..Default::default()
    };
    let at = engine.addr().uri();
    let progress = docker
        .create_image(Some(opts), None, None)
        .map(move |item| pull_progress(item, &image, &at))
        .chain(futures::stream::iter([Ok(pb::PullProgress {
            status: "Pull complete".into(),
            done: true,
            ..Default::default()
        })]));
    // The `done` item must not follow an error.
    let progress = progress.scan(false, |failed, item| {
        if *failed {
            return futures::future::ready(None);
        }
        *failed = item.is_err();
        futures::future::ready(Some(item))
    });
    Ok(Box::pin(progress))
}

/// The engine's inspect JSON for one container, its bytes as the engine
/// sent them (so `dockyard inspect` can print what `docker inspect` does).
pub async fn inspect(engine: &Engine, name: &str) -> Result<String, AgentError> {
    use http_body_util::BodyExt;
    crate::exec::check_container_name(name)?;
    engine.check_owned(name).await?;
    let res = engine
        .get(&format!("/containers/{name}/json"), || {
            AgentError::ContainerNotFound(name.into())
        })
        .await?;
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| engine.unavailable(crate::error::innermost(&e)))?
        .to_bytes();
    String::from_utf8(body.to_vec())
        .map_err(|_| AgentError::Engine("the engine's inspect answer is not UTF-8".into()))
}

/// Restart, pause, unpause or kill: the lifecycle calls that take a
/// container and little else.
#[derive(Debug, Clone)]
pub enum Lifecycle {
    Restart { timeout: Option<u32> },
    Pause,
    Unpause,
    Kill { signal: String },
}

pub async fn lifecycle(engine: &Engine, name: &str, op: Lifecycle) -> Result<(), AgentError> {
    use bollard::query_parameters::{KillContainerOptions, RestartContainerOptions};
    crate::exec::check_container_name(name)?;
    engine.check_owned(name).await?;
    let docker = engine.docker().await?;
    let result = match op {
        Lifecycle::Restart { timeout } => {
            docker
                .restart_container(
                    name,
                    Some(RestartContainerOptions {
                        t: timeout.map(|t| t.min(i32::MAX as u32) as i32),
                        signal: None,
                    }),
                )
                .await
        }
        Lifecycle::Pause => docker.pause_container(name).await,
        Lifecycle::Unpause => docker.unpause_container(name).await,
        Lifecycle::Kill { signal } => {
            let signal = if signal.is_empty() {
                "KILL".to_string()
            } else {
                signal
            };
            if !signal
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-')
            {
                return Err(AgentError::InvalidArgument(format!(
                    "invalid signal '{}'",
                    signal.escape_debug()
                )));
            }
            docker
                .kill_container(name, Some(KillContainerOptions { signal }))
                .await
        }
    };
    result.map_err(|e| engine.error_about(e, || AgentError::ContainerNotFound(name.into())))
}

/// One item of the engine's pull progress, for the wire. `at` is the
/// engine's address: the stream outlives the borrow of the engine.
fn pull_progress(
    item: Result<CreateImageInfo, bollard::errors::Error>,
    image: &str,
    at: &str,
) -> Result<pb::PullProgress, AgentError> {
    let info = match item {
        Ok(info) => info,
        Err(e) => {
            return Err(
                match AgentError::from_docker(e, at, || AgentError::ImageNotFound(image.into())) {
                    AgentError::Engine(m) => {
                        AgentError::Engine(format!("cannot pull '{image}': {m}"))
                    }
                    other => other,
                },
            );
        }
    };
    if let Some(err) = info.error_detail.and_then(|d| d.message) {
        return Err(AgentError::Engine(format!("cannot pull '{image}': {err}")));
    }
    let detail = info.progress_detail.unwrap_or_default();
    Ok(pb::PullProgress {
        layer: info.id.unwrap_or_default(),
        status: info.status.unwrap_or_default(),
        current: detail.current.unwrap_or_default().max(0) as u64,
        total: detail.total.unwrap_or_default().max(0) as u64,
        done: false,
        already_present: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        assert_eq!(
            split_reference("busybox"),
            ("busybox".into(), "latest".into())
        );
        assert_eq!(
            split_reference("busybox:1.36"),
            ("busybox".into(), "1.36".into())
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/x/y"),
            ("127.0.0.1:5000/x/y".into(), "latest".into())
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/x:t"),
            ("127.0.0.1:5000/x".into(), "t".into())
        );
    }

    #[test]
    fn restart_policies() {
        assert!(restart_policy("").expect("empty").is_none());
        assert!(restart_policy("always").is_ok());
        assert!(restart_policy("on-failure:3").is_ok());
        assert!(restart_policy("always:3").is_err());
        assert!(restart_policy("sometimes").is_err());
    }
}
