//! An exec in a pane, run in its own task: it opens (a new exec, or an
//! agent's session attached again), forwards output to the UI and the
//! pane's keystrokes and resizes to the exec in order, records when asked,
//! and ends the session when the pane goes.
//!
//! A durable session outlives its connection: when the connection breaks,
//! the task attaches again (resuming from the last byte it had) for as
//! long as the agent may keep the session, while the pane says it is
//! reconnecting; keys typed meanwhile are held ([`HELD_INPUT`]). Closing
//! the pane ends the session; detaching leaves it running at the agent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use dockyard_cast::{Header, Recording};
use dockyard_client::pb::ExecStart;
use dockyard_client::pull::Step;
use dockyard_client::{Client, ExecError, ExecEvent, ExecInput, ExecSession};
use tokio::sync::{mpsc, watch};

use super::session::InputMsg;
use crate::msg::SessionEvent;

/// The pane's recording, shared by the output loop (output) and the input
/// task (resizes, starting and stopping it).
type Recorder = Arc<Mutex<Option<Recording>>>;

/// How long a closed pane's session may take to confirm its end.
const END_WAIT: Duration = Duration::from_secs(3);

/// How long a lost session is tried again when the agent did not say how
/// long it keeps one (an older agent): its default time to live.
const RECONNECT_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Keystrokes held while reconnecting, sent when the session is back.
/// Past this (a long paste into a pane that cannot show it), everything
/// typed until then is dropped, never a part of it, and the pane says so.
pub(crate) const HELD_INPUT: usize = 16 * 1024;

/// How an exec session opens.
pub(super) enum Opening {
    Start(ExecStart),
    /// An agent's session, from its screen as it is.
    Attach {
        session_id: String,
        node: Option<String>,
    },
}

async fn open(
    client: &mut Client,
    opening: Opening,
    size: (u16, u16),
    events: &mpsc::Sender<SessionEvent>,
) -> Result<ExecSession, ExecError> {
    match opening {
        // A cluster's entry takes it to the container's node.
        // A debug shell's missing toolbox is pulled on the container's
        // host, its progress on the pane's last line.
        Opening::Start(start) => {
            let image = start
                .debug
                .as_ref()
                .map(|d| d.image.clone())
                .unwrap_or_default();
            let image = dockyard_client::text::printable(&image);
            let say = |text: String| {
                let line = format!("\r\x1b[2K\x1b[2m{text}\x1b[0m");
                // A step the pane has no room for now is skipped.
                let _ = events.try_send(SessionEvent::Output(Bytes::from(line)));
            };
            let show = |step: Step<'_>| match step {
                Step::Progress { changed: false, .. } => {}
                Step::Progress { tally, .. } => {
                    say(format!("pulling the toolbox {image}: {}", tally.text()));
                }
                Step::Done => say(format!("pulled {image}\r\n")),
            };
            ExecSession::start_pulling(client, None, start, show).await
        }
        Opening::Attach { session_id, node } => {
            // The screen as it is, not the history replayed: the pane
            // would answer the terminal queries in it, into the program.
            ExecSession::attach_on(client, node.as_deref(), &session_id, size, None).await
        }
    }
}

pub(super) async fn run(
    mut client: Client,
    opening: Opening,
    size: (u16, u16),
    input_rx: mpsc::UnboundedReceiver<InputMsg>,
    events: mpsc::Sender<SessionEvent>,
) {
    let mut session = match open(&mut client, opening, size, &events).await {
        Ok(s) => s,
        Err(e) => {
            let _ = events.send(SessionEvent::Failed(e.to_string())).await;
            return;
        }
    };
    let session_id = session.session_id().to_string();
    let started = SessionEvent::Started {
        session_id: session_id.clone(),
        node: session.node().unwrap_or_default().to_string(),
    };
    let size = Arc::new(Mutex::new(size));
    let recorder: Recorder = Arc::default();
    // None while reconnecting: keys are held meanwhile.
    let (current, input_watch) = watch::channel(Some(session.input()));
    // The input side runs on its own, so a program that does not read its
    // stdin never stops its output from being read.
    let side = Side {
        size: size.clone(),
        recorder: recorder.clone(),
        events: events.clone(),
    };
    tokio::spawn(forward(input_rx, input_watch, side));
    // A pane closed before it heard of the start: its end is on its way.
    let mut closing = events.send(started).await.is_err();
    loop {
        let next = if closing {
            match tokio::time::timeout(END_WAIT, session.next_event()).await {
                Ok(r) => r,
                Err(_) => break,
            }
        } else {
            session.next_event().await
        };
        let ev = match next {
            Ok(Some(ExecEvent::Output { data, .. })) => {
                if let Err(why) = record(&recorder, |w| w.output(&data)) {
                    let _ = events.send(SessionEvent::RecordingFailed(why)).await;
                }
                SessionEvent::Output(data)
            }
            Ok(Some(ExecEvent::Exited {
                code,
                message,
                cause,
            })) => SessionEvent::Exited {
                code,
                message,
                cause,
            },
            Ok(Some(ExecEvent::Detached { .. })) => SessionEvent::Detached,
            Ok(None) => break,
            Err(e) if !closing && !session_id.is_empty() && e.is_transient() => {
                let _ = current.send(None);
                let _ = events.send(SessionEvent::Reconnecting(e.to_string())).await;
                let node = session.node().map(str::to_string);
                let offset = session.offset();
                // As long as the agent keeps it.
                let limit = Some(session.detached_ttl())
                    .filter(|t| !t.is_zero())
                    .unwrap_or(RECONNECT_LIMIT);
                let lost = Lost {
                    node: node.as_deref(),
                    session_id: &session_id,
                    offset,
                    limit,
                };
                match reattach(&mut client, lost, &size, &events).await {
                    Ok(s) => {
                        session = s;
                        let _ = current.send(Some(session.input()));
                        SessionEvent::Resumed
                    }
                    Err(why) => SessionEvent::Failed(why),
                }
            }
            Err(e) => SessionEvent::Failed(e.to_string()),
        };
        let last = matches!(
            ev,
            SessionEvent::Exited { .. } | SessionEvent::Failed(_) | SessionEvent::Detached
        );
        if !closing && events.send(ev).await.is_err() {
            closing = true;
        }
        if last {
            break;
        }
    }
}

/// A session whose connection broke: where it is, how far the pane got,
/// and how long the agent keeps it.
struct Lost<'a> {
    node: Option<&'a str>,
    session_id: &'a str,
    offset: u64,
    limit: Duration,
}

/// Attaches again, from the offset, until it works, the agent says the
/// session is gone, the pane is closed or the limit passes.
async fn reattach(
    client: &mut Client,
    lost: Lost<'_>,
    size: &Mutex<(u16, u16)>,
    events: &mpsc::Sender<SessionEvent>,
) -> Result<ExecSession, String> {
    let Lost {
        node,
        session_id,
        offset,
        limit,
    } = lost;
    let deadline = tokio::time::Instant::now() + limit;
    let mut delay = Duration::from_millis(200);
    loop {
        if events.is_closed() {
            return Err("closed".into());
        }
        let now = *size.lock().unwrap_or_else(|p| p.into_inner());
        match ExecSession::attach_on(client, node, session_id, now, Some(offset)).await {
            Ok(s) => return Ok(s),
            Err(ExecError::Rejected { message, .. }) => {
                return Err(format!("the session is gone: {message}"));
            }
            Err(e) if tokio::time::Instant::now() > deadline => {
                return Err(format!("gave up reconnecting: {e}"));
            }
            Err(e) => tracing::debug!(session_id, "reattach failed: {e}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(3));
    }
}

/// Writes to the recording, if there is one; an error ends it.
fn record(
    recorder: &Recorder,
    f: impl FnOnce(&mut Recording) -> Result<(), String>,
) -> Result<(), String> {
    let mut guard = recorder.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_mut().map(f) {
        Some(Err(e)) => {
            *guard = None;
            Err(e)
        }
        _ => Ok(()),
    }
}

/// A new recording: its directory, its file, its header.
fn start_recording(path: &std::path::Path, header: &Header) -> Result<Recording, String> {
    Recording::create(path, header).map_err(|e| format!("{}: {e}", path.display()))
}

/// What the input task shares with the rest of the session.
struct Side {
    size: Arc<Mutex<(u16, u16)>>,
    recorder: Recorder,
    events: mpsc::Sender<SessionEvent>,
}

/// Carries the pane's keystrokes, resizes and detach to whichever
/// connection is current, and starts and stops its recording. Keys typed
/// while there is none (reconnecting) are held, up to [`HELD_INPUT`], and
/// sent when it is back. When the pane is gone (its sender dropped), the
/// session is ended.
async fn forward(
    mut input_rx: mpsc::UnboundedReceiver<InputMsg>,
    mut current: watch::Receiver<Option<ExecInput>>,
    side: Side,
) {
    let Side {
        size,
        recorder,
        events,
    } = side;
    let mut held = Held::default();
    loop {
        let msg = tokio::select! {
            msg = input_rx.recv() => match msg {
                Some(m) => m,
                None => break,
            },
            changed = current.changed() => {
                if changed.is_err() {
                    // The session is over: nothing more goes anywhere.
                    return;
                }
                let input = current.borrow_and_update().clone();
                if let Some(input) = input {
                    held.flush(&input, &events).await;
                }
                continue;
            }
        };
        let Some(input) = current.borrow().clone() else {
            match msg {
                InputMsg::Data(d) => held.hold(d),
                InputMsg::Resize(r, c) => {
                    // Given to the next attach.
                    *size.lock().unwrap_or_else(|p| p.into_inner()) = (r, c);
                }
                InputMsg::Detach => return,
                InputMsg::Record(_) | InputMsg::Replay(_) => {}
            }
            continue;
        };
        // A failed send means the connection just broke: keys are held
        // for the next one; a resize is remembered for the next attach.
        let _ = match msg {
            InputMsg::Data(d) => {
                if input.send(d.clone()).await.is_err() {
                    held.hold(d);
                }
                Ok(())
            }
            InputMsg::Resize(r, c) => {
                *size.lock().unwrap_or_else(|p| p.into_inner()) = (r, c);
                if let Err(why) = record(&recorder, |w| w.resize(dockyard_term::Size::new(r, c))) {
                    let _ = events.send(SessionEvent::RecordingFailed(why)).await;
                }
                input.resize(r, c).await
            }
            InputMsg::Record(Some((path, header))) => {
                let started = start_recording(&path, &header);
                let mut guard = recorder.lock().unwrap_or_else(|p| p.into_inner());
                match started {
                    Ok(w) => *guard = Some(w),
                    Err(why) => {
                        drop(guard);
                        let _ = events.send(SessionEvent::RecordingFailed(why)).await;
                    }
                }
                continue;
            }
            InputMsg::Record(None) => {
                let _ = record(&recorder, |w| w.finish(None));
                *recorder.lock().unwrap_or_else(|p| p.into_inner()) = None;
                continue;
            }
            InputMsg::Replay(_) => continue,
            // Left running: nothing more to send, and nothing to end.
            InputMsg::Detach => {
                let _ = input.detach().await;
                return;
            }
        };
    }
    let input = current.borrow().clone();
    if let Some(input) = input {
        let _ = input.end().await;
    }
}

/// Keystrokes typed while the session was out of reach.
#[derive(Default)]
struct Held {
    keys: Vec<Bytes>,
    len: usize,
    /// Bytes dropped since the last connection: over the bound, all of it
    /// goes (half a command typed is worse than none).
    dropped: usize,
}

impl Held {
    fn hold(&mut self, d: Bytes) {
        if self.dropped > 0 || self.len + d.len() > HELD_INPUT {
            self.dropped += self.len + d.len();
            self.keys.clear();
            self.len = 0;
            return;
        }
        self.len += d.len();
        self.keys.push(d);
    }

    /// The session is back: what was held is sent, or the pane hears what
    /// was dropped.
    async fn flush(&mut self, input: &ExecInput, events: &mpsc::Sender<SessionEvent>) {
        let dropped = std::mem::take(&mut self.dropped);
        if dropped > 0 {
            let _ = events.send(SessionEvent::InputDropped(dropped)).await;
        }
        self.len = 0;
        for d in std::mem::take(&mut self.keys) {
            if input.send(d.clone()).await.is_err() {
                // Broken again: held for the next connection.
                self.hold(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Bytes, HELD_INPUT, Held};

    #[test]
    fn keys_are_held_whole_or_dropped_whole() {
        let mut held = Held::default();
        held.hold(Bytes::from_static(b"ls"));
        held.hold(Bytes::from_static(b"\r"));
        assert_eq!(held.keys.concat(), b"ls\r");
        assert_eq!(held.dropped, 0);
        // A paste past the bound: all of it goes, and what came before.
        held.hold(Bytes::from(vec![b'x'; HELD_INPUT]));
        assert!(held.keys.is_empty());
        assert_eq!(held.dropped, 3 + HELD_INPUT);
        // And what follows until the session is back.
        held.hold(Bytes::from_static(b"y"));
        assert!(held.keys.is_empty());
        assert_eq!(held.dropped, 4 + HELD_INPUT);
    }
}
