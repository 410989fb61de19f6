//! A terminal: a vt100 screen fed whole characters, what the program asked
//! of it beyond the screen (answers to queries, a title), and the lines
//! that scrolled off its top, kept compactly and numbered.

use std::borrow::Cow;
use std::num::NonZeroU16;

use crate::history::{History, Limits, Line};
use crate::modes::{Modes, RESET_INPUT_MODES};
use crate::{Size, WholeChars};
use crate::{reflow, skip};

/// What the terminal does besides drawing: answers to queries, the title,
/// and keeping the rows that scroll off the top.
#[derive(Debug, Default)]
struct Hooks {
    replies: Vec<u8>,
    title: Option<String>,
    title_changed: bool,
    history: History,
    keep_history: bool,
    /// Rows kept since [`Terminal::take_scrolled`] last looked.
    pushed: usize,
    /// The history was erased since then.
    cleared: bool,
    /// The lines were rewrapped since then.
    reflowed: bool,
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
            // Cursor position report.
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            // Device status: fine.
            (None, 'n', 5) => self.replies.extend_from_slice(b"\x1b[0n"),
            // Primary device attributes: a VT100 with advanced video.
            (None, 'c', 0) => self.replies.extend_from_slice(b"\x1b[?1;2c"),
            (Some(b'>'), 'c', 0) => self.replies.extend_from_slice(b"\x1b[>0;0;0c"),
            _ => {}
        }
    }

    /// The program's title, less control characters: it is shown, and
    /// sent on to other terminals.
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        let t: String = String::from_utf8_lossy(title)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        self.title = Some(t);
        self.title_changed = true;
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
        if self.keep_history && !alternate {
            self.history.push_row(&row);
            self.pushed += 1;
        }
    }
}

/// What scrolled since the last look (for a view that holds its lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scrolled {
    /// Lines that went into the history.
    pub pushed: usize,
    /// The history was erased.
    pub cleared: bool,
    /// The history and screen were rewrapped at a new width: line numbers
    /// name other text now.
    pub reflowed: bool,
}

/// A terminal: the live screen is vt100's grid; every line that scrolled
/// off it is in the compact [`History`] (vt100 itself keeps none). Lines
/// are numbered from the first ever kept, so a number stays the same line
/// while newer ones arrive and older ones are dropped.
pub struct Terminal {
    parser: vt100::Parser<Hooks>,
    /// The size last given to the parser.
    size: Size,
    /// A character cut by the end of the last output, for the next.
    whole: WholeChars,
    /// The parser was between sequences at the end of the last output, as
    /// far as is known (see [`feed_visible`](Self::feed_visible)).
    ground: bool,
    /// A parser of colour changes only, for the lines kept without the
    /// main one (`plain.rs`).
    pen: Option<vt100::Parser>,
}

/// A kept cell as vt100 takes it back.
fn new_cell<'a>(c: crate::history::Cell<'a>) -> vt100::NewCell<'a> {
    let on = |f| c.attrs.flags & f != 0;
    vt100::NewCell {
        text: c.text,
        fg: c.attrs.fg.into(),
        bg: c.attrs.bg.into(),
        bold: on(crate::Attrs::BOLD),
        dim: on(crate::Attrs::DIM),
        italic: on(crate::Attrs::ITALIC),
        underline: on(crate::Attrs::UNDERLINE),
        inverse: on(crate::Attrs::INVERSE),
        wide: c.wide,
    }
}

fn nz(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v.max(1)).unwrap_or(NonZeroU16::MIN)
}

impl Terminal {
    /// A terminal of `size` (at least 1x1) keeping `limits` of history
    /// ([`Limits::NONE`]: none).
    pub fn new(size: Size, limits: Limits) -> Self {
        let size = size.at_least_one();
        let hooks = Hooks {
            history: History::new(limits),
            keep_history: limits.keeps_any(),
            ..Default::default()
        };
        Terminal {
            // No scrollback in vt100: every row leaving the screen comes
            // to `on_scroll`, and from there to the history.
            parser: vt100::Parser::new_with_callbacks(nz(size.rows), nz(size.cols), 0, hooks),
            size,
            whole: WholeChars::default(),
            ground: true,
            pen: None,
        }
    }

    /// Feeds the program's output; returns what the terminal answers to
    /// the queries in it (empty: none), for the program's input.
    ///
    /// On a terminal keeping history, plain lines that a screenful of
    /// plain lines follows go into the history without the parser (see
    /// `plain.rs`): they would only scroll through the screen.
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        let rows = self.size.rows;
        let fast = self.parser.callbacks().keep_history && rows >= 2 && self.size.cols >= 2;
        // From the start of a line: the one the first line feed begins.
        let start = data.iter().position(|&b| b == b'\n').map(|i| i + 1);
        let Some(start) = start.filter(|_| fast) else {
            return self.parse(data);
        };
        let Some(end) = skip::scrolled_off(&data[start..], rows) else {
            return self.parse(data);
        };
        let mut replies = self.parse(&data[..start]);
        let taken = self.keep_plain(&data[start..start + end]);
        replies.extend(self.parse(&data[start + taken..]));
        replies
    }

    /// Feeds `data` through the parser, every byte.
    pub(crate) fn parse(&mut self, data: &[u8]) -> Vec<u8> {
        self.ground = skip::ends_in_ground(self.ground, data);
        let parser = &mut self.parser;
        self.whole.feed(data, |whole| parser.process(whole));
        std::mem::take(&mut self.parser.callbacks_mut().replies)
    }

    /// Puts the plain lines at the start of `text` into the history as
    /// the screen would have scrolled them there, when the cursor is at
    /// the start of a blank last row of a main screen that scrolls whole;
    /// returns the bytes taken (0: none).
    ///
    /// Exact because a screenful of plain lines follows them: the screen
    /// would have scrolled its rows above the cursor, then the lines' own,
    /// into the history, and shown only the lines after them. Here its
    /// rows go first, then the lines built, and the screen is left blank
    /// with the cursor at the top, where the lines after them fill it the
    /// same.
    fn keep_plain(&mut self, text: &[u8]) -> usize {
        let screen = self.parser.screen();
        let last = self.size.rows - 1;
        let blank = |c: &vt100::Cell| {
            !c.has_contents()
                && !c.is_wide_continuation()
                && crate::Attrs::of(c) == crate::Attrs::default()
        };
        let ready = self.ground
            && self.whole.is_empty()
            && !screen.alternate_screen()
            && screen.scrolls_whole()
            && screen.main_cursor_position() == (last, 0)
            && !screen.main_row_wrapped(last)
            && screen
                .main_row_cells(last)
                .is_some_and(|mut r| r.all(blank));
        if !ready {
            return 0;
        }
        let pen = self
            .pen
            .get_or_insert_with(|| vt100::Parser::new(nz(1), nz(1), 0));
        pen.screen_mut().set_pen(&screen.pen());
        let built = crate::plain::build(text, self.size.cols, pen);
        if built.len == 0 {
            return 0;
        }
        let kept: Vec<Line> = (0..last)
            .map(|r| {
                let cells = screen.main_row_cells(r).into_iter().flatten();
                Line::from_cells(cells, screen.main_row_wrapped(r))
            })
            .collect();
        let pen = pen.screen().pen();
        let hooks = self.parser.callbacks_mut();
        hooks.pushed += kept.len() + built.rows.len();
        for line in kept.into_iter().chain(built.rows) {
            hooks.history.push(line);
        }
        let screen = self.parser.screen_mut();
        screen.set_pen(&pen);
        screen.set_main_rows(std::iter::empty(), (0, 0));
        built.len
    }

    /// [`feed`](Self::feed), skipping what the screen cannot show: on a
    /// terminal that keeps no history (the agent's session screens), plain
    /// text followed by more than a screenful of lines, and drawing that a
    /// full redraw follows, are not parsed (`skip.rs` says when that is
    /// exact). The screen is the same either way; a flood costs a scan
    /// instead of a parse.
    pub fn feed_visible(&mut self, data: &[u8]) -> Vec<u8> {
        if self.parser.callbacks().keep_history {
            return self.feed(data);
        }
        let between = self.ground && self.whole.is_empty();
        if !between && let Some(nl) = memchr::memchr(b'\n', data).filter(|&nl| nl + 1 < data.len())
        {
            // A sequence or character the last piece began (pieces are cut
            // anywhere): its line ends it, as a rule, and the rest may
            // then be skipped.
            let mut replies = self.feed(&data[..=nl]);
            replies.extend(self.skip_and_feed(&data[nl + 1..]));
            return replies;
        }
        self.skip_and_feed(data)
    }

    /// On a terminal without history.
    fn skip_and_feed(&mut self, data: &[u8]) -> Vec<u8> {
        let may_skip = self.ground && self.whole.is_empty() && self.parser.screen().scrolls_whole();
        let (rows, cols) = (self.size.rows, self.size.cols);
        if let Some((cut, instead)) = may_skip.then(|| skip::cut(data, rows, cols)).flatten() {
            // What leaves the terminal as the skipped text would (its
            // colours, the cursor where the text after the cut needs it).
            self.parser.process(&instead);
            return self.feed(&data[cut..]);
        }
        self.feed(data)
    }

    /// Sets the size (at least 1x1); true when it changed. A new width
    /// rewraps the history and the main screen (see [`crate::reflow`]);
    /// the alternate screen is cut or padded, as in tmux (its program
    /// redraws it).
    pub fn resize(&mut self, size: Size) -> bool {
        let size = size.at_least_one();
        if self.size == size {
            return false;
        }
        let old = self.size;
        self.size = size;
        if size.cols != old.cols {
            self.reflow(old, size);
        } else {
            // Rows a shorter screen pushes off go to the history
            // (`set_size` on the parser, not the screen, reports them). A
            // taller one gets rows at the bottom.
            self.parser.set_size(nz(size.rows), nz(size.cols));
        }
        true
    }

    /// The history and the main screen's rows as the program's lines,
    /// rewrapped at the new width: the screen shows the last of them, down
    /// to the cursor's, and the rest are history.
    fn reflow(&mut self, old: Size, size: Size) {
        let screen = self.parser.screen();
        let (cursor_row, cursor_col) = screen.main_cursor_position();
        let mut rows: Vec<Line> = (0..old.rows)
            .map(|r| {
                let cells = screen.main_row_cells(r).into_iter().flatten();
                Line::from_cells(cells, screen.main_row_wrapped(r))
            })
            .collect();
        // Blank rows below the text and the cursor are no one's lines.
        let last = rows
            .iter()
            .rposition(|l| !l.text().is_empty() || l.wrapped)
            .map_or(0, |i| i + 1);
        rows.truncate(last.max(usize::from(cursor_row) + 1));
        let saved = screen.main_saved_cursor_position();
        let hooks = self.parser.callbacks_mut();
        let history = hooks.history.take_lines();
        let at = |(row, col): (u16, u16)| (history.len() + usize::from(row), col);
        let cursors = [at((cursor_row, cursor_col)), at(saved)];
        let mut r = reflow::reflow(history.into_iter().chain(rows), size.cols, &cursors);
        let (cursor, saved_to) = (r.cursors[0], r.cursors[1]);
        // The screen ends with the last line or the cursor's, unless that
        // would put the cursor above it (text below the cursor, as a
        // full-screen program on the main screen leaves): then it starts
        // at the cursor, and the lines that do not fit under it go (the
        // program draws them again).
        let end = r.lines.len().max(cursor.0 + 1);
        let start = end.saturating_sub(usize::from(size.rows)).min(cursor.0);
        let mut on_screen = r.lines.split_off(start.min(r.lines.len()));
        on_screen.truncate(usize::from(size.rows));
        if hooks.keep_history {
            for line in r.lines {
                hooks.history.push(line);
            }
        }
        hooks.pushed = 0;
        hooks.reflowed = true;
        let screen = self.parser.screen_mut();
        screen.set_size(nz(size.rows), nz(size.cols));
        let rows: Vec<(Vec<vt100::NewCell<'_>>, bool)> = on_screen
            .iter()
            .map(|l| (l.cells().map(new_cell).collect(), l.wrapped))
            .collect();
        screen.set_main_rows(rows, ((cursor.0 - start) as u16, cursor.1));
        // The cursor a program saved (as a shell's is while `vi` runs on
        // the alternate screen) stays on its character too, or on the
        // screen's edge when its line went to the history or off the
        // bottom. Home is also where a restore without a save goes, so it
        // stays home.
        if saved != (0, 0) {
            let row = saved_to
                .0
                .saturating_sub(start)
                .min(usize::from(size.rows) - 1);
            screen.set_main_saved_cursor_position((row as u16, saved_to.1));
        }
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// The live screen (kept inside this crate: the rest of Dockyard sees
    /// a terminal through the accessors below, not vt100's types).
    #[cfg(test)]
    pub(crate) fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// The input modes the program asked for.
    pub fn modes(&self) -> Modes {
        Modes::of(self.parser.screen())
    }

    /// The cursor's row and column on the screen.
    pub fn cursor(&self) -> (u16, u16) {
        self.parser.screen().cursor_position()
    }

    /// The program hid the cursor.
    pub fn cursor_hidden(&self) -> bool {
        self.parser.screen().hide_cursor()
    }

    /// A program is on the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        self.parser.screen().alternate_screen()
    }

    /// The screen's text, rows joined by newlines, trailing blanks cut.
    pub fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// The title the program set, if any (its bytes less control
    /// characters).
    pub fn title(&self) -> Option<&str> {
        self.parser
            .callbacks()
            .title
            .as_deref()
            .filter(|t| !t.is_empty())
    }

    /// The title, when the program set one since the last call.
    pub fn take_new_title(&mut self) -> Option<String> {
        let hooks = self.parser.callbacks_mut();
        std::mem::take(&mut hooks.title_changed).then(|| hooks.title.clone().unwrap_or_default())
    }

    /// What scrolled into (or was erased from) the history since the last
    /// call.
    pub fn take_scrolled(&mut self) -> Scrolled {
        let hooks = self.parser.callbacks_mut();
        Scrolled {
            pushed: std::mem::take(&mut hooks.pushed),
            cleared: std::mem::take(&mut hooks.cleared),
            reflowed: std::mem::take(&mut hooks.reflowed),
        }
    }

    pub fn history(&self) -> &History {
        &self.parser.callbacks().history
    }

    /// The number of the oldest line kept.
    pub fn first_line(&self) -> usize {
        self.history().dropped()
    }

    /// The number of the live screen's first row.
    pub fn screen_line(&self) -> usize {
        self.history().dropped() + self.history().len()
    }

    /// One past the number of the last line (the screen's last row).
    pub fn end_line(&self) -> usize {
        self.screen_line() + usize::from(self.size.rows)
    }

    /// Line `n`: from the history, or a row of the live screen.
    pub fn line(&self, n: usize) -> Option<Cow<'_, Line>> {
        let i = n.checked_sub(self.first_line())?;
        let history = self.history();
        if let Some(l) = history.get(i) {
            return Some(Cow::Borrowed(l));
        }
        let row = u16::try_from(i - history.len()).ok()?;
        if row >= self.size.rows {
            return None;
        }
        let screen = self.parser.screen();
        let cells = (0..self.size.cols).map_while(|c| screen.cell(row, c));
        Some(Cow::Owned(Line::from_cells(cells, screen.row_wrapped(row))))
    }

    /// Bytes that bring another terminal to this one's state: the main
    /// screen, and the alternate one over it when a program is on it (so
    /// that the shell's lines are back when the program quits), each with
    /// its contents, colours, scroll region and saved cursor; the cursor;
    /// the input modes (application cursor keys and keypad, bracketed
    /// paste, mouse reporting) and the title.
    pub fn redraw(&self) -> Vec<u8> {
        let screen = self.parser.screen();
        let mut out = Vec::new();
        // Modes left on by what the other terminal showed before are
        // turned off, so that the ones written next are the only ones set.
        out.extend_from_slice(RESET_INPUT_MODES.as_bytes());
        out.extend_from_slice(screen.redraw_formatted().as_bytes());
        if let Some(title) = self.title() {
            out.extend_from_slice(format!("\x1b]0;{title}\x07").as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(rows: u16, cols: u16) -> Terminal {
        Terminal::new(Size::new(rows, cols), Limits::default())
    }

    #[test]
    fn answers_cursor_position_and_device_attributes() {
        let mut t = term(10, 20);
        assert_eq!(t.feed(b"ab\x1b[6n"), b"\x1b[1;3R");
        assert_eq!(t.feed(b"\x1b[c"), b"\x1b[?1;2c");
        assert_eq!(t.feed(b"\x1b[>c"), b"\x1b[>0;0;0c");
        assert_eq!(t.feed(b"\x1b[5n"), b"\x1b[0n");
        assert!(t.feed(b"plain text").is_empty());
    }

    #[test]
    fn title_set_by_the_program() {
        let mut t = term(2, 10);
        assert_eq!(t.title(), None);
        t.feed(b"\x1b]0;vi notes\x07");
        assert_eq!(t.title(), Some("vi notes"));
        assert_eq!(t.take_new_title().as_deref(), Some("vi notes"));
        assert_eq!(t.take_new_title(), None);
    }

    /// What a terminal shows after the program's bytes and after the
    /// redraw of them, fed to a fresh terminal, must be the same.
    fn replayed(bytes: &[u8], rows: u16, cols: u16) -> (Terminal, Terminal) {
        let mut session = Terminal::new(Size::new(rows, cols), Limits::NONE);
        session.feed(bytes);
        let mut client = Terminal::new(Size::new(rows, cols), Limits::NONE);
        client.feed(b"junk left on the terminal \x1b[?1h\x1b[?2004h");
        client.feed(&session.redraw());
        (client, session)
    }

    #[test]
    fn redraw_restores_screen_modes_and_title() {
        let program = b"$ ls\r\n\x1b[31mred\x1b[0m plain\r\n\x1b]2;editing\x07\x1b[?1049h\x1b[H\x1b[1;4mvi screen\x1b[0m\x1b[5;3H\x1b[?1h\x1b=\x1b[?2004h";
        let (client, session) = replayed(program, 10, 40);
        let (c, s) = (client.screen(), session.screen());
        assert!(c.alternate_screen());
        assert_eq!(c.contents_formatted(), s.contents_formatted());
        assert_eq!(c.cursor_position(), s.cursor_position());
        assert!(c.application_cursor() && c.bracketed_paste() && c.application_keypad());
        assert_eq!(client.title(), Some("editing"));
        let plain = b"a\r\nb\x1b[?1049h\x1b[?1049l\x1b[3;7H";
        let (client, session) = replayed(plain, 5, 20);
        assert!(!client.screen().alternate_screen());
        assert!(!client.screen().application_cursor() && !client.screen().bracketed_paste());
        assert_eq!(client.screen().contents(), session.screen().contents());
        assert_eq!(client.screen().cursor_position(), (2, 6));
    }

    #[test]
    fn redraw_keeps_the_main_screen_under_the_alternate_one() {
        // A shell's lines, then vi on the alternate screen (1049 saves the
        // cursor) with a scroll region and a cursor saved of its own.
        let program = b"$ echo one\r\none\r\n$ \x1b[32mvi\x1b[m\r\n\x1b[?1049h\x1b[H\x1b[2Jvi text\x1b[2;4r\x1b[3;5H\x1b7\x1b[1;1H";
        let (mut client, mut session) = replayed(program, 6, 30);
        assert!(client.screen().alternate_screen());
        assert_eq!(client.screen().contents(), session.screen().contents());
        assert_eq!(
            client.screen().cursor_position(),
            session.screen().cursor_position()
        );
        // The program's next moves land alike: inside the scroll region,
        // at its saved cursor, and back on the main screen.
        let after = b"\x1b8X\x1b[4;1H\r\n\r\nscrolled\x1b[?1049l$ back";
        client.feed(after);
        session.feed(after);
        assert_eq!(client.screen().contents(), session.screen().contents());
        assert!(!client.screen().alternate_screen());
        assert!(client.screen().contents().contains("one\n$ vi"));
        assert_same(&client, &session);
    }

    /// Contents, colours and cursor alike.
    fn assert_same(client: &Terminal, session: &Terminal) {
        let (c, s) = (client.screen(), session.screen());
        assert_eq!(c.contents_formatted(), s.contents_formatted());
        assert_eq!(c.cursor_position(), s.cursor_position());
    }

    #[test]
    fn redraw_keeps_the_scroll_region_and_saved_cursor_of_the_main_screen() {
        let program = b"top line\r\n\x1b[2;4r\x1b[4;3H\x1b[1m\x1b7\x1b[m\x1b[4;1Hbottom";
        let (mut client, mut session) = replayed(program, 6, 20);
        let after = b"\r\nnext\r\nnext2\x1b8bold";
        client.feed(after);
        session.feed(after);
        assert_same(&client, &session);
    }

    #[test]
    fn no_history_is_kept_when_none_is_asked_for() {
        let mut t = Terminal::new(Size::new(2, 10), Limits::NONE);
        for i in 0..20 {
            t.feed(format!("{i}\r\n").as_bytes());
        }
        assert_eq!(t.history().len(), 0);
        assert_eq!(t.take_scrolled(), Scrolled::default());
        let mut t = term(2, 10);
        for i in 0..20 {
            t.feed(format!("{i}\r\n").as_bytes());
        }
        assert_eq!(t.take_scrolled().pushed, 19);
        assert_eq!(
            t.line(0).map(|l| l.text().to_string()).as_deref(),
            Some("0")
        );
    }

    #[test]
    fn a_character_split_across_feeds_arrives_whole() {
        let mut t = term(2, 10);
        let text = "名前x".as_bytes();
        t.feed(&text[..2]);
        t.feed(&text[2..]);
        assert_eq!(t.screen().contents(), "名前x");
    }
}
