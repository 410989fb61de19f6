//! `ExecSession`: one exec conversation with an agent, as both the CLI and
//! the TUI run it. Input goes through a cloneable [`ExecInput`] handle (a
//! bounded channel, so a fast producer waits for the network); output and
//! the exit status come out of [`ExecSession::next_event`].

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

use crate::Client;
use crate::pb::{
    ExecAttach, ExecDetach, ExecEnd, ExecInput as PbInput, ExecRequest, ExecResize, ExecResponse,
    ExecStart, ExecStatus, ExecStdinClose, OutputKind, exec_request::RequestType,
    exec_response::ResponseType,
};
use dockyard_proto::Cause;

/// The command a shell pane or `exec -t c` with no command runs: bash
/// when the image has it, else sh.
pub fn default_shell() -> Vec<String> {
    [
        "/bin/sh",
        "-c",
        "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Requests in flight towards the agent before `send` waits. Each carries at
/// most one stdin chunk (64 KiB), so this bounds client memory too.
const INPUT_QUEUE: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The agent refused to start the exec (container missing, stopped...):
    /// `cause` says why for programs, `message` for people.
    #[error("{message}")]
    Rejected {
        cause: Cause,
        message: String,
        /// The node of a cluster that refused, when the agent named it.
        node: Option<String>,
    },
    #[error("{}", crate::dial::status_text(.0))]
    Rpc(#[from] tonic::Status),
    #[error("the agent closed the exec stream without a final status")]
    Disconnected,
    /// The connection broke mid-session (agent killed, network cut).
    #[error("the connection to the agent was lost: {0}")]
    Lost(String),
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A debug session's toolbox was missing and could not be pulled.
    #[error(
        "cannot pull the toolbox image '{}': {}; choose one the container's host has with --image",
        crate::text::printable(image),
        crate::dial::status_text(status)
    )]
    ToolboxPull {
        image: String,
        status: tonic::Status,
    },
}

impl ExecError {
    /// Why the agent refused, as it said (Unspecified when it did not:
    /// an older agent, or a connection that broke).
    pub fn cause(&self) -> Cause {
        match self {
            ExecError::Rejected { cause, .. } => *cause,
            ExecError::Rpc(s) => Cause::of(s),
            _ => Cause::Unspecified,
        }
    }

    fn refused(s: ExecStatus, node: Option<String>) -> Self {
        ExecError::Rejected {
            cause: Cause::of_exec(&s),
            message: s.message,
            node,
        }
    }

    /// The node that refused (a cluster's agent names itself).
    pub fn node(&self) -> Option<&str> {
        match self {
            ExecError::Rejected { node, .. } => node.as_deref(),
            _ => None,
        }
    }

    /// The connection broke, not the session: a durable session runs on
    /// and can be attached again. The one place the CLI (which says how to
    /// return) and the TUI (which reattaches) decide it.
    pub fn is_transient(&self) -> bool {
        match self {
            ExecError::Lost(_) | ExecError::Disconnected => true,
            // An agent's answer with a cause is its word, not a broken
            // connection.
            ExecError::Rpc(s) => transport_broke(s.code()) && Cause::of(s) == Cause::Unspecified,
            ExecError::Rejected { .. } | ExecError::Protocol(_) | ExecError::ToolboxPull { .. } => {
                false
            }
        }
    }
}

/// Codes tonic gives when the connection, not the agent, failed: h2 and
/// transport errors come as Unknown, Unavailable or Internal, a stream
/// the connection dropped as Cancelled.
fn transport_broke(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Unknown
            | tonic::Code::Unavailable
            | tonic::Code::Internal
            | tonic::Code::Cancelled
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    Output {
        stream: OutputStream,
        data: Bytes,
    },
    /// The last event: the command's exit status as the agent reports it.
    Exited {
        code: i32,
        message: String,
        /// CommandNotFound when the runtime found no such command to
        /// start (127 not from the program itself); else Unspecified.
        cause: Cause,
    },
    /// The last event when this client detached: the session runs on.
    Detached {
        session_id: String,
    },
}

/// The sending half of a session: stdin bytes, terminal size, end of stdin.
#[derive(Debug, Clone)]
pub struct ExecInput {
    tx: mpsc::Sender<ExecRequest>,
}

impl ExecInput {
    async fn send_request(&self, r: RequestType) -> Result<(), ExecError> {
        self.tx
            .send(ExecRequest {
                request_type: Some(r),
            })
            .await
            .map_err(|_| ExecError::Disconnected)
    }

    pub async fn send(&self, data: Bytes) -> Result<(), ExecError> {
        self.send_request(RequestType::Input(PbInput { data }))
            .await
    }

    pub async fn resize(&self, rows: u16, cols: u16) -> Result<(), ExecError> {
        self.send_request(RequestType::Resize(ExecResize {
            rows: rows.into(),
            cols: cols.into(),
        }))
        .await
    }

    /// End of stdin. The request stream stays open for resizes.
    pub async fn close_stdin(&self) -> Result<(), ExecError> {
        self.send_request(RequestType::StdinClose(ExecStdinClose {}))
            .await
    }

    /// Leaves a durable session running; the last event is `Detached`.
    pub async fn detach(&self) -> Result<(), ExecError> {
        self.send_request(RequestType::Detach(ExecDetach {})).await
    }

    /// Ends the command (a session included: its other clients get the
    /// exit status too).
    pub async fn end(&self) -> Result<(), ExecError> {
        self.send_request(RequestType::End(ExecEnd {})).await
    }
}

pub struct ExecSession {
    input: ExecInput,
    responses: Streaming<ExecResponse>,
    exec_id: String,
    /// The agent's durable session, if it keeps one for this exec.
    session_id: String,
    /// Offset in the session's output of the next byte to come.
    offset: u64,
    /// How long the agent keeps the session once no client is attached
    /// (zero: not durable, or an agent that does not say).
    detached_ttl: std::time::Duration,
    finished: bool,
    /// The node of a cluster it runs on, as the agent named it (None from
    /// the embedded agent).
    node: Option<String>,
}

impl ExecSession {
    /// Opens the stream, sends `start` and waits for the agent's first
    /// status: an exec that could not start is an `Err(Rejected)` here.
    pub async fn start(client: &mut Client, start: ExecStart) -> Result<Self, ExecError> {
        Self::open(client, None, RequestType::Start(start)).await
    }

    /// [`start_on`](Self::start_on); a debug session whose toolbox is not
    /// on the container's host has it pulled there first (each step given
    /// to `show`, as the front end shows a pull) and is asked again.
    pub async fn start_pulling(
        client: &mut Client,
        node: Option<&str>,
        start: ExecStart,
        show: impl FnMut(crate::pull::Step<'_>),
    ) -> Result<Self, ExecError> {
        match Self::start_on(client, node, start.clone()).await {
            Err(e) if e.cause() == Cause::ImageNotFound && start.debug.is_some() => {
                let image = start
                    .debug
                    .as_ref()
                    .map(|d| d.image.clone())
                    .unwrap_or_default();
                let on = e.node().or(node).map(str::to_string);
                crate::pull::pull_showing(client, on.as_deref(), &image, show)
                    .await
                    .map_err(|status| ExecError::ToolboxPull { image, status })?;
                Self::start_on(client, on.as_deref(), start).await
            }
            other => other,
        }
    }

    /// [`start`](Self::start) on the node `node` of a cluster (None: the
    /// agent dialed).
    pub async fn start_on(
        client: &mut Client,
        node: Option<&str>,
        start: ExecStart,
    ) -> Result<Self, ExecError> {
        Self::open(client, node, RequestType::Start(start)).await
    }

    /// Joins the running session `session_id` (one this client's identity
    /// started), at `rows` x `cols`. With `resume_from` (the
    /// [`offset`](Self::offset) of an earlier connection to it), the output
    /// since then follows when the agent still holds it; otherwise, first
    /// comes output that redraws the screen as it is.
    pub async fn attach(
        client: &mut Client,
        session_id: &str,
        size: (u16, u16),
        resume_from: Option<u64>,
    ) -> Result<Self, ExecError> {
        Self::attach_on(client, None, session_id, size, resume_from).await
    }

    /// [`attach`](Self::attach) to a session on the node `node`.
    pub async fn attach_on(
        client: &mut Client,
        node: Option<&str>,
        session_id: &str,
        (rows, cols): (u16, u16),
        resume_from: Option<u64>,
    ) -> Result<Self, ExecError> {
        Self::open(
            client,
            node,
            RequestType::Attach(ExecAttach {
                session_id: session_id.to_string(),
                rows: rows.into(),
                cols: cols.into(),
                resume_from,
            }),
        )
        .await
    }

    async fn open(
        client: &mut Client,
        node: Option<&str>,
        opening: RequestType,
    ) -> Result<Self, ExecError> {
        let first = ExecRequest {
            request_type: Some(opening),
        };
        // Over the limit, the transport would only reset the stream with
        // an "h2 protocol error"; say what is too big instead.
        let len = prost::Message::encoded_len(&first);
        if len > dockyard_proto::MAX_MESSAGE_SIZE {
            return Err(ExecError::Rejected {
                cause: Cause::BadRequest,
                node: None,
                message: format!(
                    "the command and its environment take {:.1} MiB, over the {} MiB a request may carry",
                    len as f64 / (1024.0 * 1024.0),
                    dockyard_proto::MAX_MESSAGE_SIZE / (1024 * 1024)
                ),
            });
        }
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        tx.send(first).await.map_err(|_| ExecError::Disconnected)?;
        let answer = client
            .exec_container(crate::routed(ReceiverStream::new(rx), node))
            .await?;
        // The node that serves it, as a cluster's agent names it: where
        // to attach again, when the entry found the container's node.
        let node = answer
            .metadata()
            .get(dockyard_proto::NODE_KEY)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| node.map(str::to_string));
        let mut responses = answer.into_inner();
        let first = responses.message().await?.ok_or(ExecError::Disconnected)?;
        match first.response_type {
            Some(ResponseType::Status(s)) if s.success && !s.finished => Ok(ExecSession {
                input: ExecInput { tx },
                responses,
                exec_id: s.exec_id,
                session_id: s.session_id,
                offset: s.offset,
                detached_ttl: std::time::Duration::from_millis(s.detached_ttl_ms),
                node,
                finished: false,
            }),
            Some(ResponseType::Status(s)) if !s.success => Err(ExecError::refused(s, node)),
            other => Err(ExecError::Protocol(format!(
                "expected a start status, got {other:?}"
            ))),
        }
    }

    pub fn exec_id(&self) -> &str {
        &self.exec_id
    }

    /// The agent's id for this exec's durable session; empty when the
    /// agent keeps none for it (no TTY, or sessions are off there).
    /// The node of a cluster it runs on, when it was started or attached
    /// there by name (for attaching again).
    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// How long the agent keeps this session after its last client is
    /// gone: how long reconnecting is worth trying. Zero when the session
    /// is not durable, or the agent (an older one) did not say.
    pub fn detached_ttl(&self) -> std::time::Duration {
        self.detached_ttl
    }

    /// How far into the session's output this client has got: what to
    /// resume from after a lost connection.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// A handle for stdin and resizes; clone it into whatever task feeds it.
    pub fn input(&self) -> ExecInput {
        self.input.clone()
    }

    /// The next output chunk or the exit status. `Ok(None)` after `Exited`.
    pub async fn next_event(&mut self) -> Result<Option<ExecEvent>, ExecError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            let msg = match self.responses.message().await {
                Ok(Some(m)) => m,
                Ok(None) => return Err(ExecError::Disconnected),
                // The agent's own refusals keep their words; a broken
                // transport says what broke.
                Err(s) if transport_broke(s.code()) => {
                    return Err(ExecError::Lost(crate::dial::error_chain(&s)));
                }
                Err(s) => return Err(s.into()),
            };
            match msg.response_type {
                Some(ResponseType::Output(o)) => {
                    // "screen" bytes redraw a session's screen (on attach,
                    // or after this client fell behind others): shown like
                    // stdout, not part of the program's output; they stand
                    // for the output up to their offset.
                    let stream = match o.output_kind() {
                        OutputKind::Stderr => OutputStream::Stderr,
                        OutputKind::Screen => {
                            if let Some(at) = o.offset {
                                self.offset = at;
                            }
                            OutputStream::Stdout
                        }
                        OutputKind::Stdout | OutputKind::Unspecified => {
                            self.offset += o.data.len() as u64;
                            OutputStream::Stdout
                        }
                    };
                    return Ok(Some(ExecEvent::Output {
                        stream,
                        data: o.data,
                    }));
                }
                Some(ResponseType::Status(s)) if s.finished => {
                    self.finished = true;
                    return Ok(Some(finished(s)));
                }
                Some(ResponseType::Status(s)) if !s.success => {
                    self.finished = true;
                    return Err(ExecError::refused(s, self.node.clone()));
                }
                // Intermediate statuses carry nothing a client acts on.
                Some(ResponseType::Status(_)) | None => continue,
            }
        }
    }
}

fn finished(s: ExecStatus) -> ExecEvent {
    if s.detached {
        ExecEvent::Detached {
            session_id: s.session_id,
        }
    } else {
        ExecEvent::Exited {
            code: s.exit_code,
            cause: Cause::of_exec(&s),
            message: s.message,
        }
    }
}
