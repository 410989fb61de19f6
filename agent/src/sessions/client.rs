//! One client of a session: the exec stream that started it or attached to
//! it. Its requests (keystrokes, resizes, detach, end) are carried out
//! here; its output comes from the session's pump. The client leaving
//! (stream closed or broken) is a detach, never the end of the program.

use std::sync::Arc;

use dockyard_proto::pb::{ExecAttach, ExecRequest, ExecStatus, exec_request::RequestType};
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tonic::Status;

use super::pump::{Client, Control};
use super::{ResponseTx, Session, Sessions};
use crate::auth::Caller;
use crate::exec::ExecSpec;

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
        Err(e) => crate::conversation::reject(&tx, e.to_string()).await,
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
        Err(e) => return crate::conversation::reject(&tx, e.to_string()).await,
    };
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let id = session.client_id();
    let client = Client {
        id,
        tx: tx.clone(),
        size: (clamp(req.rows), clamp(req.cols)),
    };
    let joined = session
        .control
        .send(Control::Attach {
            client,
            resume_from: req.resume_from,
        })
        .await;
    if joined.is_err() {
        let gone = format!("the session {} has ended", req.session_id);
        return crate::conversation::reject(&tx, gone).await;
    }
    serve(session, id, inbound, tx).await
}

/// Carries out a client's requests until it leaves or the session ends.
pub async fn serve<S>(session: Arc<Session>, id: u64, mut inbound: S, tx: ResponseTx)
where
    S: Stream<Item = Result<ExecRequest, Status>> + Unpin,
{
    let mut typed_eof = false;
    loop {
        let req = tokio::select! {
            _ = session.ended.cancelled() => return,
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
                // The client's request stream ended: a terminal that went
                // away (a dropped SSH link ends stdin too). Nothing is
                // typed into a session that is meant to run on; the client
                // still gets output until it goes. (An explicit StdinClose
                // types the terminal's EOF, as for a plain TTY exec.)
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
                write(&session, &i.data).await;
            }
            Some(RequestType::Resize(r)) => {
                let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
                let resize = Control::Resize {
                    id,
                    rows: clamp(r.rows),
                    cols: clamp(r.cols),
                };
                let _ = session.control.send(resize).await;
            }
            Some(RequestType::StdinClose(_)) => {
                if !typed_eof {
                    write(&session, b"\x04").await;
                    typed_eof = true;
                }
            }
            Some(RequestType::Detach(_)) => return leave(&session, id, true).await,
            // The session's end comes back as the final status, like any
            // other ending.
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
/// its stdin or ended; its output and exit status still come.
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

/// A client broke the protocol: it is told, and leaves. The session (which
/// others may share) runs on.
async fn violation(session: &Session, id: u64, what: &str) {
    let sid = &session.id;
    tracing::info!(session = sid, client = id, "protocol error: {what}");
    let farewell = ExecStatus {
        success: false,
        exec_id: session.exec_id.clone(),
        message: format!("protocol error: {what}; this client was detached"),
        exit_code: -1,
        finished: true,
        session_id: session.id.clone(),
        ..Default::default()
    };
    let leave = Control::Leave {
        id,
        detached: false,
        farewell: Some(farewell),
    };
    let _ = session.control.send(leave).await;
}
