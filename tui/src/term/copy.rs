//! Copy mode over a pane's terminal, as tmux's `copy-mode-vi`: a cursor
//! that moves over the history and the screen with vi motions, a
//! selection (characters, lines or a block) from where it was started to
//! the cursor, searches, and the selected text. Positions are a line
//! number (as [`TermScreen`] numbers lines: stable while lines arrive)
//! and a column.

use dockyard_term::Line;
use dockyard_term::search::find;
pub use dockyard_term::search::{Found, Point};

use crate::term::screen::TermScreen;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// From one character to another, across lines (`v`).
    Chars,
    /// Whole lines (`V`).
    Lines,
    /// A rectangle (`Ctrl-v`).
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub kind: Kind,
    pub anchor: Point,
    pub head: Point,
}

impl Selection {
    fn ordered(&self) -> (Point, Point) {
        (self.anchor.min(self.head), self.anchor.max(self.head))
    }

    /// The columns `[from, to)` of line `n` (which is `line`) that are
    /// selected; `to` may be past the line's end (the rest of the row).
    pub fn columns(&self, n: usize, line: &Line) -> Option<(u16, u16)> {
        let (start, end) = self.ordered();
        if n < start.line || n > end.line {
            return None;
        }
        let past = |col: u16| cell_end(line, col);
        match self.kind {
            Kind::Lines => Some((0, u16::MAX)),
            Kind::Block => {
                let (l, r) = (
                    self.anchor.col.min(self.head.col),
                    self.anchor.col.max(self.head.col),
                );
                Some((cell_start(line, l), past(r)))
            }
            Kind::Chars => {
                let from = if n == start.line {
                    cell_start(line, start.col)
                } else {
                    0
                };
                let to = if n == end.line {
                    past(end.col)
                } else {
                    u16::MAX
                };
                Some((from, to))
            }
        }
    }

    /// The selected text: lines end with a newline except where the
    /// program's line went on (wrapped); trailing blanks are cut, as
    /// tmux does.
    pub fn text(&self, term: &TermScreen) -> String {
        let (start, end) = self.ordered();
        let mut out = String::new();
        for n in start.line..=end.line {
            let Some(line) = term.line(n) else {
                continue;
            };
            let Some((from, to)) = self.columns(n, &line) else {
                continue;
            };
            let mut piece = String::new();
            for cell in line.cells() {
                if cell.col >= from && cell.col < to {
                    piece.push_str(cell.text);
                }
            }
            let whole_rest = to == u16::MAX;
            let joined = self.kind != Kind::Block && whole_rest && line.wrapped;
            if joined {
                out.push_str(&piece);
            } else {
                out.push_str(piece.trim_end());
                if n != end.line {
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// The column where the cell covering `col` starts (a wide character's
/// second column belongs to it).
fn cell_start(line: &Line, col: u16) -> u16 {
    line.cells()
        .take_while(|c| c.col <= col)
        .last()
        .filter(|c| c.wide && c.col + 1 == col)
        .map_or(col, |c| c.col)
}

/// One past the last column of the cell covering `col`.
fn cell_end(line: &Line, col: u16) -> u16 {
    line.cells()
        .find(|c| c.col == col || (c.wide && c.col + 1 == col))
        .map_or(col + 1, |c| c.col + if c.wide { 2 } else { 1 })
}

/// What a character is, for word motions: vi's "word" is a run of letters,
/// digits and underscores, or a run of other non-blank characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Blank,
    Word,
    Punct,
}

fn class(text: &str) -> Class {
    match text.chars().next() {
        None => Class::Blank,
        Some(c) if c.is_whitespace() => Class::Blank,
        Some(c) if c.is_alphanumeric() || c == '_' => Class::Word,
        Some(_) => Class::Punct,
    }
}

/// A pane's copy mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyMode {
    pub cursor: Point,
    /// The kind of selection and where it started, once one is.
    pub selection: Option<(Kind, Point)>,
    /// The last search: what, and whether it went up (`?`).
    pub search: Option<(String, bool)>,
    /// Entered by a mouse drag: leaves once the drag copies.
    pub by_mouse: bool,
}

impl CopyMode {
    /// Copy mode on `term`, the cursor where the terminal's is (or, in a
    /// view scrolled back, at the bottom of the view).
    pub fn new(term: &TermScreen) -> Self {
        let cursor = if term.back() == 0 {
            let (row, col) = term.terminal().cursor();
            Point {
                line: term.top_line() + usize::from(row),
                col,
            }
        } else {
            Point {
                line: term.bottom_line(),
                col: 0,
            }
        };
        CopyMode {
            cursor,
            selection: None,
            search: None,
            by_mouse: false,
        }
    }

    pub fn selection(&self) -> Option<Selection> {
        self.selection.map(|(kind, anchor)| Selection {
            kind,
            anchor,
            head: self.cursor,
        })
    }

    /// Starts a selection of `kind` at the cursor; the same kind again
    /// ends it, another kind changes it (as in vi).
    pub fn toggle_selection(&mut self, kind: Kind) {
        self.selection = match self.selection {
            Some((k, _)) if k == kind => None,
            Some((_, anchor)) => Some((kind, anchor)),
            None => Some((kind, self.cursor)),
        };
    }

    /// Puts the cursor at `p`, kept within the terminal's lines, and the
    /// view on it.
    pub fn go(&mut self, term: &mut TermScreen, p: Point) {
        let last = term.end_line().saturating_sub(1);
        let line = p.line.clamp(term.first_line(), last);
        let col = p.col.min(term.size().1.saturating_sub(1));
        self.cursor = Point { line, col };
        term.reveal_line(line);
    }

    /// The cursor moved within the terminal (lines dropped from the
    /// history may have taken its line).
    pub fn keep_in(&mut self, term: &mut TermScreen) {
        if self.cursor.line < term.first_line() {
            self.cursor.line = term.first_line();
        }
    }

    pub fn left(&mut self, term: &mut TermScreen) {
        let c = self.cursor;
        let line = term.line(c.line);
        let col = line.map_or(c.col.saturating_sub(1), |l| {
            cell_start(&l, c.col.saturating_sub(1))
        });
        self.go(term, Point { col, ..c });
    }

    pub fn right(&mut self, term: &mut TermScreen) {
        let c = self.cursor;
        let col = term.line(c.line).map_or(c.col + 1, |l| cell_end(&l, c.col));
        self.go(term, Point { col, ..c });
    }

    /// Down (`n` > 0) or up `n` lines.
    pub fn vertical(&mut self, term: &mut TermScreen, n: isize) {
        let line = self.cursor.line.saturating_add_signed(n);
        let p = Point {
            line,
            ..self.cursor
        };
        self.go(term, p);
    }

    pub fn line_start(&mut self, term: &mut TermScreen) {
        let p = Point {
            col: 0,
            ..self.cursor
        };
        self.go(term, p);
    }

    /// The first non-blank character (`^`).
    pub fn line_indent(&mut self, term: &mut TermScreen) {
        let col = term.line(self.cursor.line).map_or(0, |l| {
            l.cells()
                .find(|c| class(c.text) != Class::Blank)
                .map_or(0, |c| c.col)
        });
        let p = Point { col, ..self.cursor };
        self.go(term, p);
    }

    /// The last character (`$`).
    pub fn line_end(&mut self, term: &mut TermScreen) {
        let col = term
            .line(self.cursor.line)
            .and_then(|l| l.cells().last().map(|c| c.col))
            .unwrap_or(0);
        let p = Point { col, ..self.cursor };
        self.go(term, p);
    }

    pub fn top(&mut self, term: &mut TermScreen) {
        let p = Point {
            line: term.first_line(),
            col: 0,
        };
        self.go(term, p);
    }

    pub fn bottom(&mut self, term: &mut TermScreen) {
        let p = Point {
            line: term.end_line(),
            col: 0,
        };
        self.go(term, p);
    }

    /// Every cell from the cursor on (`forward`) or back, with its line
    /// and class; a line's end counts as a blank (words never run on
    /// from one line to the next).
    fn walk(&self, term: &TermScreen, forward: bool) -> Vec<(Point, Class)> {
        // Words are short: looking at a few hundred lines is plenty.
        const SPAN: usize = 400;
        let mut cells = Vec::new();
        let lines: Vec<usize> = if forward {
            (self.cursor.line..term.end_line().min(self.cursor.line + SPAN)).collect()
        } else {
            (self.cursor.line.saturating_sub(SPAN).max(term.first_line())..=self.cursor.line)
                .rev()
                .collect()
        };
        for n in lines {
            let Some(line) = term.line(n) else { continue };
            let mut row: Vec<(Point, Class)> = line
                .cells()
                .map(|c| {
                    (
                        Point {
                            line: n,
                            col: c.col,
                        },
                        class(c.text),
                    )
                })
                .collect();
            let end_col = row.last().map_or(0, |(p, _)| p.col + 1);
            row.push((
                Point {
                    line: n,
                    col: end_col,
                },
                Class::Blank,
            ));
            if !forward {
                row.reverse();
            }
            cells.extend(row);
        }
        let here = cells
            .iter()
            .position(|(p, _)| {
                if forward {
                    *p >= self.cursor
                } else {
                    *p <= self.cursor
                }
            })
            .unwrap_or(0);
        cells.split_off(here)
    }

    /// The start of the next word (`w`).
    pub fn word_next(&mut self, term: &mut TermScreen) {
        let cells = self.walk(term, true);
        let Some((_, first)) = cells.first().copied() else {
            return;
        };
        let target = cells
            .iter()
            .skip(1)
            .scan(first, |prev, &(p, c)| {
                let starts = c != Class::Blank && c != *prev;
                *prev = c;
                Some((p, starts))
            })
            .find(|(_, starts)| *starts)
            .map(|(p, _)| p);
        if let Some(p) = target {
            self.go(term, p);
        }
    }

    /// The start of this or the previous word (`b`).
    pub fn word_prev(&mut self, term: &mut TermScreen) {
        self.word_edge(term, false);
    }

    /// The end of this or the next word (`e`).
    pub fn word_end(&mut self, term: &mut TermScreen) {
        self.word_edge(term, true);
    }

    /// To the first word character, past the cursor, whose neighbour
    /// further on (after it going forward, before it going back) is of
    /// another class: a word's end (`e`) or start (`b`).
    fn word_edge(&mut self, term: &mut TermScreen, forward: bool) {
        let cells = self.walk(term, forward);
        let target = cells.iter().enumerate().skip(1).find_map(|(i, &(p, c))| {
            let beyond = cells.get(i + 1).map_or(Class::Blank, |x| x.1);
            (c != Class::Blank && beyond != c).then_some(p)
        });
        if let Some(p) = target {
            self.go(term, p);
        }
    }

    /// The word under the cursor as a selection (a double click).
    pub fn select_word(&mut self, term: &mut TermScreen) {
        let Some(line) = term.line(self.cursor.line) else {
            return;
        };
        let cells: Vec<_> = line
            .cells()
            .map(|c| (c.col, c.col + if c.wide { 2 } else { 1 }, class(c.text)))
            .collect();
        // The cell under the pointer; none past the line's end.
        let Some(i) = cells
            .iter()
            .position(|(from, to, _)| (*from..*to).contains(&self.cursor.col))
        else {
            return;
        };
        let cells: Vec<(u16, Class)> = cells.into_iter().map(|(c, _, k)| (c, k)).collect();
        let c = cells[i].1;
        let mut from = i;
        while from > 0 && cells[from - 1].1 == c {
            from -= 1;
        }
        let mut to = i;
        while to + 1 < cells.len() && cells[to + 1].1 == c {
            to += 1;
        }
        let n = self.cursor.line;
        self.selection = Some((
            Kind::Chars,
            Point {
                line: n,
                col: cells[from].0,
            },
        ));
        self.cursor = Point {
            line: n,
            col: cells[to].0,
        };
    }

    /// Searches for `query` from the cursor, up (`backward`, towards older
    /// lines) or down, going round the ends; puts the cursor on the match.
    pub fn find(&mut self, term: &mut TermScreen, query: &str, backward: bool) -> Option<Found> {
        let found = find(term.terminal(), query, self.cursor, backward)?;
        self.go(term, found.at);
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(text: &str, rows: u16, cols: u16) -> TermScreen {
        let mut t = TermScreen::new(rows, cols);
        t.feed(text.replace('\n', "\r\n").as_bytes());
        t
    }

    #[test]
    fn motions() {
        let mut t = term("first line\nfoo.bar  baz_1\n  indented\n", 4, 30);
        let mut m = CopyMode::new(&t);
        assert_eq!(m.cursor.line, t.end_line() - 1);
        let foo = t.first_line() + 1;
        m.go(&mut t, Point { line: foo, col: 0 });
        m.word_next(&mut t);
        assert_eq!(m.cursor.col, 3, "w stops at the punctuation");
        m.word_next(&mut t);
        assert_eq!(m.cursor.col, 4);
        m.word_next(&mut t);
        assert_eq!(m.cursor.col, 9);
        m.word_end(&mut t);
        assert_eq!(m.cursor.col, 13);
        m.word_prev(&mut t);
        assert_eq!(m.cursor.col, 9);
        m.word_next(&mut t);
        assert_eq!(
            (m.cursor.line, m.cursor.col),
            (foo + 1, 2),
            "w goes on to the next line"
        );
        m.line_start(&mut t);
        assert_eq!(m.cursor.col, 0);
        m.line_indent(&mut t);
        assert_eq!(m.cursor.col, 2);
        m.line_end(&mut t);
        assert_eq!(m.cursor.col, 9);
        m.top(&mut t);
        assert_eq!(m.cursor.line, t.first_line());
        m.vertical(&mut t, -5);
        assert_eq!(m.cursor.line, t.first_line(), "never above the first line");
    }

    #[test]
    fn selections() {
        let mut t = term("alpha beta\ngamma delta\nepsilon\n", 4, 30);
        let first = t.first_line();
        let mut m = CopyMode::new(&t);
        m.go(
            &mut t,
            Point {
                line: first,
                col: 6,
            },
        );
        m.toggle_selection(Kind::Chars);
        m.go(
            &mut t,
            Point {
                line: first + 1,
                col: 4,
            },
        );
        assert_eq!(m.selection().expect("on").text(&t), "beta\ngamma");
        m.toggle_selection(Kind::Lines);
        assert_eq!(
            m.selection().expect("on").text(&t),
            "alpha beta\ngamma delta"
        );
        m.toggle_selection(Kind::Block);
        assert_eq!(m.selection().expect("on").text(&t), "a b\na d");
        m.toggle_selection(Kind::Block);
        assert_eq!(m.selection(), None);
    }

    #[test]
    fn wrapped_lines_copy_as_one() {
        let mut t = term("0123456789abcdef\n", 3, 10);
        let first = t.first_line();
        let mut m = CopyMode::new(&t);
        m.go(
            &mut t,
            Point {
                line: first,
                col: 0,
            },
        );
        m.toggle_selection(Kind::Lines);
        m.go(
            &mut t,
            Point {
                line: first + 1,
                col: 0,
            },
        );
        assert_eq!(m.selection().expect("on").text(&t), "0123456789abcdef");
    }

    #[test]
    fn wide_characters_select_whole() {
        let mut t = term("a名前b\n", 3, 10);
        let first = t.first_line();
        let mut m = CopyMode::new(&t);
        m.go(
            &mut t,
            Point {
                line: first,
                col: 2,
            },
        );
        m.toggle_selection(Kind::Chars);
        m.go(
            &mut t,
            Point {
                line: first,
                col: 3,
            },
        );
        assert_eq!(m.selection().expect("on").text(&t), "名前");
        m.go(
            &mut t,
            Point {
                line: first,
                col: 1,
            },
        );
        m.right(&mut t);
        assert_eq!(
            m.cursor.col, 3,
            "right skips a wide character's second half"
        );
    }

    #[test]
    fn search_goes_round() {
        let mut t = term("x one\ny two\nz one\n", 5, 20);
        let first = t.first_line();
        let mut m = CopyMode::new(&t);
        let f = m.find(&mut t, "one", true).expect("found");
        assert_eq!(
            f.at,
            Point {
                line: first + 2,
                col: 2
            }
        );
        let f = m.find(&mut t, "one", true).expect("found");
        assert_eq!(
            f.at,
            Point {
                line: first,
                col: 2
            }
        );
        assert!(!f.wrapped);
        let f = m.find(&mut t, "one", true).expect("found");
        assert_eq!(f.at.line, first + 2);
        assert!(f.wrapped);
        assert!(m.find(&mut t, "absent", false).is_none());
        let f = m.find(&mut t, "ONE", false);
        assert!(f.is_none(), "a capital makes it exact");
    }

    #[test]
    fn a_search_finds_a_line_thousands_back() {
        let mut t = TermScreen::new(10, 40);
        t.feed(b"needle-4242\r\n");
        for i in 0..5000 {
            t.feed(format!("filler {i}\r\n").as_bytes());
        }
        let mut m = CopyMode::new(&t);
        let f = m.find(&mut t, "needle-4242", true).expect("found");
        assert_eq!(f.at.line, t.first_line());
        assert!(t.top_line() <= f.at.line && f.at.line <= t.bottom_line());
    }
}
