//! A pane's exec session, run in its own task: starts the exec, forwards
//! its output to the UI task, and takes the pane's keystrokes and resizes
//! in order through an unbounded queue, so the UI never waits on the
//! network.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use dockyard_client::exec_session::default_shell;
use dockyard_client::pb::ExecStart;
use dockyard_client::{Client, ExecEvent, ExecSession};
use futures::Stream;
use tokio::sync::mpsc;

use crate::msg::SessionEvent;

#[derive(Debug)]
enum InputMsg {
    Data(Bytes),
    Resize(u16, u16),
}

/// The UI side of one pane's session: its input going out and its events
/// coming in, as one value. Dropping it ends the session (the task is
/// aborted; the agent then ends the process).
#[derive(Debug)]
pub struct Session {
    input: mpsc::UnboundedSender<InputMsg>,
    events: mpsc::Receiver<SessionEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Session {
    pub fn send(&self, data: Bytes) {
        let _ = self.input.send(InputMsg::Data(data));
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        let _ = self.input.send(InputMsg::Resize(rows, cols));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The session's events; it ends after the last one.
impl Stream for Session {
    type Item = SessionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        self.events.poll_recv(cx)
    }
}

/// Output chunks queued per pane before its session waits for the UI.
/// Small on purpose: each pane has its own queue and the UI takes from
/// them in turn, so a keystroke's echo in one pane waits behind at most a
/// chunk or two of each flooding neighbour, not a long shared backlog.
const OUTPUT_QUEUE: usize = 2;

/// Starts a shell in `container` at the given size.
pub fn spawn(client: Client, container: String, rows: u16, cols: u16) -> Session {
    let (input, input_rx) = mpsc::unbounded_channel::<InputMsg>();
    let (events, events_rx) = mpsc::channel(OUTPUT_QUEUE);
    let start = ExecStart {
        container_identifier: container,
        command: default_shell(),
        interactive: true,
        tty: Some(true),
        attach_stdin: Some(true),
        rows: rows.into(),
        cols: cols.into(),
        environment: [("TERM".to_string(), "xterm-256color".to_string())].into(),
        ..Default::default()
    };
    let task = tokio::spawn(run(client, start, input_rx, events));
    Session {
        input,
        events: events_rx,
        task,
    }
}

async fn run(
    mut client: Client,
    start: ExecStart,
    mut input_rx: mpsc::UnboundedReceiver<InputMsg>,
    events: mpsc::Sender<SessionEvent>,
) {
    let mut session = match ExecSession::start(&mut client, start).await {
        Ok(s) => s,
        Err(e) => {
            let _ = events.send(SessionEvent::Failed(e.to_string())).await;
            return;
        }
    };
    if events.send(SessionEvent::Started).await.is_err() {
        return;
    }
    let input = session.input();
    let forward = tokio::spawn(async move {
        while let Some(msg) = input_rx.recv().await {
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
            Ok(Some(ExecEvent::Exited { code, message })) => SessionEvent::Exited { code, message },
            Ok(None) => break,
            Err(e) => SessionEvent::Failed(e.to_string()),
        };
        let last = !matches!(ev, SessionEvent::Output(_));
        if events.send(ev).await.is_err() || last {
            break;
        }
    }
    forward.abort();
}
