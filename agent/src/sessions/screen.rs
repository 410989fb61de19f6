//! A session's own terminal: a vt100 parser fed with everything the
//! program writes, at the session's size, in a task beside the pump so
//! parsing does not slow forwarding. It answers the program's terminal
//! queries while nobody is attached (a client's terminal answers
//! otherwise), and on attach produces the bytes that redraw the screen as
//! the program left it.

use std::num::NonZeroU16;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use super::{Session, lock};

/// Chunks queued for parsing before the pump waits for the parser: with
/// the pump's 64 KiB chunks, a few MiB at most.
const QUEUE: usize = 64;

pub(super) enum ScreenMsg {
    Output(Bytes),
    Resize(u16, u16),
    /// The redraw for a client that attaches, once everything before it is
    /// parsed.
    Snapshot(oneshot::Sender<Vec<u8>>),
}

pub(super) type ScreenTx = mpsc::Sender<ScreenMsg>;

/// What the program asked of its terminal beyond the screen: a title, and
/// answers to queries.
#[derive(Default)]
struct Asked {
    replies: Vec<u8>,
    title: Option<String>,
}

impl vt100::Callbacks for Asked {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (None, 'n', 5) => self.replies.extend_from_slice(b"\x1b[0n"),
            (None, 'c', 0) => self.replies.extend_from_slice(b"\x1b[?1;2c"),
            (Some(b'>'), 'c', 0) => self.replies.extend_from_slice(b"\x1b[>0;0;0c"),
            _ => {}
        }
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = Some(
            String::from_utf8_lossy(title)
                .chars()
                .filter(|c| !c.is_control())
                .collect(),
        );
    }
}

/// The largest screen the agent keeps a copy of. A client may claim any
/// size up to 65535 x 65535 (the engine accepts it); a grid that size
/// would take terabytes. Bigger than any real terminal, about 6 MB.
const MAX_ROWS: u16 = 300;
const MAX_COLS: u16 = 600;

fn nz(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v.max(1)).unwrap_or(NonZeroU16::MIN)
}

fn bounded(rows: u16, cols: u16) -> (NonZeroU16, NonZeroU16) {
    (nz(rows.min(MAX_ROWS)), nz(cols.min(MAX_COLS)))
}

pub(super) fn spawn(session: Arc<Session>, rows: u16, cols: u16) -> ScreenTx {
    let (tx, rx) = mpsc::channel(QUEUE);
    // No scrollback: the ring is the session's history.
    let (rows, cols) = bounded(rows, cols);
    let parser = vt100::Parser::new_with_callbacks(rows, cols, 0, Asked::default());
    tokio::spawn(run(session, parser, rx));
    tx
}

async fn run(
    session: Arc<Session>,
    mut parser: vt100::Parser<Asked>,
    mut rx: mpsc::Receiver<ScreenMsg>,
) {
    let mut whole = dockyard_cast::WholeChars::default();
    while let Some(msg) = rx.recv().await {
        match msg {
            ScreenMsg::Output(data) => {
                whole.feed(&data, |data| parser.process(data));
                after_output(&session, &mut parser).await;
            }
            ScreenMsg::Resize(rows, cols) => {
                let (rows, cols) = bounded(rows, cols);
                parser.set_size(rows, cols);
            }
            ScreenMsg::Snapshot(reply) => {
                let _ = reply.send(redraw(&parser));
            }
        }
    }
}

async fn after_output(session: &Session, parser: &mut vt100::Parser<Asked>) {
    let asked = parser.callbacks_mut();
    if let Some(title) = asked.title.take() {
        lock(&session.state).title = title;
    }
    if asked.replies.is_empty() {
        return;
    }
    let replies = std::mem::take(&mut asked.replies);
    if lock(&session.state).clients > 0 {
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

/// Input modes a terminal may have been left in by what it showed before
/// (another program, the same one earlier), turned off so that the
/// snapshot's own modes are the only ones set: vt100 writes only the modes
/// that differ from a freshly reset terminal.
const RESET_MODES: &[u8] =
    b"\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l";

/// Bytes that bring a terminal to the session's state: the screen it is
/// on (main or alternate), its visible contents with colours and cursor,
/// the input modes (application cursor keys and keypad, bracketed paste,
/// mouse reporting) and the title.
fn redraw(parser: &vt100::Parser<Asked>) -> Vec<u8> {
    let screen = parser.screen();
    let mut out = Vec::new();
    out.extend_from_slice(if screen.alternate_screen() {
        b"\x1b[?1049h"
    } else {
        b"\x1b[?1049l"
    });
    out.extend_from_slice(RESET_MODES);
    out.extend_from_slice(b"\x1b[H\x1b[2J");
    out.extend_from_slice(screen.state_formatted().as_bytes());
    out
}

/// The title line a client's terminal is given on attach.
pub(super) fn title_bytes(title: &str) -> Vec<u8> {
    if title.is_empty() {
        Vec::new()
    } else {
        format!("\x1b]0;{title}\x07").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a terminal shows after the program's bytes and after the
    /// snapshot of them, fed to a fresh terminal, must be the same.
    fn replayed(bytes: &[u8], rows: u16, cols: u16) -> (vt100::Parser, vt100::Parser<Asked>) {
        let mut session =
            vt100::Parser::new_with_callbacks(nz(rows), nz(cols), 0, Asked::default());
        session.process(bytes);
        let mut client = vt100::Parser::new(nz(rows), nz(cols), 0);
        client.process(b"junk left on the terminal \x1b[?1h\x1b[?2004h");
        client.process(&redraw(&session));
        (client, session)
    }

    #[test]
    fn snapshot_restores_screen_and_modes() {
        let program = b"$ ls\r\n\x1b[31mred\x1b[0m plain\r\n\x1b[?1049h\x1b[H\x1b[1;4mvi screen\x1b[0m\x1b[5;3H\x1b[?1h\x1b=\x1b[?2004h";
        let (client, session) = replayed(program, 10, 40);
        let (c, s) = (client.screen(), session.screen());
        assert!(c.alternate_screen());
        assert_eq!(c.contents_formatted(), s.contents_formatted());
        assert_eq!(c.cursor_position(), s.cursor_position());
        assert!(c.application_cursor() && c.bracketed_paste() && c.application_keypad());
        let plain = b"a\r\nb\x1b[?1049h\x1b[?1049l\x1b[3;7H";
        let (client, session) = replayed(plain, 5, 20);
        assert!(!client.screen().alternate_screen());
        assert!(!client.screen().application_cursor() && !client.screen().bracketed_paste());
        assert_eq!(client.screen().contents(), session.screen().contents());
        assert_eq!(client.screen().cursor_position(), (2, 6));
    }
}
