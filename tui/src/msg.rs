//! The messages of the UI: what comes in ([`Msg`]: terminal input, host
//! reports, session events, outcomes of operations) and what `update`
//! asks the tasks to do ([`Effect`]). State changes only in `update`;
//! only tasks talk to agents.

use bytes::Bytes;
use dockyard_client::pb::{ContainerInfo, LaunchRequest};

use crate::state::panes::PaneId;

#[derive(Debug)]
pub enum Msg {
    Terminal(crossterm::event::Event),
    Host {
        host: usize,
        ev: HostEvent,
    },
    Session {
        pane: PaneId,
        ev: SessionEvent,
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
    Up(Vec<ContainerInfo>),
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

/// What `update` asks for; the tasks carry it out and answer with `Msg`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A shell in `container` on `host`, its output to pane `pane`.
    OpenSession {
        pane: PaneId,
        host: usize,
        container: String,
        rows: u16,
        cols: u16,
    },
    Input {
        pane: PaneId,
        data: Bytes,
    },
    Resize {
        pane: PaneId,
        rows: u16,
        cols: u16,
    },
    /// Ends the pane's session (the agent ends the process).
    CloseSession {
        pane: PaneId,
    },
    Stop {
        host: usize,
        id: String,
        name: String,
    },
    Remove {
        host: usize,
        id: String,
        name: String,
    },
    /// Pulls the image if missing, then launches.
    Launch {
        host: usize,
        request: LaunchRequest,
    },
}
