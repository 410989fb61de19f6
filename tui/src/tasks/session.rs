//! A pane's session, run in its own task: an exec (the shell, or a chosen
//! command) whose output goes to the UI task and which takes the pane's
//! keystrokes and resizes in order through an unbounded queue, so the UI
//! never waits on the network; or a followed log, read-only.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use dockyard_client::dial::status_text;
use dockyard_client::exec_session::default_shell;
use dockyard_client::pb::{ExecStart, LogsRequest};
use dockyard_client::{Client, ExecEvent, ExecSession};
use futures::Stream;
use tokio::sync::mpsc;

use crate::msg::SessionEvent;
use crate::state::panes::PaneKind;
use crate::term::screen::SCROLLBACK;

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

/// Starts what `kind` says in `container`, at the given size.
pub fn spawn(client: Client, container: String, kind: PaneKind, rows: u16, cols: u16) -> Session {
    let (input, input_rx) = mpsc::unbounded_channel::<InputMsg>();
    let (events, events_rx) = mpsc::channel(OUTPUT_QUEUE);
    let mut start = ExecStart {
        container_identifier: container,
        command: default_shell(),
        interactive: true,
        tty: Some(true),
        attach_stdin: Some(true),
        rows: rows.into(),
        cols: cols.into(),
        ..Default::default()
    };
    let task = match kind {
        PaneKind::Logs { timestamps } => {
            let request = LogsRequest {
                container_identifier: start.container_identifier,
                follow: true,
                // What the pane can keep, no more.
                tail: Some(SCROLLBACK as u64),
                timestamps,
                ..Default::default()
            };
            tokio::spawn(run_logs(client, request, events))
        }
        PaneKind::Command(spec) => {
            start.command = spec.command;
            start.user = spec.user;
            start.working_dir = spec.workdir;
            start.environment = spec.env;
            start
                .environment
                .entry("TERM".into())
                .or_insert_with(|| "xterm-256color".into());
            tokio::spawn(run(client, start, input_rx, events))
        }
        PaneKind::Shell => {
            start.environment = [("TERM".to_string(), "xterm-256color".to_string())].into();
            tokio::spawn(run(client, start, input_rx, events))
        }
    };
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
            Ok(Some(ExecEvent::Detached { .. })) => break,
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

/// Follows a container's log into the pane: stderr in red, a non-TTY
/// log's bare line feeds made into new lines for the screen.
async fn run_logs(mut client: Client, request: LogsRequest, events: mpsc::Sender<SessionEvent>) {
    let mut stream = match client.container_logs(request).await {
        Ok(s) => s.into_inner(),
        Err(s) => {
            let _ = events.send(SessionEvent::Failed(status_text(&s))).await;
            return;
        }
    };
    if events.send(SessionEvent::Started).await.is_err() {
        return;
    }
    let mut tty = false;
    loop {
        let ev = match stream.message().await {
            Ok(Some(chunk)) => {
                tty |= chunk.tty;
                if chunk.data.is_empty() {
                    continue;
                }
                let stderr = chunk.stream_type == "stderr";
                SessionEvent::Output(for_screen(&chunk.data, stderr, tty))
            }
            Ok(None) => SessionEvent::Exited {
                code: 0,
                message: "end of the log: the container stopped".into(),
            },
            Err(s) => SessionEvent::Failed(status_text(&s)),
        };
        let last = !matches!(ev, SessionEvent::Output(_));
        if events.send(ev).await.is_err() || last {
            return;
        }
    }
}

/// A log chunk as the pane's screen should get it.
fn for_screen(data: &[u8], stderr: bool, tty: bool) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32 + 10);
    if stderr {
        out.extend_from_slice(b"\x1b[31m");
    }
    if tty {
        out.extend_from_slice(data);
    } else {
        for &b in data {
            if b == b'\n' {
                out.push(b'\r');
            }
            out.push(b);
        }
    }
    if stderr {
        out.extend_from_slice(b"\x1b[39m");
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::for_screen;

    #[test]
    fn logs_for_the_screen() {
        assert_eq!(&for_screen(b"a\nb\n", false, false)[..], b"a\r\nb\r\n");
        assert_eq!(
            &for_screen(b"oops\n", true, false)[..],
            b"\x1b[31moops\r\n\x1b[39m"
        );
        assert_eq!(&for_screen(b"raw\r\n", false, true)[..], b"raw\r\n");
    }
}
