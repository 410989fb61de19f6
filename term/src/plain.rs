//! Plain lines kept without the parser. A pane flooded by `cat` or a
//! build log spends most of its time parsing lines that scroll straight
//! into the history: for those, the history lines are built here from the
//! text itself, row by row as vt100 would wrap them, and only the last
//! screenful goes through the parser. `Terminal::feed` says when this is
//! exact; the property test below compares it with the parser.
//!
//! The text taken here: printable characters of width one or two, tabs,
//! colour changes (`ESC [ ... m`, applied by a parser of their own so that
//! their meaning is vt100's) and `\r\n` line ends (`\r\r\n` too).
//! Anything else ends the run at the last whole line before it.

use unicode_width::UnicodeWidthChar;

use crate::history::{Attrs, Builder, Line};

/// Lines built from plain text.
pub(crate) struct Built {
    /// The rows, as the screen would have pushed them into the history.
    pub rows: Vec<Line>,
    /// Bytes of the text they came from (whole lines, each ending `\r\n`).
    pub len: usize,
}

/// The rows vt100 would write `text` into, starting at the first column
/// of a blank row, `cols` wide, up to the last whole line it could take.
/// `pen` is a parser used only for the colour changes: on the way in its
/// pen is the terminal's, and it is left as the taken lines leave it.
pub(crate) fn build(text: &[u8], cols: u16, pen: &mut vt100::Parser) -> Built {
    // Validated once; what is not UTF-8 is not taken.
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default(),
    };
    let bytes = text.as_bytes();
    let mut out = Built {
        rows: Vec::new(),
        len: 0,
    };
    let mut attrs = Attrs::of(&pen.screen().pen());
    // The pen where the last whole line ended, to go back to when the
    // line after it cannot be taken.
    let mut line_pen = pen.screen().pen();
    let mut line_rows = out.rows.len();
    let mut row = Builder::default();
    // The next column; `cols` when the last cell was just written and the
    // next character wraps.
    let mut col: u16 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (ch, len): (&str, usize) = match b {
            0x20..=0x7e => {
                if col >= cols {
                    out.rows.push(row.take_line(true));
                    col = 0;
                }
                let room = usize::from(cols - col);
                let n = bytes[i..]
                    .iter()
                    .take(room)
                    .take_while(|b| (0x20..=0x7e).contains(*b))
                    .count();
                row.push_ascii(&text[i..i + n], attrs);
                col += n as u16;
                i += n;
                continue;
            }
            // A line end; more than one `\r` is the same (a file with
            // CRLF line ends, through a terminal's `\n` to `\r\n`).
            b'\r' if bytes[i..].iter().find(|b| **b != b'\r') == Some(&b'\n') => {
                out.rows.push(row.take_line(false));
                col = 0;
                i += bytes[i..].iter().position(|b| *b == b'\n').unwrap_or(0) + 1;
                out.len = i;
                line_pen = pen.screen().pen();
                line_rows = out.rows.len();
                continue;
            }
            b'\t' => {
                // The cells passed over are blank (the row was).
                if col >= cols {
                    break;
                }
                let to = (col - col % 8 + 8).min(cols - 1);
                for _ in col..to {
                    row.push("", Attrs::default());
                }
                col = to;
                i += 1;
                continue;
            }
            0x1b => {
                let Some(end) = colour_end(&bytes[i..]) else {
                    break;
                };
                pen.process(&bytes[i..i + end]);
                attrs = Attrs::of(&pen.screen().pen());
                i += end;
                continue;
            }
            0x80..=0xff => {
                // A C1 control (U+0080 to U+009F) is acted on, not drawn.
                let Some(c) = text[i..].chars().next().filter(|c| *c > '\u{9f}') else {
                    break;
                };
                let len = c.len_utf8();
                (&text[i..i + len], len)
            }
            _ => break,
        };
        let width = match ch.chars().next().and_then(|c| c.width()) {
            Some(w @ 1..=2) => w as u16,
            _ => break,
        };
        if col + width > cols {
            // vt100 marks the row wrapped when its last cell was written;
            // a wide character that does not fit in the last one leaves
            // it empty and the row unwrapped.
            out.rows.push(row.take_line(col == cols));
            col = 0;
        }
        row.push(ch, attrs);
        col += width;
        i += len;
    }
    out.rows.truncate(line_rows);
    pen.screen_mut().set_pen(&line_pen);
    out
}

/// The length of the colour change `ESC [ params m` at the start of `s`.
pub(crate) fn colour_end(s: &[u8]) -> Option<usize> {
    if s.get(1) != Some(&b'[') {
        return None;
    }
    let params = s[2..]
        .iter()
        .take_while(|b| matches!(b, b'0'..=b'9' | b';' | b':'))
        .count();
    (s.get(2 + params) == Some(&b'm')).then_some(3 + params)
}

#[cfg(test)]
mod tests {
    use crate::{Limits, Size, Terminal};
    use proptest::prelude::*;

    fn history(t: &Terminal) -> Vec<crate::Line> {
        (0..t.history().len())
            .filter_map(|i| t.history().get(i).cloned())
            .collect()
    }

    /// The same terminal, fed every byte through the parser or not.
    fn assert_same(fast: &Terminal, parsed: &Terminal) {
        let (f, p) = (fast.screen(), parsed.screen());
        assert_eq!(f.contents_formatted(), p.contents_formatted());
        assert_eq!(f.cursor_position(), p.cursor_position());
        assert_eq!(history(fast), history(parsed));
        assert_eq!(fast.first_line(), parsed.first_line());
    }

    #[test]
    fn a_flood_of_lines_goes_to_the_history_as_parsed() {
        let mut text = Vec::new();
        for i in 0..200 {
            text.extend_from_slice(
                format!(
                    "\x1b[3{}mline {i}\x1b[m and some more words\tafter a tab 名前\r\n",
                    i % 8
                )
                .as_bytes(),
            );
        }
        let size = Size::new(5, 17);
        let mut fast = Terminal::new(size, Limits::default());
        let mut parsed = Terminal::new(size, Limits::default());
        fast.feed(b"$ cat\r\n");
        parsed.parse(b"$ cat\r\n");
        fast.feed(&text);
        parsed.parse(&text);
        assert!(fast.history().len() > 200);
        assert_same(&fast, &parsed);
        assert_eq!(fast.take_scrolled(), parsed.take_scrolled());
    }

    /// A line's pieces: text, wide and combining characters, colours,
    /// tabs.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                8 => "[a-z ]{0,50}".prop_map(String::into_bytes),
                1 => Just("漢字".as_bytes().to_vec()),
                1 => Just("é".as_bytes().to_vec()),
                1 => Just("e\u{301}".as_bytes().to_vec()),
                1 => Just(b"\x1b[1;32m".to_vec()),
                1 => Just(b"\x1b[48;5;17m".to_vec()),
                1 => Just(b"\x1b[38;2;1;2;3m".to_vec()),
                1 => Just(b"\x1b[0m".to_vec()),
                1 => Just(b"\x1b[7m \x1b[27m".to_vec()),
                1 => Just(b"\t".to_vec()),
            ],
            0..6,
        )
        .prop_flat_map(|v| {
            prop_oneof![Just(b"\r\n".to_vec()), Just(b"\r\r\n".to_vec())]
                .prop_map(move |end| [v.concat(), end].concat())
        })
    }

    /// Runs of lines, and between them what is not plain.
    fn chunk() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                12 => prop::collection::vec(line(), 0..30).prop_map(|v| v.concat()),
                1 => Just(b"\x08".to_vec()),
                1 => Just(b"\r".to_vec()),
                1 => Just(b"\n".to_vec()),
                1 => Just(b"\x1b[2J\x1b[H".to_vec()),
                1 => Just(b"\x1b[3J".to_vec()),
                1 => Just(b"\x1b[5;3H".to_vec()),
                1 => Just(b"\x1b[K".to_vec()),
                1 => Just(b"\x1b[?1049h".to_vec()),
                1 => Just(b"\x1b[?1049l".to_vec()),
                1 => Just(b"\x1b[2;5r".to_vec()),
                1 => Just(b"\x1b[r".to_vec()),
                1 => Just(b"\x1b7".to_vec()),
                1 => Just(b"\x1b8".to_vec()),
                1 => Just(b"\x1b]0;t\x07".to_vec()),
                1 => Just(b"\x1b[3".to_vec()),
                1 => Just(b"1m".to_vec()),
                1 => Just(vec![0xe6]),
            ],
            0..12,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        /// Fed in any pieces, with the fast path or every byte parsed, a
        /// terminal keeping history has the same screen and history.
        #[test]
        fn keeping_plain_lines_never_changes_screen_or_history(
            chunks in prop::collection::vec(chunk(), 1..8),
            rows in 1u16..12,
            cols in 1u16..40,
            lines in 1usize..400,
        ) {
            let size = Size::new(rows, cols);
            let limits = Limits { lines, bytes: 1 << 20 };
            let mut fast = Terminal::new(size, limits);
            let mut parsed = Terminal::new(size, limits);
            for c in &chunks {
                prop_assert_eq!(fast.feed(c), parsed.parse(c));
                assert_same(&fast, &parsed);
                prop_assert_eq!(fast.take_scrolled(), parsed.take_scrolled());
                prop_assert_eq!(fast.screen().alternate_screen(), parsed.screen().alternate_screen());
            }
            // What comes next lands alike (the pen, the cursor, the wrap).
            let next = b"\x1b[1mnext\x1b[m text after\r\nmore";
            fast.feed(next);
            parsed.parse(next);
            assert_same(&fast, &parsed);
        }
    }
}
