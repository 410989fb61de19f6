//! Rewrapping a terminal's lines at a new width, as tmux does
//! (`grid_reflow`): lines the terminal wrapped join into the program's
//! line and split again at the new width; lines that ended with a newline
//! stay lines; the cursor (and the cursor a program saved) stays on the
//! same character.
//!
//! Written here rather than taken from a crate: vt100 has no reflow, and
//! the terminals that have one (alacritty_terminal, avt) keep their
//! history as full grids of cells, several times what the compact
//! [`Line`]s cost (see the README's terminal section).

use crate::history::{Attrs, Builder, Line};

/// The lines rewrapped, and where the cursors went.
pub(crate) struct Reflowed {
    pub lines: Vec<Line>,
    /// Line index and column of each cursor asked about, in its order.
    pub cursors: Vec<(usize, u16)>,
}

/// One cell of a program's line being rewrapped: its characters (a range
/// of the line's text) and attributes.
struct Piece {
    from: u32,
    to: u32,
    attrs: Attrs,
    wide: bool,
}

/// Rewraps `lines` (oldest first) at `cols` columns; each of `cursors` is
/// a line index and column among them. A cursor below the last line (in
/// the blank rows under the text) keeps its distance from it.
pub(crate) fn reflow<I>(lines: I, cols: u16, cursors: &[(usize, u16)]) -> Reflowed
where
    I: IntoIterator<Item = Line>,
{
    let cols = cols.max(1);
    let mut out = Vec::new();
    let mut placed: Vec<Option<(usize, u16)>> = vec![None; cursors.len()];
    // The program's line being gathered: its text and cells.
    let mut text = String::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut width = 0usize;
    // The cursors reached within the program's line: which, and its
    // column there.
    let mut reached: Vec<(usize, usize)> = Vec::new();
    let mut count = 0;
    for (i, line) in lines.into_iter().enumerate() {
        count = i + 1;
        for (k, c) in cursors.iter().enumerate() {
            if c.0 == i {
                reached.push((k, width + usize::from(c.1)));
            }
        }
        for cell in line.cells() {
            let from = text.len() as u32;
            text.push_str(cell.text);
            pieces.push(Piece {
                from,
                to: text.len() as u32,
                attrs: cell.attrs,
                wide: cell.wide,
            });
            width += if cell.wide { 2 } else { 1 };
        }
        if line.wrapped {
            continue;
        }
        let first = out.len();
        let starts = split(&text, &pieces, cols, &mut out);
        for (k, at) in reached.drain(..) {
            placed[k] = Some(place(first, &starts, at, cols));
        }
        text.clear();
        pieces.clear();
        width = 0;
    }
    // A last line that wraps into nothing (the screen's end).
    if !pieces.is_empty() || !reached.is_empty() {
        let first = out.len();
        let starts = split(&text, &pieces, cols, &mut out);
        for (k, at) in reached.drain(..) {
            placed[k] = Some(place(first, &starts, at, cols));
        }
    }
    let end = out.len();
    let cursors = placed
        .into_iter()
        .zip(cursors)
        .map(|(p, &(line, col))| p.unwrap_or((end + line.saturating_sub(count), col.min(cols))))
        .collect();
    Reflowed {
        lines: out,
        cursors,
    }
}

/// Splits one program's line into lines of `cols` columns at the end of
/// `out`; returns the column (in the program's line) each starts at.
fn split(text: &str, pieces: &[Piece], cols: u16, out: &mut Vec<Line>) -> Vec<usize> {
    let cols = usize::from(cols);
    let mut starts = vec![0];
    let mut b = Builder::default();
    let (mut col, mut at) = (0usize, 0usize);
    for p in pieces {
        let w = if p.wide { 2 } else { 1 };
        // (A character wider than the whole line goes alone on one.)
        if col > 0 && col + w > cols {
            out.push(std::mem::take(&mut b).finish(true));
            starts.push(at);
            col = 0;
        }
        b.push(&text[p.from as usize..p.to as usize], p.attrs);
        col += w;
        at += w;
    }
    out.push(b.finish(false));
    starts
}

/// Where column `at` of a program's line, split into lines starting at
/// `starts` from line `first`, is now. Just past a full last line is the
/// column after it (where a terminal waits to wrap), not a new line.
fn place(first: usize, starts: &[usize], at: usize, cols: u16) -> (usize, u16) {
    let k = starts.iter().rposition(|&s| s <= at).unwrap_or(0);
    let col = (at - starts[k]).min(usize::from(cols));
    (first + k, col as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(r: &Reflowed) -> Vec<(String, bool)> {
        r.lines
            .iter()
            .map(|l| (l.text().to_string(), l.wrapped))
            .collect()
    }

    fn wrapped(t: &str) -> Line {
        let mut l = Line::plain(t);
        l.wrapped = true;
        l
    }

    #[test]
    fn wrapped_lines_join_and_split_again() {
        let lines = vec![
            wrapped("abcde"),
            Line::plain("fg"),
            Line::plain("short"),
            Line::plain(""),
        ];
        let r = reflow(lines.clone(), 3, &[(1, 1)]);
        assert_eq!(
            texts(&r),
            [
                ("abc".into(), true),
                ("def".into(), true),
                ("g".into(), false),
                ("sho".into(), true),
                ("rt".into(), false),
                ("".into(), false)
            ]
        );
        // The cursor was on "g" (line 1, column 1): it still is.
        assert_eq!(r.cursors, [(2, 0)]);
        let back = reflow(r.lines, 5, &r.cursors);
        assert_eq!(
            texts(&back),
            [
                ("abcde".into(), true),
                ("fg".into(), false),
                ("short".into(), false),
                ("".into(), false)
            ]
        );
        assert_eq!(back.cursors, [(1, 1)]);
    }

    #[test]
    fn a_wide_character_never_splits() {
        let r = reflow(vec![Line::plain("ab漢字")], 3, &[(0, 0)]);
        assert_eq!(
            texts(&r),
            [
                ("ab".into(), true),
                ("漢".into(), true),
                ("字".into(), false)
            ]
        );
    }

    /// The program's lines as the terminal holds them (history and
    /// screen), wrapped ones joined, blank ones at the end left out, and
    /// each without the blanks at its end (not text: a terminal keeps them
    /// only while they sit inside a wrapped row).
    fn program_lines(t: &crate::Terminal) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        for n in t.first_line()..t.end_line() {
            let Some(line) = t.line(n) else { break };
            cur.push_str(line.text());
            if !line.wrapped {
                out.push(std::mem::take(&mut cur).trim_end().to_string());
            }
        }
        if !cur.is_empty() {
            out.push(cur.trim_end().to_string());
        }
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out
    }

    fn text_line() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                8 => "[a-z ]",
                1 => Just("漢".to_string()),
                1 => Just("\x1b[31mr\x1b[0m".to_string()),
                1 => Just("\x1b[1;44mb\x1b[0m".to_string()),
            ],
            0..200,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        /// Narrowing then widening back gives every line back as it was,
        /// and the cursor on the same character: what is typed next lands
        /// where it would have without the resizes.
        #[test]
        fn narrowing_and_widening_back_loses_nothing(
            lines in prop::collection::vec(text_line(), 1..60),
            widths in prop::collection::vec(2u16..150, 1..6),
            rows in 2u16..30,
            last in "[a-z]{0,30}",
        ) {
            let fed = |t: &mut crate::Terminal| {
                for l in &lines {
                    t.feed(l.as_bytes());
                    t.feed(b"\r\n");
                }
                t.feed(last.as_bytes());
            };
            let size = crate::Size::new(rows, 80);
            let (mut kept, mut resized) = (
                crate::Terminal::new(size, crate::Limits::default()),
                crate::Terminal::new(size, crate::Limits::default()),
            );
            fed(&mut kept);
            fed(&mut resized);
            for w in widths {
                resized.resize(crate::Size::new(rows, w));
            }
            resized.resize(size);
            prop_assert_eq!(program_lines(&resized), program_lines(&kept));
            kept.feed("§".as_bytes());
            resized.feed("§".as_bytes());
            prop_assert_eq!(program_lines(&resized), program_lines(&kept));
        }
    }

    proptest! {
        /// A cursor saved at the end of a line (`ESC 7`) is restored
        /// (`ESC 8`) to the end of the same line after any resizes, as
        /// without them. The screen is tall enough that nothing scrolls
        /// (a saved cursor is a place on the screen, not in the text), and
        /// the line does not end exactly at a row's end (where the cursor
        /// waits to wrap, and what is typed next goes to the next row).
        #[test]
        fn the_saved_cursor_stays_on_its_character(
            mut lines in prop::collection::vec(text_line(), 1..8),
            saved in "[a-z][a-z ]{0,180}[a-z]",
            at in any::<prop::sample::Index>(),
            widths in prop::collection::vec(20u16..150, 1..4),
        ) {
            prop_assume!(std::iter::once(80).chain(widths.iter().copied()).all(|w| saved.len() % usize::from(w) != 0));
            let k = at.index(lines.len() + 1);
            lines.insert(k, saved);
            let fed = |t: &mut crate::Terminal| {
                for (i, l) in lines.iter().enumerate() {
                    t.feed(l.as_bytes());
                    if i == k {
                        t.feed(b"\x1b7");
                    }
                    t.feed(b"\r\n");
                }
            };
            let size = crate::Size::new(200, 80);
            let (mut kept, mut resized) = (
                crate::Terminal::new(size, crate::Limits::default()),
                crate::Terminal::new(size, crate::Limits::default()),
            );
            fed(&mut kept);
            fed(&mut resized);
            kept.feed("\x1b8§".as_bytes());
            // (Not line k: vt100 does not join a line whose wide character
            // went to the next row with one column left, as tmux does not.)
            let typed = format!("{}§", lines[k]);
            prop_assert!(program_lines(&kept).contains(&typed));
            for w in widths {
                resized.resize(crate::Size::new(200, w));
                let mut probe = crate::Terminal::new(size, crate::Limits::default());
                fed(&mut probe);
                probe.resize(crate::Size::new(200, w));
                probe.feed("\x1b8§".as_bytes());
                prop_assert_eq!(program_lines(&probe), program_lines(&kept), "width {}", w);
            }
            resized.resize(size);
            resized.feed("\x1b8§".as_bytes());
            prop_assert_eq!(program_lines(&resized), program_lines(&kept));
        }
    }

    #[test]
    fn the_shell_cursor_under_vi_follows_its_prompt() {
        // A prompt, then `vi` on the alternate screen (mode 1049 saves the
        // shell's cursor); the pane is narrowed, the prompt's line wraps,
        // `vi` quits and the shell types after its prompt.
        let mut t = crate::Terminal::new(crate::Size::new(10, 20), crate::Limits::default());
        t.feed(b"line one\r\n$ prompt-text-here");
        t.feed(b"\x1b[?1049h\x1b[H~\r\n~\r\n\"f\" 2L");
        t.resize(crate::Size::new(10, 10));
        t.feed(b"\x1b[?1049lX");
        assert_eq!(program_lines(&t), ["line one", "$ prompt-text-hereX"]);
        assert_eq!(t.screen().cursor_position(), (2, 9));
        t.resize(crate::Size::new(10, 20));
        t.feed(b"Y");
        assert_eq!(program_lines(&t), ["line one", "$ prompt-text-hereXY"]);
        assert_eq!(t.screen().cursor_position(), (1, 20));
    }

    #[test]
    fn a_cursor_past_the_text_keeps_its_distance() {
        // A prompt "$ " (its blank is cut) with the cursor after it.
        let r = reflow(vec![Line::plain("$")], 10, &[(0, 2)]);
        assert_eq!(r.cursors, [(0, 2)]);
    }
}
