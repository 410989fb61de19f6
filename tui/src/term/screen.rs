//! A pane's terminal: a vt100 parser fed with a session's bytes, at the
//! size the pane's area gives it, plus what the program asked of its
//! terminal (answers to queries, a title). Everything outside reads the
//! screen through here; nothing else holds the parser.

use std::borrow::Cow;

use bytes::Bytes;

use crate::term::encode::Modes;
use crate::term::history::{History, Limits, Line};

/// What the pane's terminal does besides drawing: answers to queries, the
/// title, and keeping the rows that scroll off the top.
#[derive(Debug, Default)]
pub struct Hooks {
    pending: Vec<u8>,
    title: Option<String>,
    history: History,
    /// Rows kept since the view last looked (to hold a scrolled-back view
    /// on the same lines).
    pushed: usize,
    /// The history was erased since the view last looked.
    cleared: bool,
}

impl vt100::Callbacks for Hooks {
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

    /// `clear` (ED 3) erases the history, as in xterm and tmux.
    fn erase_scrollback(&mut self, _: &mut vt100::Screen) {
        self.history.clear();
        self.pushed = 0;
        self.cleared = true;
    }

    /// The alternate screen (vi, less) keeps no history, as in xterm and
    /// tmux.
    fn on_scroll(&mut self, row: vt100::capture::RowContents<'_>, alternate: bool) {
        if !alternate {
            self.history.push_row(&row);
            self.pushed += 1;
        }
    }
}

/// A pane's terminal: the live screen is vt100's grid; every line that
/// scrolled off it is in the compact [`History`] (vt100 itself keeps
/// none). Lines are numbered from the first ever kept, so a number stays
/// the same line while newer ones arrive and older ones are dropped.
pub struct TermScreen {
    parser: vt100::Parser<Hooks>,
    /// The size last given to the parser (and so to the remote TTY).
    size: (u16, u16),
    /// How many lines the view is scrolled back from the live screen.
    back: usize,
    /// A character cut by the end of the last output, for the next.
    whole: dockyard_cast::WholeChars,
    /// Counts the changes to what the view shows (output, size, scroll),
    /// for a drawing that reuses an unchanged pane.
    changes: u64,
}

fn nz(v: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(v.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

impl TermScreen {
    /// A terminal keeping the configured history.
    pub fn new(rows: u16, cols: u16) -> Self {
        Self::with_limits(rows, cols, Limits::configured())
    }

    pub fn with_limits(rows: u16, cols: u16, limits: Limits) -> Self {
        let hooks = Hooks {
            history: History::new(limits),
            ..Default::default()
        };
        TermScreen {
            // No scrollback in vt100: every row leaving the screen comes
            // to `on_scroll`, and from there to the history.
            parser: vt100::Parser::new_with_callbacks(nz(rows), nz(cols), 0, hooks),
            size: (rows.max(1), cols.max(1)),
            back: 0,
            whole: Default::default(),
            changes: 0,
        }
    }

    /// Feeds output; returns bytes to send back (answers to queries).
    pub fn feed(&mut self, data: &[u8]) -> Option<Bytes> {
        self.changes += 1;
        let parser = &mut self.parser;
        self.whole.feed(data, |whole| parser.process(whole));
        self.hold_view();
        let replies = &mut self.parser.callbacks_mut().pending;
        (!replies.is_empty()).then(|| Bytes::from(std::mem::take(replies)))
    }

    /// A view scrolled back stays on the lines it shows while new ones
    /// push the screen up (until they are dropped from the history).
    fn hold_view(&mut self) {
        let hooks = self.parser.callbacks_mut();
        let pushed = std::mem::take(&mut hooks.pushed);
        if std::mem::take(&mut hooks.cleared) {
            self.back = 0;
        }
        if self.back > 0 {
            self.back = (self.back + pushed).min(hooks.history.len());
        }
    }

    /// Sets the terminal size; true when it changed (and the remote TTY
    /// should be told).
    pub fn resize(&mut self, rows: u16, cols: u16) -> bool {
        self.changes += 1;
        let (rows, cols) = (rows.max(1), cols.max(1));
        if self.size == (rows, cols) {
            return false;
        }
        self.size = (rows, cols);
        // Rows a shorter screen pushes off go to the history (`set_size` on
        // the parser, not the screen, reports them). A taller one gets rows
        // at the bottom: asked for no scrollback, vt100 keeps none to pull
        // back.
        self.parser.set_size(nz(rows), nz(cols));
        self.hold_view();
        true
    }

    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    fn history(&self) -> &History {
        &self.parser.callbacks().history
    }

    /// How many changes the view has had (it shows the same while this
    /// stays the same).
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Lines scrolled back from the live screen (0: live).
    pub fn back(&self) -> usize {
        self.back
    }

    /// Moves the view `delta` lines back (positive) or forward.
    pub fn scroll(&mut self, delta: isize) {
        self.changes += 1;
        let max = self.history().len() as isize;
        self.back = (self.back as isize).saturating_add(delta).clamp(0, max) as usize;
    }

    /// Back to the live screen; true if the view was scrolled back.
    pub fn scroll_to_bottom(&mut self) -> bool {
        self.changes += 1;
        std::mem::take(&mut self.back) > 0
    }

    /// The number of the oldest line kept.
    pub fn first_line(&self) -> usize {
        self.history().dropped()
    }

    /// The number of the live screen's first row.
    fn screen_line(&self) -> usize {
        self.history().dropped() + self.history().len()
    }

    /// One past the number of the last line (the screen's last row).
    pub fn end_line(&self) -> usize {
        self.screen_line() + usize::from(self.size.0)
    }

    /// Line `n`: from the history, or a row of the live screen.
    pub fn line(&self, n: usize) -> Option<Cow<'_, Line>> {
        let i = n.checked_sub(self.first_line())?;
        let history = self.history();
        if let Some(l) = history.get(i) {
            return Some(Cow::Borrowed(l));
        }
        let row = u16::try_from(i - history.len()).ok()?;
        if row >= self.size.0 {
            return None;
        }
        let screen = self.parser.screen();
        let cells = (0..self.size.1).map_while(|c| screen.cell(row, c));
        Some(Cow::Owned(Line::from_cells(cells, screen.row_wrapped(row))))
    }

    /// The line at the top of the view.
    pub fn top_line(&self) -> usize {
        self.screen_line() - self.back
    }

    /// The line at the bottom of the view.
    pub fn bottom_line(&self) -> usize {
        self.top_line() + usize::from(self.size.0) - 1
    }

    /// Scrolls so that line `n` is in the middle of the view (or as near
    /// as the ends allow).
    pub fn show_line(&mut self, n: usize) {
        self.changes += 1;
        let half = usize::from(self.size.0) / 2;
        let top = n
            .saturating_sub(half)
            .clamp(self.first_line(), self.screen_line());
        self.back = self.screen_line() - top;
    }

    /// Scrolls as little as needed for line `n` to be in view.
    pub fn reveal_line(&mut self, n: usize) {
        self.changes += 1;
        let rows = usize::from(self.size.0);
        let top = if n < self.top_line() {
            n
        } else if n > self.bottom_line() {
            n + 1 - rows
        } else {
            return;
        };
        let top = top.clamp(self.first_line(), self.screen_line());
        self.back = self.screen_line() - top;
    }

    /// The live screen (cells, modes, cursor), whatever the view shows.
    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// Bytes the history holds.
    pub fn history_bytes(&self) -> usize {
        self.history().bytes()
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
        let text = |t: &TermScreen, n| t.line(n).map(|l| l.text().to_string());
        // 27 lines in the history, 4 on the screen (the last one empty).
        assert_eq!(t.end_line(), 31);
        assert_eq!(text(&t, 0).as_deref(), Some("line 0"));
        assert_eq!(text(&t, 26).as_deref(), Some("line 26"));
        assert_eq!(text(&t, 29).as_deref(), Some("line 29"));
        assert_eq!(text(&t, 30).as_deref(), Some(""));
        assert_eq!(text(&t, 31), None);
        assert_eq!(t.bottom_line(), 30);
        t.show_line(5);
        assert_eq!(t.top_line(), 3);
        t.show_line(0);
        assert_eq!(t.top_line(), 0);
        t.show_line(30);
        assert_eq!(t.top_line(), 27);
        assert_eq!(t.back(), 0);
    }

    #[test]
    fn a_view_scrolled_back_holds_its_lines() {
        let mut t = TermScreen::new(3, 10);
        for i in 0..10 {
            t.feed(format!("{i}\r\n").as_bytes());
        }
        t.scroll(4);
        let top = t.top_line();
        let shown = t.line(top).map(|l| l.text().to_string());
        t.feed(b"a\r\nb\r\nc\r\n");
        assert_eq!(t.top_line(), top);
        assert_eq!(t.line(top).map(|l| l.text().to_string()), shown);
        t.scroll_to_bottom();
        t.feed(b"d\r\n");
        assert_eq!(t.back(), 0, "a live view follows");
    }

    #[test]
    fn history_limits_drop_the_oldest() {
        let limits = Limits {
            lines: 5,
            bytes: usize::MAX,
        };
        let mut t = TermScreen::with_limits(2, 10, limits);
        for i in 0..20 {
            t.feed(format!("{i}\r\n").as_bytes());
        }
        assert_eq!(t.first_line(), 14);
        assert_eq!(
            t.line(14).map(|l| l.text().to_string()).as_deref(),
            Some("14")
        );
        assert!(t.line(13).is_none());
        let limits = Limits {
            lines: 1000,
            bytes: 2000,
        };
        let mut t = TermScreen::with_limits(2, 100, limits);
        for _ in 0..100 {
            t.feed(&[b'x'; 80]);
            t.feed(b"\r\n");
        }
        assert!(t.history_bytes() <= 2000, "{}", t.history_bytes());
    }

    #[test]
    fn growing_keeps_the_history_whole() {
        let mut t = TermScreen::new(3, 10);
        for i in 0..6 {
            t.feed(format!("{i}\r\n").as_bytes());
        }
        let before: Vec<_> = (t.first_line()..t.end_line())
            .map(|n| t.line(n).map(|l| l.text().to_string()))
            .collect();
        // Zoomed and back: no blank lines pushed into the history.
        t.resize(10, 10);
        t.resize(3, 10);
        let after: Vec<_> = (t.first_line()..t.end_line())
            .map(|n| t.line(n).map(|l| l.text().to_string()))
            .collect();
        assert_eq!(before, after);
    }

    #[test]
    fn clear_erases_the_history() {
        let mut t = TermScreen::new(3, 10);
        for i in 0..10 {
            t.feed(format!("secret{i}\r\n").as_bytes());
        }
        t.scroll(5);
        assert!(
            t.line(t.first_line())
                .is_some_and(|l| l.text() == "secret0")
        );
        // What `clear` sends.
        t.feed(b"\x1b[H\x1b[2J\x1b[3J");
        assert_eq!(
            t.first_line(),
            t.end_line() - 3,
            "nothing kept above the screen"
        );
        assert_eq!(t.back(), 0);
        for n in t.first_line()..t.end_line() {
            assert!(!t.line(n).is_some_and(|l| l.text().contains("secret")));
        }
    }

    #[test]
    fn growing_under_vi_keeps_the_history_whole() {
        let mut t = TermScreen::new(3, 10);
        for i in 0..6 {
            t.feed(format!("{i}\r\n").as_bytes());
        }
        let before: Vec<_> = (t.first_line()..t.end_line() - 3)
            .map(|n| t.line(n).map(|l| l.text().to_string()))
            .collect();
        // vi on the alternate screen; the pane zoomed and back; vi quits.
        t.feed(b"\x1b[?1049h");
        t.resize(10, 10);
        t.resize(3, 10);
        t.feed(b"\x1b[?1049l");
        let after: Vec<_> = (t.first_line()..t.end_line() - 3)
            .map(|n| t.line(n).map(|l| l.text().to_string()))
            .collect();
        assert_eq!(before, after);
    }

    #[test]
    fn title_set_by_the_program() {
        let mut t = TermScreen::new(2, 10);
        assert_eq!(t.title(), None);
        t.feed(b"\x1b]0;vi notes\x07");
        assert_eq!(t.title(), Some("vi notes"));
    }
}
