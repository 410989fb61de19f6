//! Drawing a vt100 screen into a ratatui buffer, cell by cell: text,
//! colours (16, 256, RGB), bold/dim/italic/underline/inverse and wide
//! characters. The parser's size and the area may differ for a frame (a
//! resize in flight); both are clamped, never indexed past.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

pub struct TermView<'a> {
    screen: &'a vt100::Screen,
}

impl<'a> TermView<'a> {
    pub fn new(screen: &'a vt100::Screen) -> Self {
        TermView { screen }
    }
}

fn color(c: vt100::Color) -> Color {
    match c {
        vt100::Color::Default => Color::Reset,
        vt100::Color::Idx(i) => Color::Indexed(i),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn style(cell: &vt100::Cell) -> Style {
    let mut m = Modifier::empty();
    if cell.bold() {
        m |= Modifier::BOLD;
    }
    if cell.dim() {
        m |= Modifier::DIM;
    }
    if cell.italic() {
        m |= Modifier::ITALIC;
    }
    if cell.underline() {
        m |= Modifier::UNDERLINED;
    }
    if cell.inverse() {
        m |= Modifier::REVERSED;
    }
    Style::default()
        .fg(color(cell.fgcolor()))
        .bg(color(cell.bgcolor()))
        .add_modifier(m)
}

impl Widget for TermView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        let (rows, cols) = self.screen.size();
        let rows = rows.get().min(area.height);
        let cols = cols.get().min(area.width);
        for y in 0..area.height {
            for x in 0..area.width {
                let target = &mut buf[(area.x + x, area.y + y)];
                let cell = if y < rows && x < cols {
                    self.screen.cell(y, x)
                } else {
                    None
                };
                let Some(cell) = cell else {
                    target.reset();
                    continue;
                };
                if cell.is_wide_continuation() {
                    // ratatui skips the cell after a wide symbol when it
                    // diffs; it must hold nothing of its own.
                    target.reset();
                    continue;
                }
                let text = cell.contents();
                let symbol = if text.is_empty() {
                    " "
                } else if cell.is_wide() && x + 1 >= cols {
                    // Half of a wide character would stick out of the area.
                    " "
                } else {
                    text
                };
                target.set_symbol(symbol).set_style(style(cell));
            }
        }
        let back = self.screen.scrollback();
        if back > 0 && area.width >= 8 {
            let label = format!("[+{back}]");
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
pub fn cursor_position(screen: &vt100::Screen, area: Rect) -> Option<Position> {
    if screen.hide_cursor() || screen.scrollback() > 0 {
        return None;
    }
    let (row, col) = screen.cursor_position();
    (row < area.height && col < area.width).then(|| Position::new(area.x + col, area.y + row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU16;

    fn parser(rows: u16, cols: u16, bytes: &[u8]) -> vt100::Parser {
        let nz = |v| NonZeroU16::new(v).expect("non-zero");
        let mut p = vt100::Parser::new(nz(rows), nz(cols), 100);
        p.process(bytes);
        p
    }

    fn render(p: &vt100::Parser, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        TermView::new(p.screen()).render(Rect::new(0, 0, w, h), &mut buf);
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
        TermView::new(p.screen()).render(Rect::new(2, 2, 10, 10), &mut buf);
        assert_eq!(buf[(2, 2)].symbol(), "1");
    }

    #[test]
    fn cursor_follows_and_hides() {
        let mut p = parser(4, 10, b"ab\r\nc");
        let area = Rect::new(5, 5, 10, 4);
        assert_eq!(cursor_position(p.screen(), area), Some(Position::new(6, 6)));
        p.process(b"\x1b[?25l");
        assert_eq!(cursor_position(p.screen(), area), None);
    }

    #[test]
    fn scrollback_view_and_indicator() {
        let mut p = parser(3, 12, b"");
        for i in 0..10 {
            p.process(format!("line{i}\r\n").as_bytes());
        }
        p.screen_mut().set_scrollback(2);
        let buf = render(&p, 12, 3);
        let top: String = (0..5).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(top, "line6");
        let label: String = (8..12).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(label, "[+2]");
        assert_eq!(cursor_position(p.screen(), Rect::new(0, 0, 12, 3)), None);
    }
}
