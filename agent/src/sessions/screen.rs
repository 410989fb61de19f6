//! A session's own terminal: the shared terminal model (`dockyard_term`)
//! fed with everything the program writes, at the session's size, in a
//! task beside the pump so parsing does not slow forwarding. It answers
//! the program's terminal queries while nobody is attached (a client's
//! terminal answers otherwise), and on attach produces the bytes that
//! redraw the screen as the program left it.

use std::sync::Arc;

use bytes::Bytes;
use dockyard_term::{Limits, Size, Terminal};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::{Session, lock};

/// Chunks queued for parsing before the pump waits for the parser: with
/// the pump's 64 KiB chunks, a few MiB at most.
const QUEUE: usize = 64;

pub(super) enum ScreenMsg {
    Output(Bytes),
    Resize(Size),
    /// The redraw for a client that attaches, once everything before it is
    /// parsed.
    Snapshot(oneshot::Sender<Vec<u8>>),
}

pub(super) type ScreenTx = mpsc::Sender<ScreenMsg>;

/// The largest screen the agent keeps a copy of. A client may claim any
/// size up to 65535 x 65535 (the engine accepts it); a grid that size
/// would take terabytes. Bigger than any real terminal, about 6 MB.
const MAX: Size = Size::new(300, 600);

pub(super) fn spawn(session: Arc<Session>, size: Size) -> ScreenTx {
    let (tx, rx) = mpsc::channel(QUEUE);
    // No history: the ring is the session's history.
    let term = Terminal::new(size.at_most(MAX), Limits::NONE);
    tokio::spawn(run(session, term, rx));
    tx
}

async fn run(session: Arc<Session>, mut term: Terminal, mut rx: mpsc::Receiver<ScreenMsg>) {
    while let Some(msg) = rx.recv().await {
        match msg {
            ScreenMsg::Output(data) => {
                let replies = term.feed_visible(&data);
                if let Some(title) = term.take_new_title() {
                    lock(&session.state).title = title;
                }
                answer(&session, replies).await;
            }
            ScreenMsg::Resize(size) => {
                term.resize(size.at_most(MAX));
            }
            ScreenMsg::Snapshot(reply) => {
                let _ = reply.send(term.redraw());
            }
        }
    }
}

/// The terminal's answers to the program's queries, typed into its stdin
/// while no client's terminal is there to answer.
async fn answer(session: &Session, replies: Vec<u8>) {
    if replies.is_empty() || lock(&session.state).clients > 0 {
        return;
    }
    // Never waits on the program: one that does not read its stdin (or a
    // client's write in progress) must not stop the screen, and with it
    // the pump. An answer that cannot go at once is dropped.
    if let Some(stdin) = &session.stdin
        && let Ok(mut stdin) = stdin.try_lock()
    {
        let write = stdin.write_all(&replies);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(100), write).await;
    }
}
