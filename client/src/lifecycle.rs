//! The lifecycle operations (stop, remove, restart, pause, unpause, kill),
//! their words and their RPCs, once for the CLI's commands and the TUI's
//! keys. In a cluster, a request that names no node is taken to the
//! container's node by the entry agent itself.

use crate::pb::{ContainerRef, KillRequest, RemoveRequest, RestartRequest, StopRequest};
use crate::{Client, routed};

/// What can be done to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Stop,
    Remove,
    Restart,
    Pause,
    Unpause,
    Kill,
}

/// How, as docker's commands take it: `-t` for stop and restart, `-f` for
/// rm, `-s` for kill. The defaults are docker's (the container's own stop
/// timeout, no force, SIGKILL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub timeout: Option<u32>,
    pub force: bool,
    /// Empty: KILL.
    pub signal: String,
}

impl Lifecycle {
    /// Carries it out on `container` (on the cluster's node `node`, when
    /// named).
    pub async fn apply(
        self,
        client: &mut Client,
        node: Option<&str>,
        container: &str,
        opts: &Options,
    ) -> Result<(), tonic::Status> {
        let container_identifier = container.to_string();
        let r = ContainerRef {
            container_identifier: container_identifier.clone(),
        };
        match self {
            Lifecycle::Stop => {
                let req = StopRequest {
                    container_identifier,
                    timeout_seconds: opts.timeout,
                };
                client.stop_container(routed(req, node)).await.map(drop)
            }
            Lifecycle::Remove => {
                let req = RemoveRequest {
                    container_identifier,
                    force: opts.force,
                };
                client.remove_container(routed(req, node)).await.map(drop)
            }
            Lifecycle::Restart => {
                let req = RestartRequest {
                    container_identifier,
                    timeout_seconds: opts.timeout,
                };
                client.restart_container(routed(req, node)).await.map(drop)
            }
            Lifecycle::Pause => client.pause_container(routed(r, node)).await.map(drop),
            Lifecycle::Unpause => client.unpause_container(routed(r, node)).await.map(drop),
            Lifecycle::Kill => {
                let req = KillRequest {
                    container_identifier,
                    signal: opts.signal.clone(),
                };
                client.kill_container(routed(req, node)).await.map(drop)
            }
        }
    }

    /// "stopping", while it runs.
    pub fn doing(self) -> &'static str {
        match self {
            Lifecycle::Stop => "stopping",
            Lifecycle::Remove => "removing",
            Lifecycle::Restart => "restarting",
            Lifecycle::Pause => "pausing",
            Lifecycle::Unpause => "unpausing",
            Lifecycle::Kill => "killing",
        }
    }

    /// "stopped", when it is done.
    pub fn done(self) -> &'static str {
        match self {
            Lifecycle::Stop => "stopped",
            Lifecycle::Remove => "removed",
            Lifecycle::Restart => "restarted",
            Lifecycle::Pause => "paused",
            Lifecycle::Unpause => "unpaused",
            Lifecycle::Kill => "killed",
        }
    }

    /// The question a destructive one asks first ("Stop web?").
    pub fn verb(self) -> &'static str {
        match self {
            Lifecycle::Stop => "Stop",
            Lifecycle::Remove => "Remove",
            Lifecycle::Restart => "Restart",
            Lifecycle::Pause => "Pause",
            Lifecycle::Unpause => "Unpause",
            Lifecycle::Kill => "Kill",
        }
    }
}
