//! The compact history against vt100's own scrollback, on the TUI's
//! corpus of real sessions (`tui/corpus`): what this crate keeps of a
//! line is what vt100 would have kept.

use proptest::prelude::*;

use crate::{Attrs, Limits, Line, Size, Terminal};

const CORPUS: &[&[u8]] = &[
    include_bytes!("../../tui/corpus/shell.out"),
    include_bytes!("../../tui/corpus/vi.out"),
    include_bytes!("../../tui/corpus/top.out"),
    include_bytes!("../../tui/corpus/less.out"),
    include_bytes!("../../tui/corpus/colours.out"),
];

/// Cuts `data` at the given points (each taken modulo its length).
fn cut(data: &[u8], points: &[prop::sample::Index]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = points.iter().map(|i| i.index(data.len() + 1)).collect();
    at.push(0);
    at.push(data.len());
    at.sort_unstable();
    at.windows(2).map(|w| data[w[0]..w[1]].to_vec()).collect()
}

/// A cell as drawn: its text (a blank as a space), attributes, and
/// whether it is a wide character or the second half of one.
type Drawn = (String, Attrs, bool, bool);

/// Row 0 of a vt100 screen (scrolled to some line of its scrollback).
fn vt100_row(screen: &vt100::Screen, cols: u16) -> Vec<Drawn> {
    (0..cols)
        .map(|c| match screen.cell(0, c) {
            Some(cell) if cell.is_wide_continuation() => {
                (String::new(), Attrs::of(cell), false, true)
            }
            Some(cell) => (
                if cell.has_contents() {
                    cell.contents().to_string()
                } else {
                    " ".to_string()
                },
                Attrs::of(cell),
                cell.is_wide(),
                cell.is_wide_continuation(),
            ),
            None => (" ".to_string(), Attrs::default(), false, false),
        })
        .collect()
}

/// A kept line as drawn over `cols` columns.
fn history_row(line: &Line, cols: u16) -> Vec<Drawn> {
    let mut row: Vec<Drawn> = (0..cols)
        .map(|_| (" ".to_string(), Attrs::default(), false, false))
        .collect();
    for cell in line.cells() {
        let c = usize::from(cell.col);
        if c < row.len() {
            row[c] = (cell.text.to_string(), cell.attrs, cell.wide, false);
        }
        if cell.wide && c + 1 < row.len() {
            row[c + 1] = (String::new(), cell.attrs, false, true);
        }
    }
    row
}

proptest! {
    /// The compact history keeps exactly what vt100 would have kept in
    /// its own scrollback: for real sessions (repeated, so they scroll)
    /// fed in arbitrary pieces at any size, every line that scrolled off
    /// draws the same cells (text, colours, attributes, wide characters)
    /// and wraps the same, and the screen is the same.
    #[test]
    fn the_history_keeps_what_vt100_would(
        which in 0..CORPUS.len(),
        points in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        rows in 1u16..40,
        cols in 1u16..160,
        times in 1usize..4,
    ) {
        let data = CORPUS[which];
        let data = data.repeat(times);
        let nz = |v: u16| std::num::NonZeroU16::new(v).expect("non-zero");
        let mut reference = vt100::Parser::new(nz(rows), nz(cols), usize::MAX);
        reference.process(&data);
        let limits = Limits { lines: usize::MAX, bytes: usize::MAX };
        let mut ours = Terminal::new(Size::new(rows, cols), limits);
        for chunk in cut(&data, &points) {
            let _ = ours.feed(&chunk);
        }
        let screen = reference.screen_mut();
        let kept = screen.scrollback_len();
        prop_assert_eq!(ours.end_line() - ours.first_line(), kept + usize::from(rows));
        for i in 0..kept {
            screen.set_scrollback(kept - i);
            let line = ours.line(ours.first_line() + i).expect("a kept line");
            prop_assert_eq!(history_row(&line, cols), vt100_row(screen, cols), "line {}", i);
            prop_assert_eq!(line.wrapped, screen.row_wrapped(0), "line {} wraps", i);
        }
        screen.set_scrollback(0);
        prop_assert_eq!(ours.screen().contents_formatted(), screen.contents_formatted());
    }

}
