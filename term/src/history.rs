//! The lines that scrolled off a pane's screen, kept compactly: a line is
//! its text (each cell's characters, blank cells as spaces, trailing
//! blanks cut) and the runs of attributes over it, about one byte per
//! ASCII cell where vt100's grid spends 32 (tmux and termwiz keep their
//! history the same way). vt100 hands each row over as it leaves the
//! screen (`Callbacks::on_scroll`, with the cell accessor our vendored
//! copy adds: vendor/README.md at the repository's top).

use std::collections::VecDeque;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A colour as a program set it: the terminal's default, one of the 256
/// indexed ones, or a true colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Default,
    Idx(u8),
    Rgb(u8, u8, u8),
}

impl From<vt100::Color> for Color {
    fn from(c: vt100::Color) -> Self {
        match c {
            vt100::Color::Default => Color::Default,
            vt100::Color::Idx(i) => Color::Idx(i),
            vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
        }
    }
}

impl From<Color> for vt100::Color {
    fn from(c: Color) -> Self {
        match c {
            Color::Default => vt100::Color::Default,
            Color::Idx(i) => vt100::Color::Idx(i),
            Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        }
    }
}

/// A cell's colours and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attrs {
    pub fg: Color,
    pub bg: Color,
    pub flags: u8,
}

impl Attrs {
    pub const BOLD: u8 = 1;
    pub const DIM: u8 = 2;
    pub const ITALIC: u8 = 4;
    pub const UNDERLINE: u8 = 8;
    pub const INVERSE: u8 = 16;

    /// A vt100 cell's attributes.
    pub(crate) fn of(cell: &vt100::Cell) -> Self {
        let mut flags = 0;
        for (on, f) in [
            (cell.bold(), Self::BOLD),
            (cell.dim(), Self::DIM),
            (cell.italic(), Self::ITALIC),
            (cell.underline(), Self::UNDERLINE),
            (cell.inverse(), Self::INVERSE),
        ] {
            if on {
                flags |= f;
            }
        }
        Attrs {
            fg: cell.fgcolor().into(),
            bg: cell.bgcolor().into(),
            flags,
        }
    }
}

/// One cell of a kept line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'a> {
    pub col: u16,
    /// Where its characters start in the line's text.
    pub offset: usize,
    /// Its characters: one of non-zero width, then any combining ones.
    pub text: &'a str,
    pub wide: bool,
    pub attrs: Attrs,
}

/// One line of history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    text: Box<str>,
    /// Where (a byte offset into `text`) attributes change, and to what;
    /// the text before the first run has the default ones.
    runs: Box<[(u32, Attrs)]>,
    /// The line continues on the next one (the program's line was longer
    /// than the screen was wide).
    pub wrapped: bool,
}

/// Whether `c`, following a cell's characters, joins that cell.
fn joins(c: char) -> bool {
    c.width() == Some(0)
}

impl Line {
    /// A line of plain text (default attributes).
    pub fn plain(text: &str) -> Line {
        Line {
            text: text.into(),
            runs: Box::new([]),
            wrapped: false,
        }
    }

    /// A line from a row's cells.
    /// On a wrapped row, an empty last cell is not text: the terminal
    /// wraps only after a last cell with contents, so it is the place a
    /// wide character did not fit in (a reflow leaves those).
    pub(crate) fn from_cells<'a>(
        cells: impl Iterator<Item = &'a vt100::Cell>,
        wrapped: bool,
    ) -> Line {
        let mut b = Builder::default();
        let mut cells = cells.filter(|c| !c.is_wide_continuation()).peekable();
        while let Some(cell) = cells.next() {
            let last = cells.peek().is_none();
            let attrs = Attrs::of(cell);
            if last && wrapped && !cell.has_contents() && attrs == Attrs::default() {
                break;
            }
            b.push(cell.contents(), attrs);
        }
        b.finish(wrapped)
    }

    /// The text, one character (or cluster) per cell; wide characters
    /// take two columns but appear once.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Bytes this line holds, its own size included.
    pub fn footprint(&self) -> usize {
        std::mem::size_of::<Line>()
            + self.text.len()
            + self.runs.len() * std::mem::size_of::<(u32, Attrs)>()
    }

    /// Its cells, left to right (blank cells after the last are not there).
    pub fn cells(&self) -> Cells<'_> {
        Cells {
            line: self,
            at: 0,
            col: 0,
            run: 0,
            attrs: Attrs::default(),
        }
    }
}

/// Builds a [`Line`] cell by cell. Blank cells with default attributes
/// at the end are cut, except on a wrapped line: its blanks are part of
/// the text that continues on the next line (a reflow joins them).
#[derive(Default)]
pub(crate) struct Builder {
    text: String,
    runs: Vec<(u32, Attrs)>,
    current: Attrs,
    /// Blank cells with default attributes not written yet.
    blanks: usize,
}

impl Builder {
    /// One cell: its characters (empty: blank) and attributes.
    pub(crate) fn push(&mut self, text: &str, attrs: Attrs) {
        if (text.is_empty() || text == " ") && attrs == Attrs::default() {
            self.blanks += 1;
            return;
        }
        self.write_blanks();
        if attrs != self.current {
            self.current = attrs;
            self.runs.push((self.text.len() as u32, attrs));
        }
        if text.is_empty() {
            self.text.push(' ');
        } else {
            self.text.push_str(text);
        }
    }

    /// Cells of printable ASCII, one a byte, all with `attrs`: as
    /// [`push`](Self::push) of each, in one go.
    pub(crate) fn push_ascii(&mut self, run: &str, attrs: Attrs) {
        let body = if attrs == Attrs::default() {
            run.trim_end_matches(' ')
        } else {
            run
        };
        if !body.is_empty() {
            self.write_blanks();
            if attrs != self.current {
                self.current = attrs;
                self.runs.push((self.text.len() as u32, attrs));
            }
            self.text.push_str(body);
        }
        self.blanks += run.len() - body.len();
    }

    fn write_blanks(&mut self) {
        if self.blanks > 0 && self.current != Attrs::default() {
            self.current = Attrs::default();
            self.runs.push((self.text.len() as u32, self.current));
        }
        self.text
            .extend(std::iter::repeat_n(' ', std::mem::take(&mut self.blanks)));
    }

    /// The line built so far, and a fresh start that keeps its buffers
    /// (one allocation a line, not a growing buffer shrunk to fit).
    pub(crate) fn take_line(&mut self, wrapped: bool) -> Line {
        if wrapped {
            self.write_blanks();
        }
        let line = Line {
            text: self.text.as_str().into(),
            runs: self.runs.as_slice().into(),
            wrapped,
        };
        self.text.clear();
        self.runs.clear();
        self.current = Attrs::default();
        self.blanks = 0;
        line
    }

    pub(crate) fn finish(mut self, wrapped: bool) -> Line {
        self.take_line(wrapped)
    }
}

pub struct Cells<'a> {
    line: &'a Line,
    at: usize,
    col: u16,
    run: usize,
    attrs: Attrs,
}

impl<'a> Iterator for Cells<'a> {
    type Item = Cell<'a>;

    fn next(&mut self) -> Option<Cell<'a>> {
        let text = &self.line.text[..];
        let rest = text.get(self.at..).filter(|r| !r.is_empty())?;
        while let Some((at, attrs)) = self.line.runs.get(self.run)
            && *at as usize <= self.at
        {
            self.attrs = *attrs;
            self.run += 1;
        }
        let mut chars = rest.char_indices();
        let (_, base) = chars.next()?;
        let mut wide = base.width().unwrap_or(1) > 1;
        let mut end = base.len_utf8();
        for (i, c) in chars {
            if !joins(c) {
                break;
            }
            end = i + c.len_utf8();
            // vt100 widens a cell when emoji presentation is asked for.
            if c == '\u{FE0F}' {
                wide = rest[..end].width() > 1;
            }
        }
        let cell = Cell {
            col: self.col,
            offset: self.at,
            text: &rest[..end],
            wide,
            attrs: self.attrs,
        };
        self.at += end;
        self.col = self.col.saturating_add(if wide { 2 } else { 1 });
        Some(cell)
    }
}

/// How much history a terminal keeps: the oldest lines go first once either
/// limit is passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub lines: usize,
    pub bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            lines: 10_000,
            bytes: 8 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Keeps nothing (the agent's session screens: the ring is their
    /// history).
    pub const NONE: Limits = Limits { lines: 0, bytes: 0 };

    /// Whether any line is kept at all.
    pub fn keeps_any(&self) -> bool {
        self.lines > 0
    }
}

/// A terminal's history, oldest line first.
#[derive(Debug, Default)]
pub struct History {
    lines: VecDeque<Line>,
    bytes: usize,
    limits: Limits,
    /// Lines dropped from the front since the start: a line's absolute
    /// number is this plus its index.
    dropped: usize,
}

impl History {
    pub fn new(limits: Limits) -> Self {
        History {
            limits,
            ..Default::default()
        }
    }

    pub fn push(&mut self, line: Line) {
        self.bytes += line.footprint();
        self.lines.push_back(line);
        while self.lines.len() > self.limits.lines.max(1)
            || (self.bytes > self.limits.bytes && self.lines.len() > 1)
        {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.footprint();
                self.dropped += 1;
            }
        }
    }

    /// A row vt100 pushed off the top of its screen.
    pub(crate) fn push_row(&mut self, row: &vt100::capture::RowContents<'_>) {
        self.push(Line::from_cells(row.cells(), row.wrapped()));
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&Line> {
        self.lines.get(i)
    }

    /// What it keeps at most.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Lines dropped for the limits so far.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn clear(&mut self) {
        self.dropped += self.lines.len();
        self.lines.clear();
        self.bytes = 0;
    }

    /// Takes every line out, leaving the history empty with the same
    /// numbering (for a reflow, which gives new lines back).
    pub(crate) fn take_lines(&mut self) -> VecDeque<Line> {
        self.bytes = 0;
        std::mem::take(&mut self.lines)
    }
}
