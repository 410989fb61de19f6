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
    /// Output, in the order it came; `answer`: it came while nobody was
    /// attached, so the screen answers the queries in it (a client's
    /// terminal answered them otherwise).
    Output {
        pieces: Vec<Bytes>,
        answer: bool,
    },
    Resize(Size),
    /// The redraw for a client that attaches, once everything before it is
    /// parsed.
    Snapshot(oneshot::Sender<Vec<u8>>),
}

pub(super) type ScreenTx = mpsc::Sender<ScreenMsg>;

/// Output held back from the screen while a client is attached, up to
/// this much: parsed in larger pieces, more of a flood is skipped (see
/// `Terminal::feed_visible`), and the screen's task wakes less often.
const HOLD: usize = 256 * 1024;

/// How long output may wait to reach the screen (its title shows in the
/// sessions list).
pub(super) const HOLD_FOR: std::time::Duration = std::time::Duration::from_millis(50);

/// The pump's side of the screen: output goes to it in pieces, at once
/// while nobody is attached (queries are answered from it then), and
/// everything held goes before a resize or a redraw.
pub(super) struct ScreenFeed {
    tx: ScreenTx,
    held: Vec<Bytes>,
    held_len: usize,
}

impl ScreenFeed {
    pub(super) async fn output(&mut self, data: Bytes, attached: bool) {
        if attached {
            self.held_len += data.len();
            self.held.push(data);
            if self.held_len >= HOLD {
                self.flush().await;
            }
        } else {
            self.flush().await;
            self.send(vec![data], true).await;
        }
    }

    pub(super) fn holds_any(&self) -> bool {
        !self.held.is_empty()
    }

    /// What is held goes to the screen (it came while a client was
    /// attached: its queries were answered).
    pub(super) async fn flush(&mut self) {
        if self.held.is_empty() {
            return;
        }
        self.held_len = 0;
        let pieces = std::mem::take(&mut self.held);
        self.send(pieces, false).await;
    }

    async fn send(&self, pieces: Vec<Bytes>, answer: bool) {
        let _ = self.tx.send(ScreenMsg::Output { pieces, answer }).await;
    }

    pub(super) async fn resize(&mut self, size: Size) {
        self.flush().await;
        let _ = self.tx.send(ScreenMsg::Resize(size)).await;
    }

    /// The bytes that redraw the screen as of the output so far.
    pub(super) async fn redraw(&mut self) -> Vec<u8> {
        self.flush().await;
        let (reply, redraw) = oneshot::channel();
        let _ = self.tx.send(ScreenMsg::Snapshot(reply)).await;
        redraw.await.unwrap_or_default()
    }
}

/// The largest screen the agent keeps a copy of. A client may claim any
/// size up to 65535 x 65535 (the engine accepts it); a grid that size
/// would take terabytes. Bigger than any real terminal, about 6 MB.
const MAX: Size = Size::new(300, 600);

pub(super) fn spawn(session: Arc<Session>, size: Size) -> ScreenFeed {
    let (tx, rx) = mpsc::channel(QUEUE);
    // No history: the ring is the session's history.
    let term = Terminal::new(size.at_most(MAX), Limits::NONE);
    tokio::spawn(run(session, term, rx));
    ScreenFeed {
        tx,
        held: Vec::new(),
        held_len: 0,
    }
}

async fn run(session: Arc<Session>, mut term: Terminal, mut rx: mpsc::Receiver<ScreenMsg>) {
    let mut next = None;
    loop {
        let msg = match next.take() {
            Some(m) => m,
            None => match rx.recv().await {
                Some(m) => m,
                None => return,
            },
        };
        match msg {
            ScreenMsg::Output { mut pieces, answer } => {
                // The output queued meanwhile, taken as one: the more lines
                // in one piece, the more of a flood is skipped unparsed.
                while let Ok(m) = rx.try_recv() {
                    match m {
                        ScreenMsg::Output {
                            pieces: more,
                            answer: same,
                        } if same == answer => pieces.extend(more),
                        other => {
                            next = Some(other);
                            break;
                        }
                    }
                }
                let replies = match pieces.as_slice() {
                    [one] => term.feed_visible(one),
                    _ => term.feed_visible(&pieces.concat()),
                };
                if let Some(title) = term.take_new_title() {
                    lock(&session.state).title = title;
                }
                if answer {
                    reply(&session, replies).await;
                }
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
async fn reply(session: &Session, replies: Vec<u8>) {
    if replies.is_empty() {
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
