//! A pane's terminal: a vt100 parser fed with a session's bytes, at the
//! size the pane's area gives it, plus what the program asked of its
//! terminal (answers to queries, a title). Everything outside reads the
//! screen through here; nothing else holds the parser.

use bytes::Bytes;

use crate::term::encode::Modes;

/// Lines of scrollback kept per pane.
pub const SCROLLBACK: usize = 10_000;

/// Answers the queries a shell sends at start. Without a reply to the
/// cursor-position report (`ESC[6n`) some shells wait before their prompt.
#[derive(Debug, Default)]
pub struct Replies {
    pending: Vec<u8>,
    title: Option<String>,
}

impl vt100::Callbacks for Replies {
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
                self.pending
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (None, 'n', 5) => self.pending.extend_from_slice(b"\x1b[0n"),
            // Primary device attributes: a VT100 with advanced video.
            (None, 'c', 0) => self.pending.extend_from_slice(b"\x1b[?1;2c"),
            (Some(b'>'), 'c', 0) => self.pending.extend_from_slice(b"\x1b[>0;0;0c"),
            _ => {}
        }
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        let t: String = String::from_utf8_lossy(title)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        self.title = Some(t);
    }
}

pub struct TermScreen {
    parser: vt100::Parser<Replies>,
    /// The size last given to the parser (and so to the remote TTY).
    size: (u16, u16),
}

fn nz(v: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(v.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

impl TermScreen {
    pub fn new(rows: u16, cols: u16) -> Self {
        TermScreen {
            parser: vt100::Parser::new_with_callbacks(
                nz(rows),
                nz(cols),
                SCROLLBACK,
                Replies::default(),
            ),
            size: (rows.max(1), cols.max(1)),
        }
    }

    /// Feeds output; returns bytes to send back (answers to queries).
    pub fn feed(&mut self, data: &[u8]) -> Option<Bytes> {
        self.parser.process(data);
        let replies = &mut self.parser.callbacks_mut().pending;
        (!replies.is_empty()).then(|| Bytes::from(std::mem::take(replies)))
    }

    /// Sets the terminal size; true when it changed (and the remote TTY
    /// should be told).
    pub fn resize(&mut self, rows: u16, cols: u16) -> bool {
        let (rows, cols) = (rows.max(1), cols.max(1));
        if self.size == (rows, cols) {
            return false;
        }
        self.size = (rows, cols);
        self.parser.screen_mut().set_size(nz(rows), nz(cols));
        true
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Moves the view `delta` lines back (positive) or forward.
    pub fn scroll(&mut self, delta: isize) {
        let screen = self.parser.screen_mut();
        let cur = screen.scrollback() as isize;
        screen.set_scrollback((cur + delta).max(0) as usize);
    }

    /// Back to the live screen; true if the view was scrolled back.
    pub fn scroll_to_bottom(&mut self) -> bool {
        let scrolled = self.parser.screen().scrollback() > 0;
        if scrolled {
            self.parser.screen_mut().set_scrollback(0);
        }
        scrolled
    }

    /// Every line kept, scrollback then screen, oldest first, as text.
    /// Walks the scrollback a screen at a time; for a search, not a frame.
    pub fn lines(&mut self) -> Vec<String> {
        let screen = self.parser.screen_mut();
        let shown = screen.scrollback();
        screen.set_scrollback(usize::MAX);
        let total = screen.scrollback();
        let (rows, cols) = (screen.size().0.get() as usize, screen.size().1.get());
        let mut out: Vec<String> = Vec::with_capacity(total + rows);
        let mut offset = total;
        loop {
            screen.set_scrollback(offset);
            let first = total - offset;
            for (r, text) in screen.rows(0, cols).enumerate() {
                if first + r == out.len() {
                    out.push(text);
                }
            }
            if offset == 0 {
                break;
            }
            offset = offset.saturating_sub(rows);
        }
        screen.set_scrollback(shown);
        out
    }

    /// How many lines have scrolled off into the scrollback.
    fn scrollback_len(&mut self) -> usize {
        let screen = self.parser.screen_mut();
        let shown = screen.scrollback();
        screen.set_scrollback(usize::MAX);
        let total = screen.scrollback();
        screen.set_scrollback(shown);
        total
    }

    /// The line (as [`lines`](Self::lines) counts) at the top of the view.
    pub fn top_line(&mut self) -> usize {
        self.scrollback_len() - self.parser.screen().scrollback()
    }

    /// The line at the bottom of the view.
    pub fn bottom_line(&mut self) -> usize {
        self.top_line() + usize::from(self.size.0) - 1
    }

    /// Scrolls so that line `i` is in the middle of the view (or as near
    /// as the ends allow).
    pub fn show_line(&mut self, i: usize) {
        let total = self.scrollback_len();
        let half = usize::from(self.size.0) / 2;
        let offset = (total + half).saturating_sub(i).min(total);
        self.parser.screen_mut().set_scrollback(offset);
    }

    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// The input modes the program asked for, for encoding keys.
    pub fn modes(&self) -> Modes {
        Modes::of(self.parser.screen())
    }

    /// The window title the program set, if any (unescaped: the
    /// program's bytes, less control characters).
    pub fn title(&self) -> Option<&str> {
        self.parser
            .callbacks()
            .title
            .as_deref()
            .filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cursor_position_and_device_attributes() {
        let mut t = TermScreen::new(10, 20);
        let reply = t.feed(b"ab\x1b[6n").expect("a reply");
        assert_eq!(&reply[..], b"\x1b[1;3R");
        assert_eq!(&t.feed(b"\x1b[c").expect("DA")[..], b"\x1b[?1;2c");
        assert!(t.feed(b"plain text").is_none());
    }

    #[test]
    fn resize_reports_changes_only() {
        let mut t = TermScreen::new(10, 20);
        assert!(!t.resize(10, 20));
        assert!(t.resize(5, 7));
        assert_eq!(t.screen().size().0.get(), 5);
        assert!(!t.resize(5, 7));
        assert!(t.resize(0, 0), "zero is clamped to 1, never a panic");
    }

    #[test]
    fn lines_and_showing_one() {
        let mut t = TermScreen::new(4, 20);
        for i in 0..30 {
            t.feed(format!("line {i}\r\n").as_bytes());
        }
        let lines = t.lines();
        assert_eq!(lines.len(), 31);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[29], "line 29");
        assert_eq!(t.bottom_line(), 30);
        t.show_line(5);
        assert_eq!(t.top_line(), 3);
        assert!(t.screen().contents().contains("line 5"));
        t.show_line(0);
        assert_eq!(t.top_line(), 0);
        t.show_line(30);
        assert_eq!(t.top_line(), 27);
        assert_eq!(t.lines(), lines, "looking does not move the view's content");
    }

    #[test]
    fn title_set_by_the_program() {
        let mut t = TermScreen::new(2, 10);
        assert_eq!(t.title(), None);
        t.feed(b"\x1b]0;vi notes\x07");
        assert_eq!(t.title(), Some("vi notes"));
    }
}
