//! One client of a session: the exec stream that started it or attached to
//! it. Its requests (keystrokes, resizes, end of input, detach, end) are
//! carried out here, beside the pump, so input never waits on output (a
//! program blocked on a full stdout while we block on its full stdin would
//! deadlock); its output comes from the session's pump. A client leaving
//! (stream closed or broken) detaches it from a durable session and ends
//! any other.

use std::sync::Arc;

use dockyard_proto::Cause;
use dockyard_proto::pb::{ExecAttach, ExecRequest, exec_request::RequestType};
use dockyard_term::Size;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tonic::Status;

use super::pump::{Client, Control};
use super::{Session, Sessions};
use crate::auth::Caller;
use crate::error::AgentError;
use crate::exec::ExecSpec;
use crate::wire::{self, ResponseTx, reject};

/// Starts `spec` as a session and serves its first client.
pub async fn start<S>(
    sessions: &Sessions,
    spec: ExecSpec,
    caller: Caller,
    inbound: S,
    tx: ResponseTx,
) where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    match sessions.start(&spec, caller, tx.clone()).await {
        Ok(session) => serve(session, 0, inbound, tx).await,
        Err(e) => reject(&tx, e).await,
    }
}

/// Attaches a client to a running session it owns.
pub async fn attach<S>(
    sessions: &Sessions,
    req: ExecAttach,
    caller: Caller,
    inbound: S,
    tx: ResponseTx,
) where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    let session = match sessions.find(&req.session_id, &caller) {
        Ok(s) => s,
        Err(e) => return reject(&tx, e).await,
    };
    let id = session.client_id();
    let client = Client::new(id, tx.clone(), Size::clamped(req.rows, req.cols));
    let joined = session
        .control
        .send(Control::Attach {
            client,
            resume_from: req.resume_from,
        })
        .await;
    if joined.is_err() {
        return reject(&tx, AgentError::SessionEnded(req.session_id)).await;
    }
    serve(session, id, inbound, tx).await
}

/// Carries out a client's requests until it leaves or the session ends.
async fn serve<S>(session: Arc<Session>, id: u64, inbound: S, tx: ResponseTx)
where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    // The client vanishing is noticed even while a request is being
    // carried out (a write to a program that does not read its stdin can
    // wait for ever): it leaves, which ends an exec that ends with it.
    let watch = {
        let (session, tx) = (session.clone(), tx.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = session.ended.cancelled() => {}
                _ = tx.closed() => leave(&session, id, false).await,
            }
        })
    };
    carry_out(&session, id, inbound, &tx).await;
    watch.abort();
}

async fn carry_out<S>(session: &Arc<Session>, id: u64, mut inbound: S, tx: &ResponseTx)
where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    let session = session.clone();
    // This client ended the program's input (StdinClose).
    let mut closed_stdin = false;
    loop {
        let req = tokio::select! {
            _ = session.ended.cancelled() => return,
            // Nobody reads this client's output any more.
            _ = tx.closed() => return leave(&session, id, false).await,
            req = inbound.next() => req,
        };
        let request = match req {
            Some(Ok(r)) => r.request_type,
            Some(Err(e)) => {
                let sid = &session.id;
                tracing::debug!(session = sid, client = id, "client stream broke: {e}");
                return leave(&session, id, false).await;
            }
            None => {
                // The client half-closed its request stream. For an exec
                // that ends with its client, that is the end of its stdin,
                // as for `cat` in a pipe. A durable session's client is a
                // terminal that went away (a dropped SSH link ends stdin
                // too): nothing is typed into a session that is meant to
                // run on. Either way the client still gets output until it
                // goes.
                if !session.durable && !closed_stdin {
                    close_stdin(&session).await;
                }
                tokio::select! {
                    _ = session.ended.cancelled() => {}
                    _ = tx.closed() => leave(&session, id, false).await,
                }
                return;
            }
        };
        match request {
            Some(RequestType::Input(i)) => {
                if session.stdin.is_none() {
                    return violation(&session, id, "input to an exec started without stdin").await;
                }
                if closed_stdin && !session.durable {
                    return violation(&session, id, "input after the client closed stdin").await;
                }
                write(&session, &i.data).await;
            }
            Some(RequestType::Resize(r)) => {
                let resize = Control::Resize {
                    id,
                    size: Size::clamped(r.rows, r.cols),
                };
                let _ = session.control.send(resize).await;
            }
            Some(RequestType::StdinClose(_)) => {
                if !closed_stdin {
                    close_stdin(&session).await;
                    closed_stdin = true;
                }
            }
            Some(RequestType::Detach(_)) if session.durable => {
                return leave(&session, id, true).await;
            }
            Some(RequestType::Detach(_)) => {
                return violation(&session, id, "a detach from an exec that is not a session")
                    .await;
            }
            // The end comes back as the final status, like any other ending.
            Some(RequestType::End(_)) => session.end("ended by its client").await,
            Some(RequestType::Start(_)) => {
                return violation(&session, id, "a second ExecStart").await;
            }
            Some(RequestType::Attach(_)) => {
                return violation(&session, id, "an attach after the start").await;
            }
            None => return violation(&session, id, "an empty request").await,
        }
    }
}

async fn leave(session: &Session, id: u64, detached: bool) {
    let leave = Control::Leave {
        id,
        detached,
        farewell: None,
    };
    let _ = session.control.send(leave).await;
}

/// Keystrokes for the program. A failed write means the program closed
/// its stdin or ended (like a pipe whose reader went away, what follows
/// has nowhere to go); its output and exit status still come.
async fn write(session: &Session, data: &[u8]) {
    session.touch();
    session
        .bytes_in
        .fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
    if let Some(stdin) = &session.stdin
        && let Err(e) = stdin.lock().await.write_all(data).await
    {
        let session = &session.id;
        tracing::debug!(session, "stdin write failed: {e}");
    }
}

/// End of input. Without a TTY, the program's stdin is closed. With one,
/// closing it would make the engine end the whole exec at once and leave
/// the program running, so the terminal's EOF character is typed instead,
/// as a person would.
async fn close_stdin(session: &Session) {
    let Some(stdin) = &session.stdin else {
        return;
    };
    let mut stdin = stdin.lock().await;
    let r = if session.tty {
        stdin.write_all(b"\x04").await
    } else {
        stdin.shutdown().await
    };
    if let Err(e) = r {
        let session = &session.id;
        tracing::debug!(session, "closing exec stdin: {e}");
    }
}

/// A client broke the protocol: it is told, and leaves. A durable session
/// (which others may share) runs on; any other exec ends with it.
async fn violation(session: &Session, id: u64, what: &str) {
    let sid = &session.id;
    tracing::info!(session = sid, client = id, "protocol error: {what}");
    let then = if session.durable {
        "this client was detached"
    } else {
        "the command was ended"
    };
    let farewell = wire::failed(
        session.about(),
        Cause::BadRequest,
        format!("protocol error: {what}; {then}"),
    );
    let leave = Control::Leave {
        id,
        detached: false,
        farewell: Some(farewell),
    };
    let _ = session.control.send(leave).await;
    if !session.durable {
        // Its process ends now, even if the pump is held up (by this very
        // client not reading).
        session.kill.cancel();
    }
}
