//! The panes: each one value (its terminal screen, what runs in it, its
//! state), all of them owned here together with the split tree that
//! places them and the zoom, so that none can be in one and not the
//! other.

use std::collections::BTreeMap;

use ratatui::layout::{Direction, Rect};

use crate::term::copy::CopyMode;
use crate::term::layout::Layout;
pub use crate::term::layout::PaneId;
use crate::term::screen::TermScreen;

/// What a pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneKind {
    /// The container's shell (bash, else sh), with a TTY.
    Shell,
    /// A command the user chose, with a TTY.
    Command(ExecSpec),
    /// The container's log, followed; read-only.
    Logs { timestamps: bool },
    /// A file of the container, read-only (from the files view).
    File { path: String },
    /// A recording played back (`dockyard replay --tui FILE`).
    Replay { file: std::path::PathBuf },
    /// A debug shell (`dockyard debug`): the container's files, processes
    /// and network, the toolbox image's programs.
    Debug { image: String },
    /// A session the agent kept (detached earlier, or left when the last
    /// UI quit), attached again; `command` is what it runs.
    Attached {
        session_id: String,
        command: Vec<String>,
        /// The node of a cluster it runs on (empty: the host's agent).
        node: String,
    },
}

/// A replay's position, for the pane's title.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayStatus {
    pub at: f64,
    pub total: f64,
    pub speed: f64,
    pub paused: bool,
    pub ended: bool,
}

/// A command to run in a pane, from the command dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSpec {
    pub command: Vec<String>,
    pub user: String,
    pub workdir: String,
    pub env: std::collections::HashMap<String, String>,
}

/// A search in a pane's lines: what, and the line (counted from the
/// oldest kept) of the current match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneState {
    Starting,
    Running,
    /// The connection broke; attaching again (the session runs on).
    Reconnecting,
    Exited(i32),
    Failed(String),
}

pub struct Pane {
    pub id: PaneId,
    pub host: usize,
    /// The host's label when the pane opened, for its title.
    pub host_label: String,
    pub container: String,
    pub kind: PaneKind,
    pub term: TermScreen,
    pub state: PaneState,
    pub search: Option<Search>,
    /// Opened together with others from marked containers: the group a
    /// broadcast reaches.
    pub group: Option<u32>,
    /// The agent's durable session behind the pane, once started (none
    /// for logs, or on an agent that keeps no sessions).
    pub session_id: Option<String>,
    /// The node of a cluster its session runs on, when it was named (to
    /// come back to it).
    pub node: String,
    /// Waiting for its host to be connected before its session opens (a
    /// pane restored from the last workspace).
    pub pending: bool,
    /// Where its output is being recorded (`Ctrl-a r`).
    pub recording: Option<std::path::PathBuf>,
    /// A replay's position.
    pub replay: Option<ReplayStatus>,
    /// Copy mode, while it is on.
    pub copy: Option<CopyMode>,
}

impl Pane {
    /// A pane about to start what `kind` says, its screen sized later.
    pub fn new(
        id: PaneId,
        host: usize,
        host_label: String,
        container: String,
        kind: PaneKind,
    ) -> Self {
        Pane {
            id,
            host,
            host_label,
            container,
            kind,
            term: TermScreen::new(24, 80),
            state: PaneState::Starting,
            search: None,
            group: None,
            session_id: None,
            node: String::new(),
            pending: false,
            recording: None,
            replay: None,
            copy: None,
        }
    }

    /// The pane keeping `limits` of history (the config's
    /// `history_limit` and `history_bytes`).
    pub fn with_history(mut self, limits: dockyard_term::Limits) -> Self {
        let (rows, cols) = self.term.size();
        self.term = TermScreen::with_limits(rows, cols, limits);
        self
    }

    pub fn is_live(&self) -> bool {
        matches!(
            self.state,
            PaneState::Starting | PaneState::Running | PaneState::Reconnecting
        )
    }

    /// Read-only, scrolled and searched as a log: a log or a file.
    pub fn is_logs(&self) -> bool {
        matches!(self.kind, PaneKind::Logs { .. } | PaneKind::File { .. })
    }

    pub fn is_replay(&self) -> bool {
        matches!(self.kind, PaneKind::Replay { .. })
    }

    /// `host/container [exited 0]`, `host/container logs`, `host/container:
    /// top -d 1`, escaped.
    pub fn title(&self) -> String {
        use dockyard_client::text::printable;
        let state = match (&self.state, &self.kind) {
            (PaneState::Starting, _) if self.pending => " waiting for its host".to_string(),
            (PaneState::Starting, _) => " starting".to_string(),
            (PaneState::Running, _) => String::new(),
            (PaneState::Reconnecting, _) => " [reconnecting]".to_string(),
            (PaneState::Exited(_), PaneKind::Logs { .. }) => " [ended]".to_string(),
            (PaneState::Exited(_), PaneKind::File { .. }) => " (read-only)".to_string(),
            (PaneState::Exited(c), _) => format!(" [exited {c}]"),
            (PaneState::Failed(_), _) => " [failed]".to_string(),
        };
        let what = match &self.kind {
            PaneKind::Shell => String::new(),
            PaneKind::Debug { .. } => " debug".to_string(),
            PaneKind::Command(spec) => format!(": {}", printable(&spec.command.join(" "))),
            PaneKind::Attached { command, .. } => format!(": {}", printable(&command.join(" "))),
            PaneKind::Replay { file } => {
                let name = file.file_name().map_or_else(
                    || file.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                let pos = self.replay.map_or(String::new(), |r| {
                    let clock = |s: f64| format!("{}:{:02}", s as u64 / 60, s as u64 % 60);
                    let how = if r.ended {
                        "■"
                    } else if r.paused {
                        "⏸"
                    } else {
                        "▶"
                    };
                    format!(" {how} {}/{} x{}", clock(r.at), clock(r.total), r.speed)
                });
                return format!("replay {}{pos}", printable(&name));
            }
            PaneKind::Logs { timestamps: false } => " logs".to_string(),
            PaneKind::Logs { timestamps: true } => " logs (timestamps)".to_string(),
            PaneKind::File { path } => format!(":{}", printable(path)),
        };
        let rec = if self.recording.is_some() {
            " ● REC"
        } else {
            ""
        };
        let copy = if self.copy.is_some() { " [copy]" } else { "" };
        format!(
            "{}/{}{what}{state}{rec}{copy}",
            printable(&self.host_label),
            printable(&self.container)
        )
    }
}

#[derive(Default)]
pub struct Panes {
    panes: BTreeMap<PaneId, Pane>,
    layout: Layout,
    zoomed: Option<PaneId>,
    next_id: PaneId,
}

impl Panes {
    pub fn is_empty(&self) -> bool {
        self.panes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.panes.len()
    }

    pub fn get(&self, id: PaneId) -> Option<&Pane> {
        self.panes.get(&id)
    }

    pub fn get_mut(&mut self, id: PaneId) -> Option<&mut Pane> {
        self.panes.get_mut(&id)
    }

    pub fn contains(&self, id: PaneId) -> bool {
        self.panes.contains_key(&id)
    }

    /// The id the next pane will get.
    pub fn next_id(&self) -> PaneId {
        self.next_id + 1
    }

    /// Places a new pane beside `target` (or the last pane) along `dir`.
    pub fn insert(&mut self, target: Option<PaneId>, dir: Direction, pane: Pane) {
        let id = pane.id;
        self.next_id = self.next_id.max(id);
        let target = target
            .filter(|t| self.contains(*t))
            .or_else(|| self.order().last().copied());
        self.layout.insert(target, id, dir);
        self.panes.insert(id, pane);
        self.zoomed = None;
    }

    pub fn remove(&mut self, id: PaneId) -> Option<Pane> {
        self.layout.remove(id);
        if self.zoomed == Some(id) {
            self.zoomed = None;
        }
        self.panes.remove(&id)
    }

    /// Panes in layout order (left to right, top to bottom).
    pub fn order(&self) -> Vec<PaneId> {
        self.layout.panes()
    }

    pub fn zoomed(&self) -> Option<PaneId> {
        self.zoomed
    }

    /// The split tree, to save the workspace.
    pub fn tree(&self) -> Option<&crate::term::layout::Node> {
        self.layout.root()
    }

    /// Panes placed by a saved split tree (the workspace of the last run),
    /// on no panes yet. Every pane in `tree` must be in `panes`.
    pub fn restore(&mut self, tree: crate::term::layout::Node, panes: Vec<Pane>) {
        for p in panes {
            self.next_id = self.next_id.max(p.id);
            self.panes.insert(p.id, p);
        }
        self.layout = Layout::from_root(tree);
    }

    pub fn set_zoom(&mut self, id: Option<PaneId>) {
        self.zoomed = id.filter(|id| self.contains(*id));
    }

    /// Each shown pane's outer area within `area`: the zoomed one alone,
    /// or all of them as the split tree places them.
    pub fn areas(&self, area: Rect) -> Vec<(PaneId, Rect)> {
        match self.zoomed {
            Some(z) => vec![(z, area)],
            None => self.layout.areas(area),
        }
    }
}

/// A pane's terminal area inside its border.
pub fn inner(outer: Rect) -> Rect {
    Rect::new(
        outer.x.saturating_add(1),
        outer.y.saturating_add(1),
        outer.width.saturating_sub(2).max(1),
        outer.height.saturating_sub(2).max(1),
    )
}
