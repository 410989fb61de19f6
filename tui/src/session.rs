//! A pane's exec session, run in its own task: starts the exec, forwards
//! its output to the UI task, and takes the pane's keystrokes and resizes
//! in order through an unbounded queue, so the UI never waits on the
//! network.

use bytes::Bytes;
use dockyard_proto::pb::ExecStart;
use dockyard_proto::{Client, ExecEvent, ExecSession};
use tokio::sync::mpsc;

use crate::event::SessionEvent;

#[derive(Debug)]
enum InputMsg {
    Data(Bytes),
    Resize(u16, u16),
}

/// The UI side of a session's input. Dropping it ends the session's input;
/// aborting the task ends the session (the agent then ends the process).
#[derive(Debug)]
pub struct PaneInput {
    tx: mpsc::UnboundedSender<InputMsg>,
    task: tokio::task::JoinHandle<()>,
}

impl PaneInput {
    pub fn send(&self, data: Bytes) {
        let _ = self.tx.send(InputMsg::Data(data));
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        let _ = self.tx.send(InputMsg::Resize(rows, cols));
    }
}

impl Drop for PaneInput {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The shell a pane opens: bash when the image has it, else sh.
pub fn shell_command() -> Vec<String> {
    [
        "/bin/sh",
        "-c",
        "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Output chunks queued per pane before its session waits for the UI.
/// Small on purpose: each pane has its own queue and the UI takes from
/// them in turn, so a keystroke's echo in one pane waits behind at most a
/// chunk or two of each flooding neighbour, not a long shared backlog.
const OUTPUT_QUEUE: usize = 2;

/// Starts a pane's session; its events come out of the returned receiver.
pub fn spawn(
    mut client: Client,
    container: String,
    rows: u16,
    cols: u16,
) -> (PaneInput, mpsc::Receiver<SessionEvent>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<InputMsg>();
    let (events, events_rx) = mpsc::channel(OUTPUT_QUEUE);
    let task = tokio::spawn(async move {
        let send = |ev| {
            let events = events.clone();
            async move { events.send(ev).await.is_ok() }
        };
        let start = ExecStart {
            container_identifier: container,
            command: shell_command(),
            interactive: true,
            tty: Some(true),
            attach_stdin: Some(true),
            rows: rows.into(),
            cols: cols.into(),
            environment: [("TERM".to_string(), "xterm-256color".to_string())].into(),
            ..Default::default()
        };
        let mut session = match ExecSession::start(&mut client, start).await {
            Ok(s) => s,
            Err(e) => {
                send(SessionEvent::Failed(e.to_string())).await;
                return;
            }
        };
        if !send(SessionEvent::Started).await {
            return;
        }
        let input = session.input();
        let forward = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                let r = match msg {
                    InputMsg::Data(d) => input.send(d).await,
                    InputMsg::Resize(r, c) => input.resize(r, c).await,
                };
                if r.is_err() {
                    break;
                }
            }
        });
        loop {
            let ev = match session.next_event().await {
                Ok(Some(ExecEvent::Output { data, .. })) => SessionEvent::Output(data),
                Ok(Some(ExecEvent::Exited { code, message })) => {
                    SessionEvent::Exited { code, message }
                }
                Ok(None) => break,
                Err(e) => SessionEvent::Failed(e.to_string()),
            };
            let last = !matches!(ev, SessionEvent::Output(_));
            if !send(ev).await || last {
                break;
            }
        }
        forward.abort();
    });
    (PaneInput { tx, task }, events_rx)
}
