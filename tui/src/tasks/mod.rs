//! The tasks that talk to agents, and the [`Runner`] that carries out
//! `update`'s effects: it holds each host's client and each pane's
//! session, so the state never does.

pub mod hosts;
pub mod ops;
pub mod session;

use std::collections::HashMap;

use dockyard_client::Client;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::StreamMap;

use crate::msg::{Effect, HostEvent, Msg, SessionEvent};
use crate::state::panes::PaneId;
use hosts::HostReport;
use ops::Lifecycle;
use session::Session;

pub struct Runner {
    clients: HashMap<usize, Client>,
    /// One per live pane. A `StreamMap` takes from them in turn (starting
    /// at a random one), so no pane's flood delays another pane's echo;
    /// a session whose events end is dropped from it.
    sessions: StreamMap<PaneId, Session>,
    msgs: mpsc::Sender<Msg>,
}

impl Runner {
    /// `msgs` is where operations' outcomes go.
    pub fn new(msgs: mpsc::Sender<Msg>) -> Self {
        Runner {
            clients: HashMap::new(),
            sessions: StreamMap::new(),
            msgs,
        }
    }

    /// Keeps a connected host's client; the state hears of the host only.
    pub fn on_host(&mut self, host: usize, report: HostReport) -> Msg {
        let ev = match report {
            HostReport::Connected(client, list) => {
                self.clients.insert(host, *client);
                HostEvent::Up(list)
            }
            HostReport::Event(ev) => {
                if matches!(ev, HostEvent::Down { .. }) {
                    self.clients.remove(&host);
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

    /// A session event that is ready now, without waiting.
    pub fn ready_session_event(&mut self) -> Option<(PaneId, SessionEvent)> {
        futures::FutureExt::now_or_never(self.sessions.next()).flatten()
    }

    pub fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::OpenSession {
                pane,
                host,
                container,
                rows,
                cols,
            } => self.open_session(pane, host, container, rows, cols),
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
                self.sessions.remove(&pane);
            }
            Effect::Stop { host, id, name } => self.lifecycle(host, Lifecycle::Stop, id, name),
            Effect::Remove { host, id, name } => self.lifecycle(host, Lifecycle::Remove, id, name),
            Effect::Launch { host, request } => match self.clients.get(&host) {
                Some(c) => ops::spawn_launch(c.clone(), request, self.msgs.clone()),
                None => self.tell(Msg::Launch(crate::msg::LaunchEvent::Done(Err(
                    "that host is not connected".into(),
                )))),
            },
        }
    }

    fn session(&mut self, pane: PaneId) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .find(|(id, _)| *id == pane)
            .map(|(_, s)| s)
    }

    fn open_session(&mut self, pane: PaneId, host: usize, container: String, rows: u16, cols: u16) {
        match self.clients.get(&host) {
            Some(c) => {
                let s = session::spawn(c.clone(), container, rows, cols);
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
    fn tell(&self, msg: Msg) {
        let msgs = self.msgs.clone();
        tokio::spawn(async move {
            let _ = msgs.send(msg).await;
        });
    }
}
