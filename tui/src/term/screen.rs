//! A pane's terminal: the shared terminal model (`dockyard_term`) fed
//! with a session's bytes, at the size the pane's area gives it, plus the
//! pane's view of it (how far it is scrolled back, and a change count for
//! drawing). Everything outside reads the screen through here; nothing
//! else holds the terminal.

use std::borrow::Cow;

use bytes::Bytes;
use dockyard_term::{History, Limits, Line, Size, Terminal};

use crate::term::encode::Modes;

/// A pane's terminal and its view. Lines are numbered as the terminal
/// numbers them: from the first ever kept, so a number stays the same
/// line while newer ones arrive and older ones are dropped.
pub struct TermScreen {
    term: Terminal,
    /// How many lines the view is scrolled back from the live screen.
    back: usize,
    /// Counts the changes to what the view shows (output, size, scroll),
    /// for a drawing that reuses an unchanged pane.
    changes: u64,
}

impl TermScreen {
    /// A terminal keeping the default history.
    pub fn new(rows: u16, cols: u16) -> Self {
        Self::with_limits(rows, cols, Limits::default())
    }

    pub fn with_limits(rows: u16, cols: u16, limits: Limits) -> Self {
        TermScreen {
            term: Terminal::new(Size::new(rows, cols), limits),
            back: 0,
            changes: 0,
        }
    }

    /// A fresh terminal of the same size and history limits, in place
    /// of this one (a log read again, a session that started anew).
    pub fn reset(&mut self) {
        let (rows, cols) = self.size();
        *self = Self::with_limits(rows, cols, self.history().limits());
    }

    /// The terminal model itself (for what reads its text: search).
    pub fn terminal(&self) -> &Terminal {
        &self.term
    }

    /// Feeds output; returns bytes to send back (answers to queries).
    pub fn feed(&mut self, data: &[u8]) -> Option<Bytes> {
        self.changes += 1;
        let replies = self.term.feed(data);
        self.hold_view();
        (!replies.is_empty()).then(|| Bytes::from(replies))
    }

    /// A view scrolled back stays on the lines it shows while new ones
    /// push the screen up (until they are dropped from the history).
    fn hold_view(&mut self) {
        let scrolled = self.term.take_scrolled();
        // Erased, or rewrapped at a new width: the lines the view held are
        // not where they were.
        if scrolled.cleared || scrolled.reflowed {
            self.back = 0;
        }
        if self.back > 0 {
            self.back = (self.back + scrolled.pushed).min(self.history().len());
        }
    }

    /// Sets the terminal size; true when it changed (and the remote TTY
    /// should be told).
    pub fn resize(&mut self, rows: u16, cols: u16) -> bool {
        self.changes += 1;
        if !self.term.resize(Size::new(rows, cols)) {
            return false;
        }
        self.hold_view();
        true
    }

    pub fn size(&self) -> (u16, u16) {
        let s = self.term.size();
        (s.rows, s.cols)
    }

    fn history(&self) -> &History {
        self.term.history()
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
        self.term.first_line()
    }

    /// The number of the live screen's first row.
    fn screen_line(&self) -> usize {
        self.term.screen_line()
    }

    /// One past the number of the last line (the screen's last row).
    pub fn end_line(&self) -> usize {
        self.term.end_line()
    }

    /// Line `n`: from the history, or a row of the live screen.
    pub fn line(&self, n: usize) -> Option<Cow<'_, Line>> {
        self.term.line(n)
    }

    /// The line at the top of the view.
    pub fn top_line(&self) -> usize {
        self.screen_line() - self.back
    }

    /// The line at the bottom of the view.
    pub fn bottom_line(&self) -> usize {
        self.top_line() + usize::from(self.term.size().rows) - 1
    }

    /// Scrolls so that line `n` is in the middle of the view (or as near
    /// as the ends allow).
    pub fn show_line(&mut self, n: usize) {
        self.changes += 1;
        let half = usize::from(self.term.size().rows) / 2;
        let top = n
            .saturating_sub(half)
            .clamp(self.first_line(), self.screen_line());
        self.back = self.screen_line() - top;
    }

    /// Scrolls as little as needed for line `n` to be in view.
    pub fn reveal_line(&mut self, n: usize) {
        self.changes += 1;
        let rows = usize::from(self.term.size().rows);
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

    /// Bytes the history holds.
    pub fn history_bytes(&self) -> usize {
        self.history().bytes()
    }

    /// The input modes the program asked for, for encoding keys.
    pub fn modes(&self) -> Modes {
        self.term.modes()
    }

    /// The window title the program set, if any (unescaped: the
    /// program's bytes, less control characters).
    pub fn title(&self) -> Option<&str> {
        self.term.title()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_reports_changes_only() {
        let mut t = TermScreen::new(10, 20);
        assert!(!t.resize(10, 20));
        assert!(t.resize(5, 7));
        assert_eq!(t.terminal().size().rows, 5);
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
