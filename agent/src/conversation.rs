//! One exec conversation, from the client's first request to the final
//! status (DESIGN.md, "the wire contract"), in phases: `accept_start`
//! reads the first request, `begin` starts the exec and says so,
//! `Session::pump` carries the two directions until the output ends, and
//! `Session::final_status` says how it ended.
//!
//! Two directions run at once and never wait on each other: a task
//! (`feed_input`) feeds the client's input into the exec's stdin, while
//! this task forwards the exec's output to the client. Were they one loop, a
//! program blocked on a full stdout while we block on its full stdin would
//! deadlock. The input task returns how it ended (`InputEnd`), which the
//! final status reports. A third, small task (`reap`) ends the exec's
//! process if the client vanishes or the agent shuts down, so nothing is
//! left running in the container.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use dockyard_proto::pb::{
    ExecAttach, ExecOutput, ExecRequest, ExecResponse, ExecStart, ExecStatus,
    exec_request::RequestType, exec_response::ResponseType,
};
use futures::{Stream, StreamExt};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::attach::{Chunk, ExecStdin, OutputStream, StdStream};
use crate::audit::{Audit, ExecRecord, Outcome};
use crate::auth::Caller;
use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::{self, ExecSpec, StartedExec};
use crate::sessions::{self, Sessions};

mod input;

use input::{Input, InputEnd, feed_input};

/// Output messages queued towards the client before the exec's output is
/// no longer read (and the engine, then the program, is held back).
pub const OUTPUT_QUEUE: usize = 16;

/// How much of the output is kept to recognise the runtime's
/// "executable file not found" message.
const EARLY_OUTPUT: usize = 1024;

/// How long an exec orphaned by a lost engine is waited on to be ended.
pub(crate) const ENGINE_RETURN_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

pub use crate::sessions::ResponseTx;

fn status(s: ExecStatus) -> Result<ExecResponse, Status> {
    Ok(ExecResponse {
        response_type: Some(ResponseType::Status(s)),
    })
}

pub(crate) async fn reject(tx: &ResponseTx, message: String) {
    tracing::info!("exec rejected: {message}");
    let _ = tx
        .send(status(ExecStatus {
            success: false,
            message,
            ..Default::default()
        }))
        .await;
}

pub fn spec_from(start: ExecStart) -> ExecSpec {
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    ExecSpec {
        container: start.container_identifier,
        cmd: start.command,
        tty: start.tty.unwrap_or(start.interactive),
        stdin: start.attach_stdin.unwrap_or(true),
        user: start.user,
        working_dir: start.working_dir,
        env: start.environment,
        rows: clamp(start.rows),
        cols: clamp(start.cols),
        detach: start.detach,
        privileged: start.privileged,
    }
}

/// tonic's codec errors: the size limit (OutOfRange) and undecodable bytes
/// (Internal, "failed to decode ...").
fn unreadable(s: &Status) -> bool {
    match s.code() {
        tonic::Code::OutOfRange | tonic::Code::ResourceExhausted => true,
        tonic::Code::Internal => s.message().contains("decode"),
        _ => false,
    }
}

/// Runs a whole conversation. Returns when the final status is sent (or
/// nobody is left to send it to).
pub async fn run<S>(
    engine: Arc<Engine>,
    sessions: Sessions,
    audit: Arc<Audit>,
    caller: Caller,
    mut inbound: S,
    tx: ResponseTx,
    shutdown: CancellationToken,
) where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin + Send + 'static,
{
    let start = match accept_first(&mut inbound, &tx).await {
        Some(First::Start(s)) => s,
        Some(First::Attach(a)) => {
            return sessions::client::attach(&sessions, a, caller, inbound, tx).await;
        }
        None => return,
    };
    let spec = spec_from(start);
    if spec.detach {
        return detached(&engine, &spec, &caller, &audit, &tx).await;
    }
    if sessions.durable(&spec) {
        return sessions::client::start(&sessions, spec, caller, inbound, tx).await;
    }
    let Some((mut session, started)) = begin(engine, &spec, tx, shutdown).await else {
        return;
    };
    let record = ExecRecord::new(&session.exec_id, &caller, &spec);
    audit.started(&record);
    let input = tokio::spawn(feed_input(session.input(&spec, started.stdin), inbound));
    let Some(ended) = session.pump(started.output, input).await else {
        let outcome = Outcome {
            note: Some("the client went away; the command was ended".into()),
            ..session.counts()
        };
        audit.ended(&record, &outcome);
        return;
    };
    let status = session.final_status(ended).await;
    let outcome = Outcome {
        exit_code: Some(status.exit_code).filter(|_| status.success),
        note: (!status.success).then(|| status.message.clone()),
        ..session.counts()
    };
    audit.ended(&record, &outcome);
    session.finish(status).await;
}

/// `exec -d`: the started status and at once the final one, exit code 0;
/// or, when the runtime refused the process, its reason on stderr and its
/// exit code (126/127), as for an attached exec. No reaper: the process is
/// meant to outlive this conversation.
async fn detached(
    engine: &Engine,
    spec: &ExecSpec,
    caller: &Caller,
    audit: &Audit,
    tx: &ResponseTx,
) {
    let (exec_id, refused) = match exec::start_detached(engine, spec).await {
        Ok(exec::Detached::Running(id)) => (id, None),
        Ok(exec::Detached::Refused {
            exec_id,
            reason,
            code,
        }) => (exec_id, Some((reason, code))),
        Err(e) => return reject(tx, e.to_string()).await,
    };
    tracing::info!(exec_id, container = spec.container, cmd = ?spec.cmd, "exec started detached");
    // Its end is not seen: nothing is attached to it.
    audit.started(&ExecRecord::new(&exec_id, caller, spec));
    let started = ExecStatus {
        success: true,
        exec_id: exec_id.clone(),
        message: "Execution started successfully".into(),
        ..Default::default()
    };
    if tx.send(status(started)).await.is_err() {
        return;
    }
    let exit_code = match refused {
        Some((reason, code)) => {
            let chunk = Chunk {
                stream: StdStream::Stderr,
                data: format!("{reason}\n").into(),
            };
            if tx.send(Ok(output_message(chunk))).await.is_err() {
                return;
            }
            code
        }
        None => 0,
    };
    let _ = tx
        .send(status(ExecStatus {
            success: true,
            exec_id,
            message: "Running detached".into(),
            exit_code,
            finished: true,
            ..Default::default()
        }))
        .await;
}

/// How a conversation opens: a new exec, or a client joining a session.
enum First {
    Start(ExecStart),
    Attach(ExecAttach),
}

/// The first request, which must be an ExecStart or an ExecAttach. None
/// when it is not (the client is told, if it can still hear) or when the
/// client left.
async fn accept_first<S>(inbound: &mut S, tx: &ResponseTx) -> Option<First>
where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    match inbound.next().await {
        Some(Ok(ExecRequest {
            request_type: Some(RequestType::Start(s)),
        })) => Some(First::Start(s)),
        Some(Ok(ExecRequest {
            request_type: Some(RequestType::Attach(a)),
        })) => Some(First::Attach(a)),
        Some(Ok(_)) => {
            reject(tx, "First request must be ExecStart".into()).await;
            None
        }
        // A first message that could not be read (over the size limit,
        // undecodable): say why, in band, where the client still listens.
        // A broken or reset stream is not that; it ends quietly below.
        Some(Err(s)) if unreadable(&s) => {
            reject(
                tx,
                format!("the request could not be read: {}", s.message()),
            )
            .await;
            None
        }
        // The client left before saying anything.
        Some(Err(_)) | None => None,
    }
}

/// Starts the exec, arms the reaper and sends the "started" status. None
/// when the exec could not start (the client is told why) or the client is
/// already gone (the exec is ended).
async fn begin(
    engine: Arc<Engine>,
    spec: &ExecSpec,
    tx: ResponseTx,
    shutdown: CancellationToken,
) -> Option<(Session, StartedExec)> {
    let started = match exec::start(&engine, spec).await {
        Ok(s) => s,
        Err(e) => {
            reject(&tx, e.to_string()).await;
            return None;
        }
    };
    let exec_id = started.id.clone();
    tracing::info!(exec_id, container = spec.container, cmd = ?spec.cmd, tty = spec.tty, "exec started");
    let session = Session::new(engine, exec_id, tx, shutdown);
    let sent = session
        .tx
        .send(status(ExecStatus {
            success: true,
            exec_id: session.exec_id.clone(),
            message: "Execution started successfully".into(),
            ..Default::default()
        }))
        .await;
    if sent.is_err() {
        session.abandoned.cancel();
        let _ = session.reaper.await;
        return None;
    }
    Some((session, started))
}

/// A started exec and what its phases share.
struct Session {
    engine: Arc<Engine>,
    exec_id: String,
    /// Bytes written to the program's stdin and sent to the client.
    bytes_in: Arc<AtomicU64>,
    bytes_out: u64,
    tx: ResponseTx,
    shutdown: CancellationToken,
    /// Anything that means "nobody will read the output any more", or that
    /// the client broke the protocol: the exec's process is ended.
    abandoned: CancellationToken,
    reaper: JoinHandle<()>,
}

/// What the final status is made from, once the output has ended.
struct Ended {
    /// The output's start, to recognise the runtime's "executable file not
    /// found" message.
    early: Vec<u8>,
    input: InputEnd,
}

impl Session {
    fn new(
        engine: Arc<Engine>,
        exec_id: String,
        tx: ResponseTx,
        shutdown: CancellationToken,
    ) -> Self {
        let abandoned = CancellationToken::new();
        let reaper = tokio::spawn(reap(
            engine.clone(),
            exec_id.clone(),
            tx.clone(),
            abandoned.clone(),
            shutdown.clone(),
        ));
        Session {
            engine,
            exec_id,
            bytes_in: Arc::default(),
            bytes_out: 0,
            tx,
            shutdown,
            abandoned,
            reaper,
        }
    }

    /// The input direction's side of the session, for its task.
    fn input(&self, spec: &ExecSpec, stdin: ExecStdin) -> Input {
        Input {
            engine: self.engine.clone(),
            exec_id: self.exec_id.clone(),
            spec: spec.clone(),
            stdin_open: spec.stdin,
            stdin,
            closed_by_client: false,
            abandoned: self.abandoned.clone(),
            bytes_in: self.bytes_in.clone(),
        }
    }

    /// Bytes each way so far, for the audit log.
    fn counts(&self) -> Outcome {
        Outcome {
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out,
            ..Outcome::default()
        }
    }

    /// Forwards the output to the client, while `input` feeds stdin, until
    /// the output ends. None when the client went away (the exec is ended).
    async fn pump(&mut self, output: OutputStream, input: JoinHandle<InputEnd>) -> Option<Ended> {
        let output_since = Instant::now();
        let mut early = Vec::new();
        let client_here = self.forward_output(output, &mut early).await;
        let exec_id = &self.exec_id;
        tracing::debug!(
            exec_id,
            output_ms = output_since.elapsed().as_secs_f64() * 1e3,
            "output ended"
        );
        if !client_here {
            input.abort();
            tracing::info!(exec_id, "client went away; exec ended");
            let _ = (&mut self.reaper).await;
            return None;
        }
        let input = self.input_end(input).await;
        Some(Ended { early, input })
    }

    /// Forwards output until it ends or fails. False when the client went
    /// away.
    async fn forward_output(&mut self, mut output: OutputStream, early: &mut Vec<u8>) -> bool {
        while let Some(item) = output.next().await {
            let chunk = match item {
                Ok(c) => c,
                Err(e) => {
                    let exec_id = &self.exec_id;
                    tracing::warn!(exec_id, "reading exec output failed: {e}");
                    break;
                }
            };
            keep_early(early, &chunk.data);
            self.bytes_out += chunk.data.len() as u64;
            if self.tx.send(Ok(output_message(chunk))).await.is_err() {
                self.abandoned.cancel();
                return false;
            }
        }
        true
    }

    /// How the input direction ended, once the output has. Only the input
    /// task cancels `abandoned` while the client is here, and it returns
    /// right after, so then (or when it is done) it is awaited for how it
    /// ended; otherwise it is still reading the client, and is ended.
    async fn input_end(&self, input: JoinHandle<InputEnd>) -> InputEnd {
        if self.abandoned.is_cancelled() || input.is_finished() {
            input.await.unwrap_or(InputEnd::Cut)
        } else {
            input.abort();
            InputEnd::Cut
        }
    }

    /// The one final status: a protocol error, the exit code, or why the
    /// exit code could not be had.
    async fn final_status(&self, ended: Ended) -> ExecStatus {
        if let InputEnd::Violation(what) = ended.input {
            return ExecStatus {
                success: false,
                exec_id: self.exec_id.clone(),
                message: format!("protocol error: {what}; the command was ended"),
                exit_code: -1,
                finished: true,
                ..Default::default()
            };
        }
        match exec::exit_code(&self.engine, &self.exec_id).await {
            Ok(code) => self.exited(code, &ended.early),
            Err(e) => self.lost(e),
        }
    }

    fn exited(&self, code: i64, early: &[u8]) -> ExecStatus {
        let code = exec::classify_exit(code, early);
        let exec_id = &self.exec_id;
        tracing::info!(exec_id, code, "exec finished");
        ExecStatus {
            success: true,
            exec_id: self.exec_id.clone(),
            message: if self.shutdown.is_cancelled() {
                "the agent is shutting down; the command was ended".into()
            } else {
                "Execution completed".into()
            },
            exit_code: code,
            finished: true,
            ..Default::default()
        }
    }

    /// The exit code could not be read.
    fn lost(&self, e: AgentError) -> ExecStatus {
        let exec_id = &self.exec_id;
        tracing::warn!(exec_id, "exec lost: {e}");
        // The engine went away under the session: its process runs on
        // unattended. End it once the engine can say which it is.
        if matches!(e, AgentError::EngineUnavailable { .. }) {
            let (engine, exec_id) = (self.engine.clone(), self.exec_id.clone());
            tokio::spawn(async move {
                exec::kill_when_engine_returns(&engine, &exec_id, ENGINE_RETURN_LIMIT).await;
            });
        }
        ExecStatus {
            success: false,
            exec_id: self.exec_id.clone(),
            message: format!("Failed to get execution result: {e}"),
            exit_code: -1,
            finished: true,
            ..Default::default()
        }
    }

    /// Sends the final status; the reaper is stood down first.
    async fn finish(self, final_status: ExecStatus) {
        self.reaper.abort();
        let _ = self.tx.send(status(final_status)).await;
    }
}

/// The reaper: ends the exec's process when the agent shuts down, the
/// session is abandoned, or the client's response stream closes.
async fn reap(
    engine: Arc<Engine>,
    exec_id: String,
    tx: ResponseTx,
    abandoned: CancellationToken,
    shutdown: CancellationToken,
) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = abandoned.cancelled() => {}
        _ = tx.closed() => {}
    }
    exec::kill(&engine, &exec_id).await;
}

/// Keeps the first `EARLY_OUTPUT` bytes of the output.
fn keep_early(early: &mut Vec<u8>, data: &[u8]) {
    if early.len() < EARLY_OUTPUT {
        let n = (EARLY_OUTPUT - early.len()).min(data.len());
        early.extend_from_slice(&data[..n]);
    }
}

fn output_message(chunk: Chunk) -> ExecResponse {
    ExecResponse {
        response_type: Some(ResponseType::Output(ExecOutput {
            data: chunk.data,
            stream_type: match chunk.stream {
                StdStream::Stdout => "stdout",
                StdStream::Stderr => "stderr",
            }
            .into(),
        })),
    }
}
