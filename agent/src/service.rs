//! The gRPC service: translates each RPC into engine calls. Thin on
//! purpose; the work lives in `containers`, `exec` and `conversation`.

use std::sync::Arc;

use dockyard_proto::pb::{
    self, ExecRequest, ExecResponse, dockyard_service_server::DockyardService,
};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::{Request, Response, Status, Streaming};

use crate::audit::Audit;
use crate::auth::Caller;
use crate::auth::Forwarded;
use crate::containers::{self, Lifecycle};
use crate::conversation::{self, OUTPUT_QUEUE};
use crate::engine::Engine;
use crate::error::AgentError;
use crate::fleet::Fleet;
use crate::sessions::{SessionConfig, Sessions};

#[derive(Clone)]
pub struct Agent {
    engine: Arc<Engine>,
    tasks: TaskTracker,
    sessions: Sessions,
    audit: Arc<Audit>,
    /// The node this agent serves and its peers (None: the embedded
    /// agent, which names no node).
    fleet: Option<Fleet>,
}

impl Agent {
    /// `shutdown` ends every running exec and session (each client still
    /// gets its final status) when cancelled.
    pub fn new(
        engine: Arc<Engine>,
        config: SessionConfig,
        audit: Arc<Audit>,
        shutdown: CancellationToken,
    ) -> Self {
        let tasks = TaskTracker::new();
        // The debug helpers agents on this host left when they died.
        if tokio::runtime::Handle::try_current().is_ok() {
            tasks.spawn(crate::debug::remove_leftovers(engine.clone()));
        }
        let sessions = Sessions::new(
            config,
            Arc::new(crate::sessions::runtime::Docker::new(engine.clone())),
            audit.clone(),
            shutdown,
            tasks.clone(),
        );
        Agent {
            engine,
            tasks,
            sessions,
            audit,
            fleet: None,
        }
    }

    /// This agent's own containers, named by its node.
    fn own(&self, containers: &mut [pb::ContainerInfo]) {
        let node = self.node_name();
        containers.iter_mut().for_each(|c| c.node.clone_from(&node));
    }

    /// The agent as a node of `fleet`: its lists name the node, and gather
    /// the peers'.
    pub fn in_fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    fn node_name(&self) -> String {
        self.fleet
            .as_ref()
            .map(|f| f.me().name.clone())
            .unwrap_or_default()
    }

    /// The fleet to gather a list from: none when this agent answers alone
    /// (no peers, or the request came from a peer, which gathers itself).
    fn gathering<T>(&self, req: &Request<T>) -> Option<&Fleet> {
        let from_peer = req.extensions().get::<Forwarded>().is_some();
        self.fleet.as_ref().filter(|_| !from_peer)
    }

    /// The running exec conversations and sessions, to wait for after
    /// `shutdown`.
    pub fn tasks(&self) -> TaskTracker {
        self.tasks.clone()
    }
}

/// Where an error leaves the agent: engine trouble (which names the
/// engine's address) goes to the log too, since the operator reads that.
/// The client reads the cause in the `dockyard-cause` metadata.
fn fail(e: AgentError) -> Status {
    if matches!(e, AgentError::EngineUnavailable { .. }) {
        tracing::warn!("{e}");
    }
    e.into_status()
}

type BoxStream<T> = std::pin::Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl DockyardService for Agent {
    async fn launch_container(
        &self,
        request: Request<pb::LaunchRequest>,
    ) -> Result<Response<pb::LaunchResponse>, Status> {
        let req = request.into_inner();
        tracing::info!(image = req.image, name = req.name, "launch");
        Ok(Response::new(
            containers::launch(&self.engine, req).await.map_err(fail)?,
        ))
    }

    async fn stop_container(
        &self,
        request: Request<pb::StopRequest>,
    ) -> Result<Response<pb::StopResponse>, Status> {
        let req = request.into_inner();
        tracing::info!(container = req.container_identifier, "stop");
        containers::stop(&self.engine, &req.container_identifier, req.timeout_seconds)
            .await
            .map_err(fail)?;
        Ok(Response::new(pb::StopResponse {
            success: true,
            message: format!("Container '{}' stopped", req.container_identifier),
        }))
    }

    type ExecContainerStream = ReceiverStream<Result<ExecResponse, Status>>;

    async fn exec_container(
        &self,
        request: Request<Streaming<ExecRequest>>,
    ) -> Result<Response<Self::ExecContainerStream>, Status> {
        let caller = Caller::of(&request);
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(OUTPUT_QUEUE);
        self.tasks.spawn(conversation::run(
            self.engine.clone(),
            self.sessions.clone(),
            self.audit.clone(),
            caller,
            inbound,
            tx,
        ));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn list_containers(
        &self,
        request: Request<pb::ListContainersRequest>,
    ) -> Result<Response<pb::ListContainersResponse>, Status> {
        let caller = Caller::of(&request);
        let fleet = self.gathering(&request).cloned();
        let all = request.into_inner().all;
        let mut containers = containers::list(&self.engine, all).await.map_err(fail)?;
        self.own(&mut containers);
        let mut unreachable = Vec::new();
        if let Some(fleet) = fleet {
            let (answers, missing) = fleet
                .gather(&caller, |mut peer, metadata| async move {
                    let mut req = Request::new(pb::ListContainersRequest { all });
                    *req.metadata_mut() = metadata;
                    peer.client.list_containers(req).await
                })
                .await;
            for (node, r) in answers {
                containers.extend(r.into_inner().containers.into_iter().map(|mut c| {
                    c.node.clone_from(&node);
                    c
                }));
            }
            unreachable = missing;
        }
        Ok(Response::new(pb::ListContainersResponse {
            containers,
            unreachable,
        }))
    }

    async fn remove_container(
        &self,
        request: Request<pb::RemoveRequest>,
    ) -> Result<Response<pb::RemoveResponse>, Status> {
        let req = request.into_inner();
        tracing::info!(
            container = req.container_identifier,
            force = req.force,
            "remove"
        );
        containers::remove(&self.engine, &req.container_identifier, req.force)
            .await
            .map_err(fail)?;
        Ok(Response::new(pb::RemoveResponse {
            success: true,
            message: format!("Container '{}' removed", req.container_identifier),
        }))
    }

    type WatchContainersStream = BoxStream<pb::ListContainersResponse>;

    async fn watch_containers(
        &self,
        request: Request<pb::ListContainersRequest>,
    ) -> Result<Response<Self::WatchContainersStream>, Status> {
        let caller = Caller::of(&request);
        let fleet = self.gathering(&request).cloned();
        let all = request.into_inner().all;
        let stream = containers::watch(self.engine.clone(), all)
            .await
            .map_err(fail)?;
        let me = self.clone();
        let local = Box::pin(stream.map(move |r| {
            r.map(|mut containers| {
                me.own(&mut containers);
                pb::ListContainersResponse {
                    containers,
                    unreachable: Vec::new(),
                }
            })
            .map_err(fail)
        }));
        match fleet {
            None => Ok(Response::new(local)),
            Some(fleet) => {
                let node = self.node_name();
                Ok(Response::new(crate::fleet::watch::gathered(
                    fleet, caller, all, node, local,
                )))
            }
        }
    }

    type PullImageStream = BoxStream<pb::PullProgress>;

    async fn pull_image(
        &self,
        request: Request<pb::PullRequest>,
    ) -> Result<Response<Self::PullImageStream>, Status> {
        let req = request.into_inner();
        tracing::info!(image = req.image, "pull");
        let stream = containers::pull(&self.engine, req.image, req.only_if_missing)
            .await
            .map_err(fail)?;
        Ok(Response::new(Box::pin(stream.map(|r| r.map_err(fail)))))
    }

    type ContainerLogsStream = BoxStream<pb::LogsChunk>;

    async fn container_logs(
        &self,
        request: Request<pb::LogsRequest>,
    ) -> Result<Response<Self::ContainerLogsStream>, Status> {
        let req = request.into_inner();
        tracing::debug!(
            container = req.container_identifier,
            follow = req.follow,
            "logs"
        );
        let stream = crate::logs::logs(self.engine.clone(), req)
            .await
            .map_err(fail)?;
        Ok(Response::new(Box::pin(stream.map(|r| r.map_err(fail)))))
    }

    type ContainerStatsStream = BoxStream<pb::StatsResponse>;

    async fn container_stats(
        &self,
        request: Request<pb::StatsRequest>,
    ) -> Result<Response<Self::ContainerStatsStream>, Status> {
        let caller = Caller::of(&request);
        let fleet = self.gathering(&request).cloned();
        let req = request.into_inner();
        // Every running container of a cluster: every node's stream.
        let everyone = req.container_identifiers.is_empty();
        let stream = crate::stats::stats(self.engine.clone(), req.clone())
            .await
            .map_err(fail)?;
        let local: BoxStream<pb::StatsResponse> = Box::pin(stream.map(|r| r.map_err(fail)));
        match fleet {
            Some(fleet) if everyone => Ok(Response::new(crate::fleet::watch::stats_gathered(
                fleet, caller, req, local,
            ))),
            _ => Ok(Response::new(local)),
        }
    }

    async fn inspect_container(
        &self,
        request: Request<pb::ContainerRef>,
    ) -> Result<Response<pb::InspectResponse>, Status> {
        let name = request.into_inner().container_identifier;
        let json = containers::inspect(&self.engine, &name)
            .await
            .map_err(fail)?;
        Ok(Response::new(pb::InspectResponse { json }))
    }

    async fn restart_container(
        &self,
        request: Request<pb::RestartRequest>,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        let req = request.into_inner();
        let op = Lifecycle::Restart {
            timeout: req.timeout_seconds,
        };
        self.lifecycle(req.container_identifier, op, "restarted")
            .await
    }

    async fn pause_container(
        &self,
        request: Request<pb::ContainerRef>,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        let name = request.into_inner().container_identifier;
        self.lifecycle(name, Lifecycle::Pause, "paused").await
    }

    async fn unpause_container(
        &self,
        request: Request<pb::ContainerRef>,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        let name = request.into_inner().container_identifier;
        self.lifecycle(name, Lifecycle::Unpause, "unpaused").await
    }

    async fn kill_container(
        &self,
        request: Request<pb::KillRequest>,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        let req = request.into_inner();
        let op = Lifecycle::Kill { signal: req.signal };
        self.lifecycle(req.container_identifier, op, "killed").await
    }

    async fn version(
        &self,
        _request: Request<pb::VersionRequest>,
    ) -> Result<Response<pb::VersionResponse>, Status> {
        Ok(Response::new(Agent::version(self).await.map_err(fail)?))
    }

    async fn stat_path(
        &self,
        request: Request<pb::PathRequest>,
    ) -> Result<Response<pb::PathStat>, Status> {
        let req = request.into_inner();
        Ok(Response::new(
            crate::archive::stat(&self.engine, req)
                .await
                .map_err(fail)?,
        ))
    }

    async fn list_path(
        &self,
        request: Request<pb::PathRequest>,
    ) -> Result<Response<pb::PathListing>, Status> {
        let req = request.into_inner();
        Ok(Response::new(
            crate::archive::list(&self.engine, req)
                .await
                .map_err(fail)?,
        ))
    }

    type CopyFromStream = BoxStream<pb::ArchiveChunk>;

    async fn copy_from(
        &self,
        request: Request<pb::PathRequest>,
    ) -> Result<Response<Self::CopyFromStream>, Status> {
        let caller = Caller::of(&request);
        let req = request.into_inner();
        tracing::info!(
            container = req.container_identifier,
            path = req.path,
            %caller,
            "copy from"
        );
        let stream = crate::archive::copy_from(self.engine.clone(), req)
            .await
            .map_err(fail)?;
        Ok(Response::new(Box::pin(stream.map(|r| r.map_err(fail)))))
    }

    async fn copy_to(
        &self,
        request: Request<tonic::Streaming<pb::CopyToRequest>>,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        let caller = Caller::of(&request);
        let mut stream = request.into_inner();
        let first = stream
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("no request"))?;
        tracing::info!(
            container = first.container_identifier,
            path = first.path,
            %caller,
            "copy to"
        );
        crate::archive::copy_to(&self.engine, first, stream)
            .await
            .map_err(fail)?;
        Ok(Response::new(pb::ActionResponse {
            success: true,
            message: String::new(),
        }))
    }

    async fn list_nodes(
        &self,
        request: Request<pb::ListNodesRequest>,
    ) -> Result<Response<pb::ListNodesResponse>, Status> {
        let me = self
            .fleet
            .as_ref()
            .map(|f| f.me().clone())
            .unwrap_or_default();
        let (version, error) = match Agent::version(self).await {
            Ok(v) => (Some(v), String::new()),
            Err(e) => (None, e.to_string()),
        };
        let mut nodes = vec![pb::NodeInfo {
            name: me.name,
            node_id: me.node_id,
            hostname: me.hostname,
            address: String::new(),
            up: error.is_empty(),
            error,
            version,
            entry: true,
        }];
        if let Some(fleet) = self.gathering(&request) {
            nodes.extend(fleet.nodes());
        }
        Ok(Response::new(pb::ListNodesResponse { nodes }))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let caller = Caller::of(&request);
        let node = self.node_name();
        let mut sessions = self.sessions.list(&caller);
        sessions.iter_mut().for_each(|s| s.node.clone_from(&node));
        let mut unreachable = Vec::new();
        if let Some(fleet) = self.gathering(&request) {
            let (answers, missing) = fleet
                .gather(&caller, |mut peer, metadata| async move {
                    let mut req = Request::new(pb::ListSessionsRequest {});
                    *req.metadata_mut() = metadata;
                    peer.client.list_sessions(req).await
                })
                .await;
            for (node, r) in answers {
                sessions.extend(r.into_inner().sessions.into_iter().map(|mut s| {
                    s.node.clone_from(&node);
                    s
                }));
            }
            unreachable = missing;
        }
        Ok(Response::new(pb::ListSessionsResponse {
            sessions,
            unreachable,
        }))
    }

    async fn end_session(
        &self,
        request: Request<pb::SessionRef>,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        let caller = Caller::of(&request);
        let id = request.into_inner().session_id;
        tracing::info!(session = id, %caller, "end session");
        self.sessions.end(&id, &caller).await.map_err(fail)?;
        Ok(Response::new(pb::ActionResponse {
            success: true,
            message: format!("Session {id} ended"),
        }))
    }
}

impl Agent {
    async fn version(&self) -> Result<pb::VersionResponse, AgentError> {
        let docker = self.engine.docker().await?;
        let v = docker.version().await.map_err(|e| self.engine.error(e))?;
        Ok(pb::VersionResponse {
            agent_version: env!("CARGO_PKG_VERSION").into(),
            engine_version: v.version.unwrap_or_default(),
            engine_api_version: v.api_version.unwrap_or_default(),
            api_version: self.engine.api_version().await?,
            os: v.os.unwrap_or_default(),
            arch: v.arch.unwrap_or_default(),
            kernel_version: v.kernel_version.unwrap_or_default(),
            node: self.node_name(),
        })
    }

    async fn lifecycle(
        &self,
        name: String,
        op: Lifecycle,
        done: &str,
    ) -> Result<Response<pb::ActionResponse>, Status> {
        tracing::info!(container = name, ?op, "lifecycle");
        containers::lifecycle(&self.engine, &name, op)
            .await
            .map_err(fail)?;
        Ok(Response::new(pb::ActionResponse {
            success: true,
            message: format!("Container '{name}' {done}"),
        }))
    }
}
