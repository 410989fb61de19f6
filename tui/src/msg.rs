//! The messages of the UI: what comes in ([`Msg`]: terminal input, host
//! reports, session events, outcomes of operations) and what `update`
//! asks the tasks to do ([`Effect`]). State changes only in `update`;
//! only tasks talk to agents.

use bytes::Bytes;
use dockyard_client::pb::{ContainerInfo, ContainerStats, LaunchRequest, SessionInfo};

use crate::state::panes::{PaneId, PaneKind};

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
    /// Samples from a host's stats stream.
    Stats {
        host: usize,
        stats: Vec<ContainerStats>,
    },
    /// A container's inspect JSON (or why there is none).
    Inspected {
        name: String,
        result: Result<String, String>,
    },
    /// The outcome of a lifecycle operation, shown in the status line.
    Notice {
        text: String,
        error: bool,
    },
    /// The recordings directory's files, for the picker.
    Recordings(Result<Vec<crate::state::recordings::Recording>, String>),
    /// A host's sessions, for the picker (or why they could not be had).
    Sessions {
        host: usize,
        result: Result<Vec<SessionInfo>, String>,
    },
    /// One of the schedule's clocks (`schedule`).
    Tick(Tick),
    Files(FilesEvent),
    Forward {
        id: u32,
        news: crate::state::forwards::ForwardNews,
    },
}

/// What the files view hears back.
#[derive(Debug)]
pub enum FilesEvent {
    /// A directory's entries (and whether the agent cut the list), or
    /// why not.
    Listed {
        path: String,
        /// The entries and whether the agent cut the list; None when the
        /// path is not a directory (a link to a file).
        result: Result<Option<(Vec<dockyard_client::pb::PathEntry>, bool)>, String>,
        /// The entry to select (coming back up from it).
        select: Option<String>,
    },
    /// A copy's progress, or how it ended.
    Copy {
        text: String,
        done: bool,
        error: bool,
    },
}

/// The schedule's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Relative times on screen ("Up 5 seconds") may have moved on.
    Ages,
    /// An open sessions picker asks its hosts again (IDLE and STATE
    /// change at the agent).
    Sessions,
}

#[derive(Debug)]
pub enum HostEvent {
    /// Reachable again, with its first container list: the host's row and
    /// its containers change together, so the list is never shown up but
    /// empty while the first list is on its way.
    Up(Vec<ContainerInfo>),
    List(Vec<ContainerInfo>),
    /// Nodes of the host's cluster that do not answer, and why (their
    /// containers are missing from its list); sent with every list.
    NodesDown(Vec<(String, String)>),
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
    /// Running; `session_id` is the agent's durable session (empty when
    /// the agent keeps none for it).
    Started {
        session_id: String,
        /// The node of a cluster it runs on, when named (empty otherwise).
        node: String,
    },
    Output(Bytes),
    Exited {
        code: i32,
        message: String,
        /// CommandNotFound: the runtime found no such command (a shell pane
        /// on an image without a shell).
        cause: dockyard_client::Cause,
    },
    Failed(String),
    /// The connection to the agent broke; the session is being attached
    /// again (it runs on at the agent meanwhile).
    Reconnecting(String),
    /// Attached again after a lost connection.
    Resumed,
    /// This many bytes typed while reconnecting were more than the pane
    /// holds, and were all dropped (none of them sent).
    InputDropped(usize),
    /// This pane left the session, which runs on at the agent.
    Detached,
    /// The pane's recording could not be written (and is off).
    RecordingFailed(String),
    /// A replay went back: the pane's screen starts blank again.
    Reset,
    /// Where a replay is.
    Replay(ReplayStatus),
}

/// A replay's position (pane state, told by its task).
pub use crate::state::panes::ReplayStatus;

/// What a replay pane's keys ask of the player.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayCtl {
    /// Pause or play (at the end: from the start again).
    Pause,
    /// Seconds forward (or back, negative).
    Seek(f64),
    Faster,
    Slower,
}

#[derive(Debug)]
pub enum LaunchEvent {
    Progress(String),
    Done(Result<String, String>),
}

/// What `update` asks for; the tasks carry it out and answer with `Msg`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The screen changed without news of its own (an age moved on): a
    /// frame is wanted (the schedule's, not the runner's).
    Draw,
    /// Text for the system clipboard: OSC 52 to the outer terminal (which
    /// works over SSH, and in tmux with `set-clipboard on`).
    Clipboard(String),
    /// What `kind` says (a shell, a command, the logs) in `container` on
    /// `host`, its output to pane `pane`.
    OpenSession {
        pane: PaneId,
        host: usize,
        container: String,
        kind: PaneKind,
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
    /// Leaves the pane's session running at its agent.
    DetachSession {
        pane: PaneId,
    },
    /// Plays a recording in pane `pane`.
    OpenReplay {
        pane: PaneId,
        file: std::path::PathBuf,
    },
    ReplayControl {
        pane: PaneId,
        ctl: ReplayCtl,
    },
    /// Starts recording the pane's output to a file (with its header), or
    /// stops it (None).
    Record {
        pane: PaneId,
        to: Option<(std::path::PathBuf, dockyard_cast::Header)>,
    },
    /// The sessions of every connected host, for the picker.
    ListSessions,
    /// The `.cast` files in a directory, for the recordings picker.
    ListRecordings(std::path::PathBuf),
    /// Ends a session from the picker.
    EndSession {
        host: usize,
        id: String,
    },
    Lifecycle {
        host: usize,
        id: String,
        name: String,
        op: Lifecycle,
    },
    Inspect {
        host: usize,
        id: String,
        name: String,
    },
    /// Listens for forward `id` and carries its connections to `remote`
    /// of `container` (a name) on `host`, as `spec` says.
    StartForward {
        id: u32,
        host: usize,
        container: String,
        spec: String,
        toolbox: String,
    },
    /// Ends forward `id` (its listeners and connections).
    StopForward {
        id: u32,
    },
    /// The entries of a directory of a container, for the files view.
    ListPath {
        host: usize,
        id: String,
        path: String,
        select: Option<String>,
    },
    /// A container path saved to a local one (`docker cp c:SRC DEST`).
    SaveFile {
        host: usize,
        id: String,
        source: String,
        to: String,
    },
    /// A local path put into a container's directory (`docker cp SRC
    /// c:DIR`).
    PutFile {
        host: usize,
        id: String,
        from: String,
        dir: String,
    },
    /// Starts (or ends) a stats stream per connected host.
    WatchStats {
        on: bool,
    },
    /// Pulls the image if missing, then launches.
    Launch {
        host: usize,
        /// A node of the host's cluster (None: the host's own).
        node: Option<String>,
        request: LaunchRequest,
    },
}

/// What can be done to a container from the list.
pub use dockyard_client::lifecycle::Lifecycle;
