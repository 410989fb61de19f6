//! The input direction of a conversation: the client's stdin bytes,
//! resizes and end of stdin, fed to the exec in its own task, so it never
//! waits on the output direction. Each request goes to a small handler;
//! the task returns how it ended.

use std::ops::ControlFlow;
use std::sync::Arc;

use dockyard_proto::pb::{ExecRequest, ExecResize, exec_request::RequestType};
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::attach::ExecStdin;
use crate::engine::Engine;
use crate::exec::{self, ExecSpec};

/// How the input direction ended, returned by its task.
#[derive(Debug)]
pub(super) enum InputEnd {
    /// The client half-closed its stream; the program's stdin was closed.
    HalfClosed,
    /// The client's stream broke; the session is abandoned.
    Broken,
    /// The client broke the protocol; the session is abandoned, and the
    /// final status says how.
    Violation(String),
    /// Still reading the client when the output ended, and ended there (or
    /// the task failed).
    Cut,
}

/// The input direction's state. Its async methods take `&mut self`: the
/// stdin half is not `Sync`, so a `&self` held across an await would make
/// the input task's future not `Send`.
pub(super) struct Input {
    pub(super) engine: Arc<Engine>,
    pub(super) exec_id: String,
    pub(super) spec: ExecSpec,
    pub(super) stdin: ExecStdin,
    /// The program's stdin still takes bytes.
    pub(super) stdin_open: bool,
    /// The client sent StdinClose.
    pub(super) closed_by_client: bool,
    pub(super) abandoned: CancellationToken,
    /// Bytes written to stdin, for the audit log.
    pub(super) bytes_in: Arc<std::sync::atomic::AtomicU64>,
}

/// The input direction: stdin bytes, resizes, end of stdin. Returns when the
/// client half-closes; cancels `abandoned` if the client's stream breaks or
/// it breaks the protocol.
pub(super) async fn feed_input<S>(mut input: Input, mut inbound: S) -> InputEnd
where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    input.initial_resize().await;
    loop {
        let req = match inbound.next().await {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                let exec_id = &input.exec_id;
                tracing::debug!(exec_id, "client stream broke: {e}");
                input.abandoned.cancel();
                return InputEnd::Broken;
            }
            None => {
                if input.stdin_open {
                    close_stdin(&mut input.stdin, input.spec.tty).await;
                }
                return InputEnd::HalfClosed;
            }
        };
        if let ControlFlow::Break(end) = input.handle(req.request_type).await {
            return end;
        }
    }
}

impl Input {
    async fn initial_resize(&mut self) {
        let spec = &self.spec;
        if spec.tty
            && let Err(e) =
                exec::resize(&self.engine, &self.exec_id, spec.rows, spec.cols, true).await
        {
            let exec_id = &self.exec_id;
            tracing::warn!(exec_id, "initial resize failed: {e}");
        }
    }

    /// One request from the client. Breaks on a protocol violation.
    async fn handle(&mut self, request: Option<RequestType>) -> ControlFlow<InputEnd> {
        match request {
            Some(RequestType::Input(i)) => return self.write(&i.data).await,
            Some(RequestType::Resize(r)) => self.resize(r).await,
            Some(RequestType::StdinClose(_)) => self.stdin_close().await,
            Some(RequestType::Start(_)) => return self.violation("a second ExecStart"),
            Some(RequestType::Attach(_)) => return self.violation("an attach after the start"),
            Some(RequestType::Detach(_)) => {
                return self.violation("a detach from an exec that is not a session");
            }
            // Ending is what leaving does to an exec that is not a session.
            Some(RequestType::End(_)) => {
                self.abandoned.cancel();
                return ControlFlow::Break(InputEnd::Broken);
            }
            None => return self.violation("an empty request"),
        }
        ControlFlow::Continue(())
    }

    async fn write(&mut self, data: &[u8]) -> ControlFlow<InputEnd> {
        if self.stdin_open {
            self.bytes_in
                .fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) = self.stdin.write_all(data).await {
                // The program closed its stdin or ended; output and the
                // exit status still come.
                let exec_id = &self.exec_id;
                tracing::debug!(exec_id, "stdin write failed: {e}");
                self.stdin_open = false;
            }
        } else if self.closed_by_client {
            return self.violation("input after the client closed stdin");
        } else if !self.spec.stdin {
            return self.violation("input to an exec started without stdin");
        }
        // Otherwise the program closed its stdin itself: like a pipe whose
        // reader went away, what follows has nowhere to go.
        ControlFlow::Continue(())
    }

    /// A new terminal size; without a TTY there is none to set.
    async fn resize(&mut self, r: ExecResize) {
        if !self.spec.tty {
            return;
        }
        let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        if let Err(e) = exec::resize(
            &self.engine,
            &self.exec_id,
            clamp(r.rows),
            clamp(r.cols),
            false,
        )
        .await
        {
            let exec_id = &self.exec_id;
            tracing::debug!(exec_id, "resize failed: {e}");
        }
    }

    async fn stdin_close(&mut self) {
        if self.stdin_open {
            close_stdin(&mut self.stdin, self.spec.tty).await;
            self.stdin_open = false;
        }
        self.closed_by_client = true;
    }

    /// The client broke the protocol: the session is abandoned (the exec is
    /// ended) and the final status will say how.
    fn violation(&self, what: &str) -> ControlFlow<InputEnd> {
        let exec_id = &self.exec_id;
        tracing::info!(exec_id, "protocol error: {what}");
        self.abandoned.cancel();
        ControlFlow::Break(InputEnd::Violation(what.to_string()))
    }
}

/// End of input. Without a TTY, half-closing the connection closes the
/// program's stdin. With one, the engine would end the whole session at
/// once and leave the program running, so we type the terminal's EOF
/// character instead, as a person would.
async fn close_stdin(stdin: &mut ExecStdin, tty: bool) {
    let r = if tty {
        stdin.write_all(b"\x04").await
    } else {
        stdin.shutdown().await
    };
    if let Err(e) = r {
        tracing::debug!("closing exec stdin: {e}");
    }
}
