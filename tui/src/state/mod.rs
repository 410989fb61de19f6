//! Everything the UI knows, as plain data: testable without a terminal
//! or an agent. Changed only by `update`; read by `ui` to draw.

pub mod exec_form;
pub mod files;
pub mod forwards;
pub mod hosts;
pub mod inspect;
pub mod launch_form;
pub mod list;
pub mod panes;
pub mod recordings;
pub mod sessions;
pub mod stats;
pub mod workspace;

use ratatui::layout::Rect;

use crate::input::Keymap;
use dockyard_client::lifecycle::Lifecycle;
use exec_form::ExecForm;
use hosts::{ContainerKey, HostName, Reach};
use inspect::InspectView;
use launch_form::LaunchForm;
use list::ContainerList;
use panes::{Pane, PaneId, PaneKind, Panes};
use sessions::{OnQuit, SessionsPicker};
use stats::StatsStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Pane(PaneId),
}

/// A destructive operation (stop, remove, restart, kill) waiting for the
/// user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub op: Lifecycle,
    pub container: ContainerKey,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// The leader was pressed; the next key is a command.
    Leader,
    /// Typing the list's filter.
    Filter,
    /// Every binding; the number is how far it is scrolled.
    Help(u16),
    Confirm(Confirm),
    Launch(LaunchForm),
    /// The command dialog: what to run in a new pane.
    Exec(ExecForm),
    /// A container's configuration (waiting for it, or shown).
    Inspect(InspectView),
    /// A container's files, browsed.
    Files(files::FilesView),
    /// Typing which port of a container to forward (`8080:80`, `:80`).
    ForwardPrompt {
        container: ContainerKey,
        name: String,
        text: String,
        error: Option<String>,
    },
    /// The port forwards, one selected.
    Forwards(usize),
    /// The last minute of a container's CPU, memory and network.
    Stats {
        container: ContainerKey,
        name: String,
    },
    /// Typing what to search for in a logs pane, or in a pane in copy
    /// mode (`up`: towards older lines).
    Search {
        pane: PaneId,
        query: String,
        up: bool,
    },
    /// The sessions the hosts keep, to attach one in a pane.
    Sessions(SessionsPicker),
    /// The recordings made with `Ctrl-a r`, to play one in a pane.
    Recordings(recordings::RecordingsPicker),
    /// Quitting with sessions open on remote agents: keep or end them?
    QuitSessions {
        count: usize,
    },
    /// Quitting with shells open on the local engine, which end with the
    /// TUI (its agent runs in this process): quit anyway?
    QuitLocal {
        count: usize,
    },
}

/// Which panes receive what is typed, while broadcast is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    /// The panes opened together from marked containers (group `n`).
    Group(u32),
    /// Every pane (turned on in a pane that belongs to no group).
    All,
}

/// A press of the left button in a pane, which may become a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub pane: PaneId,
    pub at: crate::term::copy::Point,
    /// 1, 2 or 3: a click, a double or a triple click.
    pub clicks: u8,
    pub when: std::time::Instant,
    /// Where on the screen.
    pub column: u16,
    pub row: u16,
}

/// A line in the status bar: an outcome, or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

pub struct State {
    pub list: ContainerList,
    pub panes: Panes,
    pub focus: Focus,
    pub mode: Mode,
    pub notice: Option<Notice>,
    pub keymap: Keymap,
    /// Live figures from the hosts' stats streams, while they run.
    pub stats: StatsStore,
    /// Whether the stats streams were asked for (see `wants_stats`).
    pub stats_on: bool,
    /// Where keys and pastes typed in a pane also go (`Ctrl-a s`).
    pub broadcast: Option<Broadcast>,
    /// The last group of panes opened together from marks.
    pub last_group: u32,
    /// The whole terminal.
    pub area: Rect,
    /// How much history each pane keeps.
    pub history: dockyard_term::Limits,
    /// The relative times last drawn ([`State::ages_digest`]).
    pub ages_shown: u64,
    /// The toolbox image of debug shells (and of port forwards).
    pub debug_image: String,
    /// The port forwards started here.
    pub forwards: forwards::Forwards,
    pub quit: bool,
    /// What quitting does with the panes' sessions (config `on_quit`).
    pub on_quit: OnQuit,
    /// Quitting leaves the panes' sessions running (and the workspace is
    /// saved to be restored).
    pub keep_sessions: bool,
    /// Where `Ctrl-a r` puts recordings (None: nowhere to put them).
    pub recordings_dir: Option<std::path::PathBuf>,
    /// The text copy mode or the mouse copied last, for `Ctrl-a ]`.
    pub paste_buffer: Option<String>,
    /// The left button held down in a pane (a selection may follow).
    pub press: Option<Press>,
    /// The last click, to tell a double or triple click.
    pub last_click: Option<Press>,
}

/// Where everything goes on screen, computed from the state for one
/// frame; drawing, pane sizes and mouse hit-testing all use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameLayout {
    pub list: Option<Rect>,
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Rect,
}

impl State {
    /// A digest of the relative times on screen as of `now` (the list's
    /// ages, a picker's "5 minutes ago"): when it changes, the screen is
    /// drawn again; otherwise an idle TUI draws nothing.
    pub fn ages_digest(&self, now: std::time::Instant) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.list.statuses_digest(now).hash(&mut h);
        if let Mode::Recordings(picker) = &self.mode {
            for r in picker.files.iter().flatten() {
                r.ago().hash(&mut h);
            }
        }
        h.finish()
    }

    pub fn new(hosts: Vec<HostName>, keymap: Keymap) -> Self {
        State {
            history: dockyard_term::Limits::default(),
            ages_shown: 0,
            debug_image: dockyard_client::DEFAULT_DEBUG_IMAGE.to_string(),
            forwards: Default::default(),
            list: ContainerList::new(hosts),
            panes: Panes::default(),
            focus: Focus::List,
            mode: Mode::Normal,
            notice: None,
            keymap,
            stats: StatsStore::default(),
            stats_on: false,
            broadcast: None,
            last_group: 0,
            area: Rect::new(0, 0, 80, 24),
            quit: false,
            on_quit: OnQuit::default(),
            keep_sessions: false,
            recordings_dir: None,
            paste_buffer: None,
            press: None,
            last_click: None,
        }
    }

    /// The live panes on hosts reached as `reach` that `also` accepts.
    fn live_panes(&self, reach: Reach, also: impl Fn(&Pane) -> bool) -> Vec<PaneId> {
        self.panes
            .order()
            .into_iter()
            .filter(|id| {
                self.panes.get(*id).is_some_and(|p| {
                    p.is_live()
                        && also(p)
                        && self.list.hosts().get(p.host).map(|h| h.reach) == Some(reach)
                })
            })
            .collect()
    }

    /// Live shells and commands on the local engine (the agent embedded in
    /// this process): what quitting ends.
    pub fn local_live_panes(&self) -> usize {
        let shell = |p: &Pane| {
            matches!(
                p.kind,
                PaneKind::Shell
                    | PaneKind::Debug { .. }
                    | PaneKind::Command(_)
                    | PaneKind::Attached { .. }
            )
        };
        self.live_panes(Reach::Embedded, shell).len()
    }

    /// Live panes whose sessions a remote agent keeps: what quitting may
    /// leave running. (The agent embedded for `local` ends with this
    /// process, and its sessions with it.)
    pub fn durable_panes(&self) -> Vec<PaneId> {
        self.live_panes(Reach::Remote, |p| p.session_id.is_some())
    }

    /// The panes a key typed in `from` goes to: with broadcast on and
    /// `from` in its scope, every live pane of the scope that takes input
    /// (shells and commands, not logs); otherwise `from` alone.
    pub fn input_targets(&self, from: PaneId) -> Vec<PaneId> {
        let receives = |id: &PaneId| {
            self.panes.get(*id).is_some_and(|p| {
                p.is_live()
                    && !p.is_logs()
                    && match self.broadcast {
                        Some(Broadcast::Group(g)) => p.group == Some(g),
                        Some(Broadcast::All) => true,
                        None => false,
                    }
            })
        };
        if receives(&from) {
            self.panes.order().into_iter().filter(receives).collect()
        } else {
            vec![from]
        }
    }

    pub fn focused_pane(&self) -> Option<PaneId> {
        match self.focus {
            Focus::Pane(p) if self.panes.contains(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the hosts' stats streams should run: only while something
    /// shows their figures (the list, or the stats view).
    pub fn wants_stats(&self) -> bool {
        matches!(self.mode, Mode::Stats { .. }) || self.panes.zoomed().is_none()
    }

    pub fn frame(&self) -> FrameLayout {
        let area = self.area;
        let status = Rect::new(
            area.x,
            area.bottom().saturating_sub(1),
            area.width,
            1.min(area.height),
        );
        let body = Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1));
        if self.panes.zoomed().is_some() {
            return FrameLayout {
                list: None,
                panes: self.panes.areas(body),
                status,
            };
        }
        if self.panes.is_empty() {
            return FrameLayout {
                list: Some(body),
                panes: vec![],
                status,
            };
        }
        // The list takes what its rows need, up to a third of the screen.
        let want = self.list.rows().len() as u16 + 3 + self.list.hosts_down() as u16;
        let list_h = want.clamp(4, (body.height / 3).max(4)).min(body.height);
        let list = Rect::new(body.x, body.y, body.width, list_h);
        let rest = Rect::new(body.x, body.y + list_h, body.width, body.height - list_h);
        FrameLayout {
            list: Some(list),
            panes: self.panes.areas(rest),
            status,
        }
    }

    /// The first table row shown in a list drawn at `area`: the smallest
    /// scroll that keeps the selection visible. Drawing and clicking both
    /// use it, so a click lands on the row under the pointer.
    pub fn list_offset(&self, area: Rect) -> usize {
        let visible = usize::from(area.height.saturating_sub(3)).max(1);
        let down = self.list.hosts_down();
        // Nothing selected (no containers): from the top, hosts first.
        let selected_row = self.list.selected_index().map_or(0, |i| down + i);
        (selected_row + 1).saturating_sub(visible)
    }
}
