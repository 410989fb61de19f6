//! Messages into the UI task. Commands go out through each pane's
//! [`PaneInput`](crate::session::PaneInput); a pane's session events come
//! back on the pane's own queue, everything else as an [`AppEvent`] on one
//! channel, and the UI task owns all state.

use bytes::Bytes;
use dockyard_proto::Client;
use dockyard_proto::pb::ContainerInfo;

#[derive(Debug)]
pub enum AppEvent {
    Host {
        host: usize,
        ev: HostEvent,
    },
    Launch(LaunchEvent),
    /// The outcome of a stop or remove, shown in the status line.
    Notice {
        text: String,
        error: bool,
    },
}

#[derive(Debug)]
pub enum HostEvent {
    /// Reachable again, with its first container list: the host's row and
    /// its containers change together, so the list is never shown up but
    /// empty while the first list is on its way.
    Connected(Box<Client>, Vec<ContainerInfo>),
    List(Vec<ContainerInfo>),
    /// Unreachable or dropped, or (`engine_down`) reachable but without
    /// its Docker engine; retried after `retry_in` seconds.
    Down {
        reason: String,
        retry_in: u64,
        engine_down: bool,
    },
}

#[derive(Debug)]
pub enum SessionEvent {
    Started,
    Output(Bytes),
    Exited { code: i32, message: String },
    Failed(String),
}

#[derive(Debug)]
pub enum LaunchEvent {
    Progress(String),
    Done(Result<String, String>),
}
