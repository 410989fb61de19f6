//! Drawing a pane's terminal into a ratatui buffer, cell by cell: text,
//! colours (16, 256, RGB), bold/dim/italic/underline/inverse and wide
//! characters, from the live screen or the history the view is scrolled
//! to, with a selection and search matches marked. The terminal's size
//! and the area may differ for a frame (a resize in flight); both are
//! clamped, never indexed past.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

use crate::term::copy::Selection;
use crate::term::screen::TermScreen;
use dockyard_term::Attrs;

/// A pane's terminal as the view shows it (live, or scrolled back into
/// its history), with what is marked over it.
pub struct TermView<'a> {
    term: &'a TermScreen,
    selection: Option<&'a Selection>,
    query: Option<&'a str>,
}

impl<'a> TermView<'a> {
    pub fn new(term: &'a TermScreen) -> Self {
        TermView {
            term,
            selection: None,
            query: None,
        }
    }

    /// Marks the selected cells.
    pub fn selection(mut self, selection: Option<&'a Selection>) -> Self {
        self.selection = selection;
        self
    }

    /// Highlights a search's matches.
    pub fn query(mut self, query: Option<&'a str>) -> Self {
        self.query = query.filter(|q| !q.is_empty());
        self
    }
}

fn color(c: dockyard_term::Color) -> Color {
    match c {
        dockyard_term::Color::Default => Color::Reset,
        dockyard_term::Color::Idx(i) => Color::Indexed(i),
        dockyard_term::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn style(a: Attrs) -> Style {
    let mut m = Modifier::empty();
    for (flag, modifier) in [
        (Attrs::BOLD, Modifier::BOLD),
        (Attrs::DIM, Modifier::DIM),
        (Attrs::ITALIC, Modifier::ITALIC),
        (Attrs::UNDERLINE, Modifier::UNDERLINED),
        (Attrs::INVERSE, Modifier::REVERSED),
    ] {
        if a.flags & flag != 0 {
            m |= modifier;
        }
    }
    Style::default()
        .fg(color(a.fg))
        .bg(color(a.bg))
        .add_modifier(m)
}

/// Selected text: its own colours, whatever the program's were.
pub const SELECTION: Style = Style::new().fg(Color::Black).bg(Color::LightBlue);
/// A search's matches.
pub const MATCH: Style = Style::new().fg(Color::Black).bg(Color::Yellow);

impl Widget for TermView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        let term = self.term;
        let cols = term.size().1.min(area.width);
        let top = term.top_line();
        for y in 0..area.height {
            let row_y = area.y + y;
            for x in 0..area.width {
                buf[(area.x + x, row_y)].reset();
            }
            let n = top + usize::from(y);
            let Some(line) = term.line(n) else {
                continue;
            };
            for cell in line.cells() {
                if cell.col >= cols {
                    break;
                }
                // Half of a wide character would stick out of the area.
                let symbol = if cell.wide && cell.col + 1 >= cols {
                    " "
                } else {
                    cell.text
                };
                buf[(area.x + cell.col, row_y)]
                    .set_symbol(symbol)
                    .set_style(style(cell.attrs));
            }
            if let Some(q) = self.query {
                for (from, to) in dockyard_term::search::columns(&line, q) {
                    for x in from..to.min(cols) {
                        buf[(area.x + x, row_y)].set_style(MATCH);
                    }
                }
            }
            if let Some(sel) = self.selection
                && let Some((from, to)) = sel.columns(n, &line)
            {
                for x in from..to.min(cols) {
                    buf[(area.x + x, row_y)].set_style(SELECTION);
                }
            }
        }
        let back = term.back();
        let label = format!("[+{back}]");
        if back > 0 && usize::from(area.width) > label.len() {
            let x = area.x + area.width.saturating_sub(label.len() as u16);
            buf.set_string(
                x,
                area.y,
                &label,
                Style::default().fg(Color::Black).bg(Color::Yellow),
            );
        }
    }
}

/// Where the terminal cursor goes for a pane drawn at `area`, if it is to
/// be shown (the program has not hidden it, the view is not scrolled back,
/// and it falls inside the area).
pub fn cursor_position(term: &TermScreen, area: Rect) -> Option<Position> {
    if term.terminal().cursor_hidden() || term.back() > 0 {
        return None;
    }
    let (row, col) = term.terminal().cursor();
    (row < area.height && col < area.width).then(|| Position::new(area.x + col, area.y + row))
}

/// Where a line and column of the terminal are drawn, if in view.
pub fn position_of(term: &TermScreen, area: Rect, line: usize, col: u16) -> Option<Position> {
    let y = line.checked_sub(term.top_line())?;
    let y = u16::try_from(y).ok().filter(|y| *y < area.height)?;
    (col < area.width).then(|| Position::new(area.x + col, area.y + y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(rows: u16, cols: u16, bytes: &[u8]) -> TermScreen {
        let mut t = TermScreen::new(rows, cols);
        t.feed(bytes);
        t
    }

    fn render(p: &TermScreen, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        TermView::new(p).render(Rect::new(0, 0, w, h), &mut buf);
        buf
    }

    #[test]
    fn text_and_colours() {
        let p = parser(
            3,
            20,
            b"plain \x1b[31mred\x1b[0m \x1b[38;5;200mx\x1b[38;2;1;2;3my\x1b[44mz",
        );
        let buf = render(&p, 20, 3);
        assert_eq!(buf[(0, 0)].symbol(), "p");
        assert_eq!(buf[(6, 0)].fg, Color::Indexed(1));
        assert_eq!(buf[(10, 0)].fg, Color::Indexed(200));
        assert_eq!(buf[(11, 0)].fg, Color::Rgb(1, 2, 3));
        assert_eq!(buf[(12, 0)].bg, Color::Indexed(4));
        assert_eq!(buf[(0, 0)].fg, Color::Reset);
    }

    #[test]
    fn attributes() {
        let p = parser(2, 10, b"\x1b[1mB\x1b[0;2mD\x1b[0;3mI\x1b[0;4mU\x1b[0;7mR");
        let buf = render(&p, 10, 2);
        for (x, m) in [
            (0, Modifier::BOLD),
            (1, Modifier::DIM),
            (2, Modifier::ITALIC),
            (3, Modifier::UNDERLINED),
            (4, Modifier::REVERSED),
        ] {
            assert_eq!(buf[(x, 0)].modifier, m, "column {x}");
        }
    }

    #[test]
    fn wide_characters() {
        let p = parser(2, 6, "a世b".as_bytes());
        let buf = render(&p, 6, 2);
        assert_eq!(buf[(1, 0)].symbol(), "世");
        assert_eq!(buf[(3, 0)].symbol(), "b");
        // A wide character cut by the area's edge is not half drawn.
        let buf = render(&p, 2, 2);
        assert_eq!(buf[(1, 0)].symbol(), " ");
    }

    #[test]
    fn parser_and_area_of_different_sizes() {
        let p = parser(5, 5, b"12345\r\n67890");
        // Larger area: the rest is blank.
        let buf = render(&p, 10, 8);
        assert_eq!(buf[(4, 0)].symbol(), "5");
        assert_eq!(buf[(9, 7)].symbol(), " ");
        // Smaller area: clipped, no panic.
        let buf = render(&p, 3, 1);
        assert_eq!(buf[(2, 0)].symbol(), "3");
        // Drawn at an offset inside a bigger buffer, past its edge.
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 4));
        TermView::new(&p).render(Rect::new(2, 2, 10, 10), &mut buf);
        assert_eq!(buf[(2, 2)].symbol(), "1");
    }

    #[test]
    fn cursor_follows_and_hides() {
        let mut p = parser(4, 10, b"ab\r\nc");
        let area = Rect::new(5, 5, 10, 4);
        assert_eq!(cursor_position(&p, area), Some(Position::new(6, 6)));
        p.feed(b"\x1b[?25l");
        assert_eq!(cursor_position(&p, area), None);
    }

    #[test]
    fn scrollback_view_and_indicator() {
        let mut p = parser(3, 12, b"");
        for i in 0..10 {
            p.feed(format!("line{i}\r\n").as_bytes());
        }
        p.scroll(2);
        let buf = render(&p, 12, 3);
        let top: String = (0..5).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(top, "line6");
        let label: String = (8..12).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(label, "[+2]");
        assert_eq!(cursor_position(&p, Rect::new(0, 0, 12, 3)), None);
    }
}
