//! The UI's handle on a pane's session ([`Session`]): its input going out
//! (keystrokes, resizes, detach, recording, replay controls) through an
//! unbounded queue, so the UI never waits on the network, and its events
//! coming in, output merged into large pieces. What runs behind it is in
//! `spawn` (by the pane's kind), `exec_run`, `logs` and `replay`.

use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use dockyard_cast::Header;
use futures::Stream;
use tokio::sync::mpsc;

use crate::msg::{ReplayCtl, SessionEvent};

pub(super) enum InputMsg {
    Data(Bytes),
    Resize(u16, u16),
    Detach,
    Record(Option<(PathBuf, Header)>),
    /// For a recording played in the pane.
    Replay(ReplayCtl),
}

impl std::fmt::Debug for InputMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputMsg::Data(d) => write!(f, "Data({} bytes)", d.len()),
            InputMsg::Resize(r, c) => write!(f, "Resize({r}, {c})"),
            InputMsg::Detach => f.write_str("Detach"),
            InputMsg::Record(to) => write!(f, "Record({:?})", to.as_ref().map(|t| &t.0)),
            InputMsg::Replay(c) => write!(f, "Replay({c:?})"),
        }
    }
}

/// The UI side of one pane's session: its input going out and its events
/// coming in, as one value. Dropping it ends the session: the task tells
/// the agent to end the process and waits (briefly) for it to say so.
#[derive(Debug)]
pub struct Session {
    input: mpsc::UnboundedSender<InputMsg>,
    events: mpsc::Receiver<SessionEvent>,
    /// An event taken while merging output, given next.
    held: Option<SessionEvent>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// A log follower has nothing to end: it is simply stopped.
    abort_on_drop: bool,
}

impl Session {
    pub fn send(&self, data: Bytes) {
        let _ = self.input.send(InputMsg::Data(data));
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        let _ = self.input.send(InputMsg::Resize(rows, cols));
    }

    /// Leaves the session running at the agent; `Detached` follows.
    pub fn detach(&self) {
        let _ = self.input.send(InputMsg::Detach);
    }

    /// Plays, pauses, seeks or changes the speed of a replay.
    pub fn replay(&self, ctl: ReplayCtl) {
        let _ = self.input.send(InputMsg::Replay(ctl));
    }

    /// Starts recording what the pane's program shows into a file, or
    /// stops (None).
    pub fn record(&self, to: Option<(PathBuf, Header)>) {
        let _ = self.input.send(InputMsg::Record(to));
    }

    /// Ends (or, with `keep`, detaches) the session and returns its task,
    /// to be awaited before the program leaves.
    pub fn finish(mut self, keep: bool) -> Option<tokio::task::JoinHandle<()>> {
        if keep {
            self.detach();
        }
        let task = self.task.take();
        if self.abort_on_drop
            && let Some(t) = &task
        {
            t.abort();
        }
        task
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.abort_on_drop
            && let Some(t) = &self.task
        {
            t.abort();
        }
    }
}

impl Session {
    /// An event that is ready now, without waiting.
    pub fn try_next(&mut self) -> Option<SessionEvent> {
        let ev = self.held.take().or_else(|| self.events.try_recv().ok())?;
        Some(self.merged(ev))
    }

    /// Output with the output queued after it, up to [`MERGED`] bytes: a
    /// flood reaches the pane's terminal in large pieces, of which it
    /// parses only the last screenful (the rest goes to its history as
    /// text, `dockyard_term`'s plain lines).
    fn merged(&mut self, ev: SessionEvent) -> SessionEvent {
        let SessionEvent::Output(first) = ev else {
            return ev;
        };
        let mut all: Option<bytes::BytesMut> = None;
        while all.as_ref().map_or(first.len(), |a| a.len()) < MERGED {
            match self.events.try_recv() {
                Ok(SessionEvent::Output(more)) => all
                    .get_or_insert_with(|| bytes::BytesMut::from(&first[..]))
                    .extend_from_slice(&more),
                Ok(other) => {
                    self.held = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        SessionEvent::Output(all.map_or(first, bytes::BytesMut::freeze))
    }
}

/// The session's events; it ends after the last one.
impl Stream for Session {
    type Item = SessionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        if let Some(ev) = self.held.take() {
            return Poll::Ready(Some(ev));
        }
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(ev)) => Poll::Ready(Some(self.merged(ev))),
            other => other,
        }
    }
}

/// Output merged into one piece for the pane, at most (a little more:
/// whole chunks).
const MERGED: usize = 64 * 1024;

/// Output chunks queued per pane before its session waits for the UI
/// (each at most 64 KiB, merged when taken, up to [`MERGED`]). Each pane
/// has its own queue and the UI takes from them in turn, so a keystroke's
/// echo in one pane waits behind at most a piece of each flooding
/// neighbour, not a long shared backlog.
const OUTPUT_QUEUE: usize = 8;

/// Tells the pane a session with nothing to attach to again (a log, a
/// replay) has started; false when the pane is gone.
pub(super) async fn started_alone(events: &mpsc::Sender<SessionEvent>) -> bool {
    let started = SessionEvent::Started {
        session_id: String::new(),
        node: String::new(),
    };
    events.send(started).await.is_ok()
}

impl Session {
    /// A session whose task is `run`, given the pane's input and where to
    /// send its events. `abort_on_drop`: a task with nothing to end (a log
    /// follower, a replay) is simply stopped.
    pub(super) fn spawn_with<F, Fut>(abort_on_drop: bool, run: F) -> Session
    where
        F: FnOnce(mpsc::UnboundedReceiver<InputMsg>, mpsc::Sender<SessionEvent>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (input, input_rx) = mpsc::unbounded_channel();
        let (events, events_rx) = mpsc::channel(OUTPUT_QUEUE);
        let task = tokio::spawn(run(input_rx, events));
        Session {
            input,
            events: events_rx,
            held: None,
            task: Some(task),
            abort_on_drop,
        }
    }
}
