//! One exec conversation, from the client's first request to the final
//! status (DESIGN.md, "the wire contract").
//!
//! Two directions run at once and never wait on each other: a task feeds
//! the client's input into the exec's stdin, while this task forwards the
//! exec's output to the client. Were they one loop, a program blocked on a
//! full stdout while we block on its full stdin would deadlock. A third,
//! small task ends the exec's process if the client vanishes or the agent
//! shuts down, so nothing is left running in the container.

use std::sync::Arc;

use dockyard_proto::pb::{
    ExecOutput, ExecRequest, ExecResponse, ExecStart, ExecStatus, exec_request::RequestType,
    exec_response::ResponseType,
};
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::attach::{ExecStdin, StdStream};
use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::{self, ExecSpec};

/// Output messages queued towards the client before the exec's output is
/// no longer read (and the engine, then the program, is held back).
pub const OUTPUT_QUEUE: usize = 16;

/// How much of the output is kept to recognise the runtime's
/// "executable file not found" message.
const EARLY_OUTPUT: usize = 1024;

/// How long an exec orphaned by a lost engine is waited on to be ended.
const ENGINE_RETURN_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

pub type ResponseTx = mpsc::Sender<Result<ExecResponse, Status>>;

fn status(s: ExecStatus) -> Result<ExecResponse, Status> {
    Ok(ExecResponse {
        response_type: Some(ResponseType::Status(s)),
    })
}

async fn reject(tx: &ResponseTx, message: String) {
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
    mut inbound: S,
    tx: ResponseTx,
    shutdown: CancellationToken,
) where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin + Send + 'static,
{
    let start = match inbound.next().await {
        Some(Ok(ExecRequest {
            request_type: Some(RequestType::Start(s)),
        })) => s,
        Some(Ok(_)) => {
            reject(&tx, "First request must be ExecStart".into()).await;
            return;
        }
        // A first message that could not be read (over the size limit,
        // undecodable): say why, in band, where the client still listens.
        // A broken or reset stream is not that; it ends quietly below.
        Some(Err(s)) if unreadable(&s) => {
            reject(
                &tx,
                format!("the request could not be read: {}", s.message()),
            )
            .await;
            return;
        }
        // The client left before saying anything.
        Some(Err(_)) | None => return,
    };
    let spec = spec_from(start);
    let started = match exec::start(&engine, &spec).await {
        Ok(s) => s,
        Err(e) => {
            reject(&tx, engine.explain(e).to_string()).await;
            return;
        }
    };
    let exec_id = started.id.clone();
    tracing::info!(exec_id, container = spec.container, cmd = ?spec.cmd, tty = spec.tty, "exec started");

    // Anything that means "nobody will read the output any more", or that
    // the client broke the protocol: the exec's process is ended.
    let abandoned = CancellationToken::new();
    let violation: Violation = Arc::default();
    let reaper = {
        let (engine, exec_id, tx, abandoned, shutdown) = (
            engine.clone(),
            exec_id.clone(),
            tx.clone(),
            abandoned.clone(),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = abandoned.cancelled() => {}
                _ = tx.closed() => {}
            }
            exec::kill(&engine, &exec_id).await;
        })
    };

    let sent = tx
        .send(status(ExecStatus {
            success: true,
            exec_id: exec_id.clone(),
            message: "Execution started successfully".into(),
            ..Default::default()
        }))
        .await;
    if sent.is_err() {
        abandoned.cancel();
        let _ = reaper.await;
        return;
    }

    let input = tokio::spawn(feed_input(
        engine.clone(),
        exec_id.clone(),
        spec.clone(),
        inbound,
        started.stdin,
        abandoned.clone(),
        violation.clone(),
    ));

    let mut output = started.output;
    let output_since = std::time::Instant::now();
    let mut early = Vec::new();
    let mut client_gone = false;
    while let Some(item) = output.next().await {
        let chunk = match item {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(exec_id, "reading exec output failed: {e}");
                break;
            }
        };
        if early.len() < EARLY_OUTPUT {
            let n = (EARLY_OUTPUT - early.len()).min(chunk.data.len());
            early.extend_from_slice(&chunk.data[..n]);
        }
        let msg = ExecResponse {
            response_type: Some(ResponseType::Output(ExecOutput {
                data: chunk.data,
                stream_type: match chunk.stream {
                    StdStream::Stdout => "stdout",
                    StdStream::Stderr => "stderr",
                }
                .into(),
            })),
        };
        if tx.send(Ok(msg)).await.is_err() {
            client_gone = true;
            abandoned.cancel();
            break;
        }
    }
    input.abort();
    tracing::debug!(
        exec_id,
        output_ms = output_since.elapsed().as_secs_f64() * 1e3,
        "output ended"
    );

    if client_gone {
        tracing::info!(exec_id, "client went away; exec ended");
        let _ = reaper.await;
        return;
    }
    let broken = violation.lock().ok().and_then(|mut v| v.take());
    let exit = match &broken {
        Some(_) => None,
        None => Some(exec::exit_code(&engine, &exec_id).await),
    };
    let final_status = match exit {
        None => ExecStatus {
            success: false,
            exec_id: exec_id.clone(),
            message: format!(
                "protocol error: {}; the command was ended",
                broken.unwrap_or_default()
            ),
            exit_code: -1,
            finished: true,
        },
        Some(Ok(code)) => {
            let code = exec::classify_exit(code, &early);
            tracing::info!(exec_id, code, "exec finished");
            ExecStatus {
                success: true,
                exec_id: exec_id.clone(),
                message: if shutdown.is_cancelled() {
                    "the agent is shutting down; the command was ended".into()
                } else {
                    "Execution completed".into()
                },
                exit_code: code,
                finished: true,
            }
        }
        Some(Err(e)) => {
            let e = engine.explain(e);
            tracing::warn!(exec_id, "exec lost: {e}");
            // The engine went away under the session: its process runs on
            // unattended. End it once the engine can say which it is.
            if matches!(e, AgentError::EngineUnavailable { .. }) {
                let (engine, exec_id) = (engine.clone(), exec_id.clone());
                tokio::spawn(async move {
                    exec::kill_when_engine_returns(&engine, &exec_id, ENGINE_RETURN_LIMIT).await;
                });
            }
            ExecStatus {
                success: false,
                exec_id: exec_id.clone(),
                message: format!("Failed to get execution result: {e}"),
                exit_code: -1,
                finished: true,
            }
        }
    };
    reaper.abort();
    let _ = tx.send(status(final_status)).await;
}

/// A protocol violation seen on the input side, for the final status.
type Violation = Arc<std::sync::Mutex<Option<String>>>;

/// The input direction: stdin bytes, resizes, end of stdin. Returns when the
/// client half-closes; cancels `abandoned` if the client's stream breaks or
/// it breaks the protocol (recorded in `violation`).
async fn feed_input<S>(
    engine: Arc<Engine>,
    exec_id: String,
    spec: ExecSpec,
    mut inbound: S,
    mut stdin: ExecStdin,
    abandoned: CancellationToken,
    violation: Violation,
) where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    if spec.tty
        && let Err(e) = exec::resize(&engine, &exec_id, spec.rows, spec.cols, true).await
    {
        tracing::warn!(exec_id, "initial resize failed: {}", engine.explain(e));
    }
    let mut stdin_open = spec.stdin;
    let mut closed_by_client = false;
    let violate = |what: &str| {
        tracing::info!(exec_id, "protocol error: {what}");
        if let Ok(mut v) = violation.lock() {
            v.get_or_insert_with(|| what.to_string());
        }
        abandoned.cancel();
    };
    loop {
        let req = match inbound.next().await {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                tracing::debug!(exec_id, "client stream broke: {e}");
                abandoned.cancel();
                return;
            }
            None => {
                if stdin_open {
                    close_stdin(&mut stdin, spec.tty).await;
                }
                return;
            }
        };
        match req.request_type {
            Some(RequestType::Input(i)) if stdin_open => {
                if let Err(e) = stdin.write_all(&i.data).await {
                    // The program closed its stdin or ended; output and the
                    // exit status still come.
                    tracing::debug!(exec_id, "stdin write failed: {e}");
                    stdin_open = false;
                }
            }
            Some(RequestType::Input(_)) if closed_by_client => {
                return violate("input after the client closed stdin");
            }
            Some(RequestType::Input(_)) if !spec.stdin => {
                return violate("input to an exec started without stdin");
            }
            Some(RequestType::Input(_)) => {
                // The program closed its stdin itself: like a pipe whose
                // reader went away, what follows has nowhere to go.
            }
            Some(RequestType::Resize(r)) if spec.tty => {
                let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
                if let Err(e) =
                    exec::resize(&engine, &exec_id, clamp(r.rows), clamp(r.cols), false).await
                {
                    tracing::debug!(exec_id, "resize failed: {e}");
                }
            }
            Some(RequestType::Resize(_)) => {}
            Some(RequestType::StdinClose(_)) => {
                if stdin_open {
                    close_stdin(&mut stdin, spec.tty).await;
                    stdin_open = false;
                }
                closed_by_client = true;
            }
            Some(RequestType::Start(_)) => return violate("a second ExecStart"),
            None => return violate("an empty request"),
        }
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
