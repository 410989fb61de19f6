//! How an exec stream opens (the wire contract in `docs/architecture.md`):
//! `accept_first` reads the first request, which starts an exec or
//! attaches to a session. Every attached exec then runs in the one exec
//! engine, `sessions` (a plain exec is a session nobody else can join,
//! ended when its client goes); only `exec -d`, which nobody is attached
//! to, is answered here.

use std::sync::Arc;

use dockyard_proto::pb::{
    ExecAttach, ExecRequest, ExecStart, OutputKind, exec_request::RequestType,
};
use dockyard_term::Size;
use futures::{Stream, StreamExt};
use tonic::Status;

use crate::audit::{Audit, ExecRecord};
use crate::auth::Caller;
use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::{self, ExecSpec};
use crate::sessions::{self, Sessions};
use crate::wire::{self, ResponseTx, output, reject, status};

/// Output messages queued towards the client before the exec's output is
/// no longer read (and the engine, then the program, is held back).
pub const OUTPUT_QUEUE: usize = 16;

pub fn spec_from(start: ExecStart) -> ExecSpec {
    ExecSpec {
        container: start.container_identifier,
        cmd: start.command,
        tty: start.tty.unwrap_or(start.interactive),
        stdin: start.attach_stdin.unwrap_or(true),
        user: start.user,
        working_dir: start.working_dir,
        env: start.environment,
        size: Size::clamped(start.rows, start.cols),
        detach: start.detach,
        privileged: start.privileged,
        debug: start.debug.map(|d| exec::DebugSpec {
            image: d.image,
            toolbox_root: d.toolbox_root,
        }),
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
) where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin + Send + 'static,
{
    match accept_first(&mut inbound, &tx).await {
        Some(First::Start(start)) => {
            let spec = spec_from(start);
            if spec.detach && spec.debug.is_some() {
                let why = "a debug session cannot be detached (-d): its helper lives as long as a session";
                reject(&tx, AgentError::InvalidArgument(why.into())).await;
            } else if spec.detach {
                detached(&engine, &spec, &caller, &audit, &tx).await;
            } else {
                sessions::client::start(&sessions, spec, caller, inbound, tx).await;
            }
        }
        Some(First::Attach(a)) => sessions::client::attach(&sessions, a, caller, inbound, tx).await,
        None => {}
    }
}

/// `exec -d`: the started status and at once the final one, exit code 0;
/// or, when the runtime refused the process, its reason on stderr and its
/// exit code (126/127), as for an attached exec. Nothing ends it: the process is
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
        Err(e) => return reject(tx, e).await,
    };
    tracing::info!(exec_id, container = spec.container, cmd = ?spec.cmd, "exec started detached");
    // Its end is not seen: nothing is attached to it.
    audit.started(&ExecRecord::new(&exec_id, caller, spec));
    let about = wire::About {
        exec_id: &exec_id,
        session_id: "",
    };
    if tx.send(status(wire::started(about, 0))).await.is_err() {
        return;
    }
    let exit_code = match refused {
        Some((reason, code)) => {
            let why = output(OutputKind::Stderr, format!("{reason}\n").into());
            if tx.send(why).await.is_err() {
                return;
            }
            code
        }
        None => 0,
    };
    let done = wire::finished(about, exit_code, "Running detached".into(), 0);
    let _ = tx.send(status(done)).await;
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
            let e = AgentError::InvalidArgument("First request must be ExecStart".into());
            reject(tx, e).await;
            None
        }
        // A first message that could not be read (over the size limit,
        // undecodable): say why, in band, where the client still listens.
        // A broken or reset stream is not that; it ends quietly below.
        Some(Err(s)) if unreadable(&s) => {
            let why = format!("the request could not be read: {}", s.message());
            reject(tx, AgentError::InvalidArgument(why)).await;
            None
        }
        // The client left before saying anything.
        Some(Err(_)) | None => None,
    }
}
