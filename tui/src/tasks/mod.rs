//! The tasks that talk to agents, and the [`Runner`] that carries out
//! `update`'s effects: it holds each host's client and each pane's
//! session, so the state never does.

pub mod exec_run;
mod files;
mod forwards;
pub mod hosts;
mod logs;
pub mod ops;
pub mod replay;
pub mod session;
mod spawn;

use std::collections::HashMap;

use dockyard_client::Client;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::StreamMap;

use crate::msg::{Effect, HostEvent, Lifecycle, Msg, SessionEvent};
use crate::state::panes::{PaneId, PaneKind};
use hosts::HostReport;
use session::Session;

pub struct Runner {
    clients: HashMap<usize, Client>,
    /// One per live pane. A `StreamMap` takes from them in turn (starting
    /// at a random one), so no pane's flood delays another pane's echo;
    /// a session whose events end is dropped from it.
    sessions: StreamMap<PaneId, Session>,
    /// Sessions whose pane had its share of output for this frame: not
    /// read until the next one (their agent waits, and so their program).
    resting: Vec<(PaneId, Session)>,
    /// A stats stream per connected host while `stats_on`.
    stats: HashMap<usize, tokio::task::JoinHandle<()>>,
    stats_on: bool,
    /// The port forwards, by id; aborted when stopped or with the TUI.
    forwards: HashMap<u32, tokio::task::JoinHandle<()>>,
    msgs: mpsc::Sender<Msg>,
    /// What a pane keeps: a log is read back no further.
    history: dockyard_term::Limits,
}

impl Drop for Runner {
    fn drop(&mut self) {
        for (_, task) in self.stats.drain() {
            task.abort();
        }
        for (_, task) in self.forwards.drain() {
            task.abort();
        }
    }
}

impl Runner {
    /// `msgs` is where operations' outcomes go.
    pub fn new(msgs: mpsc::Sender<Msg>, history: dockyard_term::Limits) -> Self {
        Runner {
            history,
            clients: HashMap::new(),
            sessions: StreamMap::new(),
            resting: Vec::new(),
            stats: HashMap::new(),
            stats_on: false,
            forwards: HashMap::new(),
            msgs,
        }
    }

    /// Keeps a connected host's client; the state hears of the host only.
    pub fn on_host(&mut self, host: usize, report: HostReport) -> Msg {
        let ev = match report {
            HostReport::Connected(client, list) => {
                self.clients.insert(host, *client);
                self.start_stats();
                HostEvent::Up(list)
            }
            HostReport::Event(ev) => {
                // A stats stream that ended while its host stayed up (the
                // agent restarted it, a hiccup) is started again with the
                // host's next list.
                if matches!(ev, HostEvent::List(_)) {
                    self.start_stats();
                }
                if matches!(ev, HostEvent::Down { .. }) {
                    self.clients.remove(&host);
                    if let Some(task) = self.stats.remove(&host) {
                        task.abort();
                    }
                }
                ev
            }
        };
        Msg::Host { host, ev }
    }

    /// The next event of any pane's session.
    pub async fn next_session_event(&mut self) -> Option<(PaneId, SessionEvent)> {
        if self.sessions.is_empty() {
            return std::future::pending().await;
        }
        self.sessions.next().await
    }

    /// An event of `pane`'s session that is ready now (the focused pane's
    /// are taken before the others', so its echo never waits behind a
    /// neighbour's flood).
    pub fn ready_event_of(&mut self, pane: PaneId) -> Option<SessionEvent> {
        // Not a resting one: its share of the frame is taken.
        self.sessions
            .iter_mut()
            .find(|(id, _)| *id == pane)
            .and_then(|(_, s)| s.try_next())
    }

    /// A session event that is ready now, without waiting.
    pub fn ready_session_event(&mut self) -> Option<(PaneId, SessionEvent)> {
        futures::FutureExt::now_or_never(self.sessions.next()).flatten()
    }

    pub fn carry_out(&mut self, effect: Effect) {
        match effect {
            // The schedule's: it never gets here.
            Effect::Draw => {}
            Effect::Clipboard(text) => set_clipboard(&text),
            Effect::OpenSession {
                pane,
                host,
                container,
                kind,
                rows,
                cols,
            } => self.open_session(pane, host, container, kind, rows, cols),
            Effect::Input { pane, data } => {
                if let Some(s) = self.session(pane) {
                    s.send(data);
                }
            }
            Effect::Resize { pane, rows, cols } => {
                if let Some(s) = self.session(pane) {
                    s.resize(rows, cols);
                }
            }
            Effect::CloseSession { pane } => {
                // Dropped: its task ends the session and finishes alone.
                self.sessions.remove(&pane);
                self.resting.retain(|(id, _)| *id != pane);
            }
            Effect::OpenReplay { pane, file } => {
                self.resting.retain(|(id, _)| *id != pane);
                self.sessions.insert(pane, spawn::spawn_replay(file));
            }
            Effect::ReplayControl { pane, ctl } => {
                if let Some(s) = self.session(pane) {
                    s.replay(ctl);
                }
            }
            Effect::Record { pane, to } => {
                if let Some(s) = self.session(pane) {
                    s.record(to);
                }
            }
            Effect::DetachSession { pane } => {
                if let Some(s) = self.session(pane) {
                    s.detach();
                }
            }
            Effect::ListRecordings(dir) => ops::spawn_list_recordings(dir, self.msgs.clone()),
            Effect::ListSessions => {
                for (host, c) in &self.clients {
                    ops::spawn_list_sessions(c.clone(), *host, self.msgs.clone());
                }
            }
            Effect::EndSession { host, id } => match self.clients.get(&host) {
                Some(c) => ops::spawn_end_session(c.clone(), id, self.msgs.clone()),
                None => self.tell(Msg::Notice {
                    text: "that host is not connected".into(),
                    error: true,
                }),
            },
            Effect::Lifecycle { host, id, name, op } => self.lifecycle(host, op, id, name),
            Effect::Inspect { host, id, name } => match self.clients.get(&host) {
                Some(c) => ops::spawn_inspect(c.clone(), id, name, self.msgs.clone()),
                None => self.tell(Msg::Inspected {
                    name,
                    result: Err("that host is not connected".into()),
                }),
            },
            Effect::StartForward {
                id,
                host,
                container,
                spec,
                toolbox,
            } => match self.clients.get(&host) {
                Some(c) => {
                    let task =
                        forwards::spawn(c.clone(), id, container, spec, toolbox, self.msgs.clone());
                    self.forwards.insert(id, task);
                }
                None => self.tell(Msg::Forward {
                    id,
                    news: crate::state::forwards::ForwardNews::Failed(
                        "that host is not connected".into(),
                    ),
                }),
            },
            Effect::StopForward { id } => {
                if let Some(task) = self.forwards.remove(&id) {
                    task.abort();
                }
            }
            Effect::ListPath {
                host,
                id,
                path,
                select,
            } => match self.clients.get(&host) {
                Some(c) => files::spawn_list(c.clone(), id, path, select, self.msgs.clone()),
                None => self.tell(Msg::Files(crate::msg::FilesEvent::Listed {
                    path,
                    result: Err("that host is not connected".into()),
                    select: None,
                })),
            },
            Effect::SaveFile {
                host,
                id,
                source,
                to,
            } => match self.clients.get(&host) {
                Some(c) => files::spawn_save(c.clone(), id, source, to, self.msgs.clone()),
                None => self.not_connected(),
            },
            Effect::PutFile {
                host,
                id,
                from,
                dir,
            } => match self.clients.get(&host) {
                Some(c) => files::spawn_put(c.clone(), id, from, dir, self.msgs.clone()),
                None => self.not_connected(),
            },
            Effect::WatchStats { on } => {
                self.stats_on = on;
                if on {
                    self.start_stats();
                } else {
                    for (_, task) in self.stats.drain() {
                        task.abort();
                    }
                }
            }
            Effect::Launch {
                host,
                node,
                request,
            } => match self.clients.get(&host) {
                Some(c) => ops::spawn_launch(c.clone(), node, request, self.msgs.clone()),
                None => self.tell(Msg::Launch(crate::msg::LaunchEvent::Done(Err(
                    "that host is not connected".into(),
                )))),
            },
        }
    }

    /// Before the program leaves: every pane's session is ended, or with
    /// `keep` detached (left running at its agent), and their tasks given
    /// `limit` to hear the agent confirm it.
    pub async fn finish(&mut self, keep: bool, limit: std::time::Duration) {
        self.wake_all();
        let panes: Vec<PaneId> = self.sessions.keys().copied().collect();
        let mut tasks = Vec::new();
        for pane in panes {
            if let Some(s) = self.sessions.remove(&pane) {
                tasks.extend(s.finish(keep));
            }
        }
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(limit, all).await.is_err() {
            tracing::warn!("sessions still closing after {limit:?}; leaving");
        }
    }

    fn session(&mut self, pane: PaneId) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .chain(self.resting.iter_mut())
            .find(|(id, _)| *id == pane)
            .map(|(_, s)| s)
    }

    /// `pane`'s output is not read again until [`wake_all`](Self::wake_all).
    pub fn rest(&mut self, pane: PaneId) {
        if let Some(s) = self.sessions.remove(&pane) {
            self.resting.push((pane, s));
        }
    }

    /// Every session but `pane`'s rests until [`wake_all`](Self::wake_all).
    pub fn rest_all_but(&mut self, pane: Option<PaneId>) {
        let others: Vec<PaneId> = self
            .sessions
            .keys()
            .filter(|p| Some(**p) != pane)
            .copied()
            .collect();
        for p in others {
            self.rest(p);
        }
    }

    /// Some session rests.
    pub fn resting(&self) -> bool {
        !self.resting.is_empty()
    }

    /// Every resting session is read again.
    pub fn wake_all(&mut self) {
        for (pane, s) in self.resting.drain(..) {
            if !self.sessions.contains_key(&pane) {
                self.sessions.insert(pane, s);
            }
        }
    }

    /// A stats stream for each connected host that has none, if wanted.
    fn start_stats(&mut self) {
        if !self.stats_on {
            return;
        }
        for (host, client) in &self.clients {
            let running = self.stats.get(host).is_some_and(|t| !t.is_finished());
            if !running {
                let task = ops::spawn_stats(client.clone(), *host, self.msgs.clone());
                self.stats.insert(*host, task);
            }
        }
    }

    fn open_session(
        &mut self,
        pane: PaneId,
        host: usize,
        container: String,
        kind: PaneKind,
        rows: u16,
        cols: u16,
    ) {
        match self.clients.get(&host) {
            Some(c) => {
                let s = spawn::spawn(c.clone(), container, kind, rows, cols, self.history);
                // A session the pane had before (a log read again) is
                // replaced, resting or not.
                self.resting.retain(|(id, _)| *id != pane);
                self.sessions.insert(pane, s);
            }
            None => self.tell(Msg::Session {
                pane,
                ev: SessionEvent::Failed("the host is not connected".into()),
            }),
        }
    }

    fn lifecycle(&mut self, host: usize, op: Lifecycle, id: String, name: String) {
        match self.clients.get(&host) {
            Some(c) => ops::spawn_lifecycle(c.clone(), op, id, name, self.msgs.clone()),
            None => self.tell(Msg::Notice {
                text: "that host is not connected".into(),
                error: true,
            }),
        }
    }

    /// An answer that needs no task; sent from one so a full queue never
    /// blocks the UI.
    fn not_connected(&self) {
        self.tell(Msg::Files(crate::msg::FilesEvent::Copy {
            text: "that host is not connected".into(),
            done: true,
            error: true,
        }));
    }

    fn tell(&self, msg: Msg) {
        let msgs = self.msgs.clone();
        tokio::spawn(async move {
            let _ = msgs.send(msg).await;
        });
    }
}

/// Puts `text` on the outer terminal's clipboard: the terminal Dockyard
/// runs in does it (OSC 52), so it works over SSH, and through tmux with
/// `set-clipboard on`. Written between frames; it moves no cursor.
fn set_clipboard(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let written = out
        .write_all(crate::term::encode::osc52(text).as_bytes())
        .and_then(|()| out.flush());
    if let Err(e) = written {
        tracing::warn!("cannot set the clipboard: {e}");
    }
}
