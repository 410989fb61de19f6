//! What a terminal without history may skip of a flood: plain text
//! followed by more than a screenful of lines cannot show, whatever it
//! was, once those lines have scrolled it off. The agent's session screens
//! keep no history (the ring is theirs), and parsing every byte of a flood
//! into one cost more than forwarding it.
//!
//! A chunk is cut right after a line end (`\r\n`) with at least a
//! screenful of lines after it. What comes before is skipped when it is
//! plain: printable characters, `\r`, `\n`, tab, backspace, bell and
//! colour changes (`ESC [ ... m`), and holds a screenful of lines too (so
//! the cursor ends it on the last row, on a freshly scrolled blank line).
//! Skipping it, the terminal is brought to the same point: its colour
//! changes are applied (the pen is theirs), and the cursor goes to the
//! start of a new blank last row. The lines after the cut then scroll
//! every row that differs off the screen.
//!
//! A program that redraws the whole screen over and over (a monitor, a
//! progress display) is cut at a cursor-home that starts a full redraw:
//! from the top-left corner, every row written from its first column and
//! erased to its end (`ESC [ K`), down to an erase of the rest of the
//! screen (`ESC [ J`). Such a redraw leaves every cell, and the cursor,
//! as it says, whatever was there; what comes before it is skipped when it
//! only draws (text, cursor moves, erases, colours): its colour changes
//! are applied, and nothing else of it can show.

/// Where `data` may be cut, and what to feed instead of what comes before
/// the cut; None when nothing may be skipped. `rows` x `cols` is the
/// screen's size.
pub(crate) fn cut(data: &[u8], rows: u16, cols: u16) -> Option<(usize, Vec<u8>)> {
    scroll_cut(data, rows).or_else(|| redraw_cut(data, rows, cols))
}

/// A cut in scrolling text: the colour changes before it, then the cursor
/// to the start of a fresh last row.
fn scroll_cut(data: &[u8], rows: u16) -> Option<(usize, Vec<u8>)> {
    let (i, before, end) = feed_before(data, usize::from(rows))?;
    if before + 1 < usize::from(rows) {
        return None;
    }
    if i == 0 || data[i - 1] != b'\r' {
        return None;
    }
    let cut = i + 1;
    // The lines after the cut must print something, so that the last
    // character (which `ESC [ b` repeats) is theirs.
    if !prints(&data[cut..end]) {
        return None;
    }
    let mut instead = colours(&data[..cut]);
    instead.extend_from_slice(format!("\x1b[{rows};1H\r\n").as_bytes());
    Some((cut, instead))
}

/// A cut at the last cursor-home in the drawing-only start of `data` that
/// begins a full redraw: the colour changes before it are all that is fed
/// instead (the redraw puts the cursor where it wants it).
fn redraw_cut(data: &[u8], rows: u16, cols: u16) -> Option<(usize, Vec<u8>)> {
    let (drawn, _) = prefix(data, drawing_end);
    let mut end = drawn;
    while let Some(at) = memchr::memrchr(0x1b, &data[..end]) {
        if let Some(len) = home_len(&data[at..])
            && redraws(&data[at + len..], rows, cols)
        {
            return Some((at, colours(&data[..at])));
        }
        end = at;
    }
    None
}

/// The length of a cursor-home (`ESC [ H`, `ESC [ 1 ; 1 H`, the same with
/// `f`) at the start of `s`.
fn home_len(s: &[u8]) -> Option<usize> {
    let len = drawing_end(s)?;
    let (params, last) = (&s[2..len - 1], s[len - 1]);
    let one = |p: &[u8]| p.is_empty() || p == b"1";
    let home = matches!(last, b'H' | b'f') && {
        let mut parts = params.split(|&b| b == b';');
        let row = parts.next().unwrap_or_default();
        let col = parts.next().unwrap_or_default();
        one(row) && one(col) && parts.next().is_none()
    };
    home.then_some(len)
}

/// Whether `s`, fed with the cursor at the top-left corner, writes or
/// erases every cell of a `rows` x `cols` screen and leaves the cursor
/// where it says, whatever the screen held: rows of printable ASCII
/// (narrower than the screen) and colours, each erased to its end and
/// ended by `\r\n` (a terminal's line discipline makes that `\r\r\n`),
/// then an erase of the rest of the screen. It must print something too,
/// so the last character (which `ESC [ b` repeats) is its own.
fn redraws(s: &[u8], rows: u16, cols: u16) -> bool {
    let (mut row, mut col) = (0u16, 0u16);
    // The current row is erased to its end.
    let mut erased = false;
    let mut printed = false;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            0x20..=0x7e => {
                col += 1;
                printed = true;
                if col >= cols {
                    return false;
                }
            }
            // Writing again from the row's start overwrites what it wrote.
            b'\r' => col = 0,
            b'\n' if erased && col == 0 => {
                row += 1;
                if row >= rows {
                    return false;
                }
                erased = false;
            }
            0x1b => {
                let Some(len) = drawing_end(&s[i..]) else {
                    return false;
                };
                match &s[i + 2..i + len] {
                    b"K" | b"0K" => erased = true,
                    b"J" | b"0J" | b"2J" => return printed,
                    _ if s[i + len - 1] == b'm' => {}
                    _ => return false,
                }
                i += len - 1;
            }
            _ => return false,
        }
        i += 1;
    }
    false
}

/// The end of the lines in `data` that a screenful of plain lines
/// follows (the lines after it scroll every row they were on off the
/// screen), when it starts plain; None when there are none.
pub(crate) fn scrolled_off(data: &[u8], rows: u16) -> Option<usize> {
    feed_before(data, usize::from(rows)).map(|(i, _, _)| i + 1)
}

/// Whether a parser fed `data` after `ground` (it was between sequences)
/// is between sequences at its end: known only when the last escape in
/// `data` ends in it, or when there is none and it was before.
pub(crate) fn ends_in_ground(ground: bool, data: &[u8]) -> bool {
    let Some(esc) = data.iter().rposition(|&b| b == 0x1b) else {
        return ground;
    };
    let rest = &data[esc + 1..];
    match rest.first() {
        None => false,
        // CSI: parameters and intermediates, then a final byte.
        Some(b'[') => rest[1..].iter().any(|b| (0x40..=0x7e).contains(b)),
        // OSC, DCS and the other strings: ended by BEL (an ESC \ would
        // be the last escape itself).
        Some(b']' | b'P' | b'X' | b'^' | b'_') => rest.contains(&0x07),
        // A character set: one more byte.
        Some(b'(' | b')' | b'*' | b'+' | b'#' | b'%' | b' ') => rest.len() >= 2,
        Some(_) => true,
    }
}

/// The line feed in the plain start of `data` that `after` more follow
/// there, how many come before it, and where the plain start ends.
fn feed_before(data: &[u8], after: usize) -> Option<(usize, usize, usize)> {
    let (end, feeds) = prefix(data, crate::plain::colour_end);
    let before = feeds.checked_sub(after + 1)?;
    let mut at = memchr::memrchr(b'\n', &data[..end])?;
    // Back over `after` more feeds from the last.
    for _ in 0..after {
        at = memchr::memrchr(b'\n', &data[..at])?;
    }
    Some((at, before, end))
}

/// Whether plain `text` prints an ASCII character (outside its colour
/// changes).
fn prints(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            0x1b => i += crate::plain::colour_end(&text[i..]).unwrap_or(1),
            0x20..=0x7e => return true,
            _ => i += 1,
        }
    }
    false
}

/// How far `data` is text (printable characters, `\r`, `\n`, tab,
/// backspace, bell) and escape sequences that `esc` measures, and how many
/// line feeds that part holds.
fn prefix(data: &[u8], esc: fn(&[u8]) -> Option<usize>) -> (usize, usize) {
    let mut feeds = 0;
    let mut i = 0;
    while i < data.len() {
        // Eight printable ASCII characters at a time: most of a flood.
        if let Some(word) = data.get(i..i + 8) {
            let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
            if printable_ascii(x) {
                i += 8;
                continue;
            }
        }
        match data[i] {
            b'\n' => feeds += 1,
            b'\r' | b'\t' | 0x08 | 0x07 | 0x20..=0x7e => {}
            0x1b => match esc(&data[i..]) {
                Some(len) => i += len - 1,
                None => break,
            },
            // C1 controls written in UTF-8 (U+0080 to U+009F): a CSI among
            // them would not be text.
            0xc2 if data.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => break,
            0x80..=0xff => {}
            _ => break,
        }
        i += 1;
    }
    (i, feeds)
}

/// Whether every byte of `x` is printable ASCII (0x20 to 0x7e): none is
/// below 0x20, none above 0x7e (bit tricks on the eight at once).
fn printable_ascii(x: u64) -> bool {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    let above = (x.wrapping_add(ONES) | x) & HIGH;
    below | above == 0
}

/// The length of a sequence at the start of `s` that only draws: colours,
/// cursor moves and erases (`ESC [` digits and `;`, then one of
/// `m A B C D E F G H J K X d f` and backquote).
fn drawing_end(s: &[u8]) -> Option<usize> {
    if s.get(1) != Some(&b'[') {
        return None;
    }
    let params = s[2..]
        .iter()
        .take_while(|b| matches!(b, b'0'..=b'9' | b';'))
        .count();
    let last = *s.get(2 + params)?;
    b"mABCDEFGHJKXdf`".contains(&last).then_some(3 + params)
}

/// The colour changes in plain `text` that still count at its end: those
/// from the last one that starts with a reset (`ESC [ m`, `ESC [ 0 ; ... m`).
/// A coloured listing resets after every name, so this is a few bytes
/// instead of a quarter of the text through the parser.
fn colours(text: &[u8]) -> Vec<u8> {
    // Every escape in `text` starts a sequence (it is plain, or only
    // draws): from the end back to the last reset, then forward.
    let mut start = 0;
    let mut end = text.len();
    while let Some(at) = memchr::memrchr(0x1b, &text[..end]) {
        let seq = crate::plain::colour_end(&text[at..]).map(|len| &text[at..at + len]);
        if seq.is_some_and(resets) {
            start = at;
            break;
        }
        end = at;
    }
    let mut out = Vec::new();
    let mut i = start;
    while let Some(at) = memchr::memchr(0x1b, &text[i..]) {
        let at = i + at;
        // Other sequences (a redraw's cursor moves) are no colour change.
        let Some(len) = crate::plain::colour_end(&text[at..]) else {
            i = at + 1;
            continue;
        };
        out.extend_from_slice(&text[at..at + len]);
        i = at + len;
    }
    out
}

/// Whether a colour change (`ESC [ params m`) starts by resetting every
/// attribute: its first parameter is empty or zero.
fn resets(seq: &[u8]) -> bool {
    let Some(params) = seq.get(2..seq.len().saturating_sub(1)) else {
        return false;
    };
    params
        .split(|&b| b == b';')
        .next()
        .is_some_and(|first| first.iter().all(|&b| b == b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, Size, Terminal};
    use proptest::prelude::*;

    #[test]
    fn cuts_after_a_screenful_of_plain_lines() {
        let text = b"a\r\n\x1b[31mb\r\nc\r\nd\r\ne\r\n";
        // Two rows: the cut leaves two line ends after it.
        assert_eq!(
            cut(text, 2, 80),
            Some((14, b"\x1b[31m\x1b[2;1H\r\n".to_vec()))
        );
        // Not enough lines on either side.
        assert_eq!(cut(text, 3, 80), None);
        // A cursor move before the cut: nothing is skipped.
        assert_eq!(cut(b"a\r\n\x1b[Hb\r\nc\r\nd\r\ne\r\n", 2, 80), None);
        // A bare line feed at the cut.
        assert_eq!(cut(b"a\r\nb\r\nc\nd\r\ne\r\n", 2, 80), None);
        // Nothing printed after the cut: the last character is not known.
        assert_eq!(cut(b"a\r\nb\r\nc\r\n\r\n\r\n", 2, 80), None);
    }

    #[test]
    fn cuts_before_the_last_full_redraw() {
        let frame = |n: u8| {
            let mut f = b"\x1b[H".to_vec();
            for r in 0..2 {
                f.extend_from_slice(format!("{n} row {r}\x1b[K\r\r\n").as_bytes());
            }
            f.extend_from_slice(b"\x1b[1;32m3rd\x1b[J");
            f
        };
        let text = [
            b"\x1b[31mold\r\n".to_vec(),
            frame(1),
            frame(2),
            b"\x1b[2;5H".to_vec(),
        ]
        .concat();
        let second = text.len() - frame(2).len() - 6;
        // The second frame's home: what is before it only leaves its
        // colours.
        assert_eq!(
            cut(&text, 3, 80),
            Some((second, b"\x1b[31m\x1b[1;32m".to_vec()))
        );
        // A screen shorter than the frame: it would scroll.
        assert_eq!(cut(&text, 2, 80), None);
        // Rows as wide as the screen would leave a wrap behind.
        assert_eq!(cut(&text, 3, 7), None);
        // A mode change before the frame is not skipped.
        let moded = [b"\x1b[?25l".to_vec(), frame(1)].concat();
        assert_eq!(cut(&moded, 3, 80), None);
        // A row not erased to its end.
        assert_eq!(cut(b"x\x1b[Ha\r\nb\x1b[K\r\nc\x1b[J", 3, 80), None);
    }

    #[test]
    fn only_the_colours_since_the_last_reset_are_applied() {
        let text = b"\x1b[1;34mdir\x1b[0m \x1b[31ma\x1b[m b \x1b[0;4mc\x1b[35md\r\n";
        assert_eq!(colours(text), b"\x1b[0;4m\x1b[35m".to_vec());
        assert_eq!(colours(b"\x1b[01;32mx\r\n"), b"\x1b[01;32m".to_vec());
        assert_eq!(colours(b"\x1b[00mx\x1b[7m"), b"\x1b[00m\x1b[7m".to_vec());
    }

    #[test]
    fn tells_printable_ascii_words() {
        let word = |b: &[u8; 8]| printable_ascii(u64::from_le_bytes(*b));
        assert!(word(b"abc ~ XY"));
        assert!(word(b"        "));
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = *b"~bcdef }";
                w[at] = b;
                assert_eq!(word(&w), (0x20..=0x7e).contains(&b), "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn knows_when_a_sequence_is_open_at_the_end() {
        assert!(ends_in_ground(true, b"plain"));
        assert!(!ends_in_ground(false, b"plain"));
        assert!(ends_in_ground(false, b"x\x1b[31mtext"));
        assert!(!ends_in_ground(true, b"x\x1b[3"));
        assert!(!ends_in_ground(true, b"x\x1b]0;title"));
        assert!(ends_in_ground(true, b"x\x1b]0;title\x07more"));
        assert!(ends_in_ground(true, b"x\x1b\\"));
        assert!(!ends_in_ground(true, b"x\x1b("));
        assert!(!ends_in_ground(true, b"x\x1b"));
    }

    /// The lines after the cut must scroll every row that differs off the
    /// screen: a cursor moved home among them would leave the skipped
    /// text's rows partly overwritten.
    #[test]
    fn a_cursor_moved_home_after_the_cut_sees_the_skipped_rows() {
        let mut data = Vec::new();
        for i in 0..6 {
            data.extend_from_slice(format!("old line {i}\r\n").as_bytes());
        }
        data.extend_from_slice(b"\x1b[H");
        for _ in 0..4 {
            data.extend_from_slice(b"x\r\n");
        }
        let size = Size::new(4, 20);
        let mut skipping = Terminal::new(size, Limits::NONE);
        let mut reading = Terminal::new(size, Limits::NONE);
        skipping.feed(b"before 1\r\nbefore 2\r\nbefore 3\r\n");
        reading.feed(b"before 1\r\nbefore 2\r\nbefore 3\r\n");
        skipping.feed_visible(&data);
        reading.feed(&data);
        assert_eq!(skipping.screen().contents(), reading.screen().contents());
    }

    /// A full redraw of a screen up to 12 x 40, or something short of it.
    fn frame() -> impl Strategy<Value = Vec<u8>> {
        (prop::collection::vec("[a-z ]{0,12}", 0..12), any::<bool>()).prop_map(|(rows, home)| {
            let mut f = if home { b"\x1b[H".to_vec() } else { Vec::new() };
            for (i, r) in rows.iter().enumerate() {
                f.extend_from_slice(r.as_bytes());
                f.extend_from_slice(b"\x1b[K");
                if i % 3 == 1 {
                    // Written again from its start, as a tty ends lines.
                    f.extend_from_slice(b"\rxy\r");
                }
                f.extend_from_slice(b"\r\n");
            }
            f.extend_from_slice(b"\x1b[1;33mend\x1b[J");
            f
        })
    }

    fn chunk() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                6 => "[a-z ]{0,30}".prop_map(String::into_bytes),
                3 => Just(b"\r\n".to_vec()),
                1 => Just("漢字".as_bytes().to_vec()),
                1 => Just(b"\x1b[1;32m".to_vec()),
                1 => Just(b"\x1b[0m".to_vec()),
                1 => Just(b"\x1b[m".to_vec()),
                1 => Just(b"\x1b[0;4;35m".to_vec()),
                1 => Just(b"\x1b[44m".to_vec()),
                1 => Just(b"\t".to_vec()),
                1 => Just(b"\x1b[2J\x1b[H".to_vec()),
                1 => Just(b"\x1b[5;3H".to_vec()),
                1 => Just(b"\x1b[?1049h".to_vec()),
                1 => Just(b"\x1b[?1049l".to_vec()),
                1 => Just(b"\x1b[2;5r".to_vec()),
                1 => Just(b"\x1b[r".to_vec()),
                1 => Just(b"\x1b]0;t\x07".to_vec()),
                1 => Just(b"\x1b[3".to_vec()),
                1 => Just(b"1m".to_vec()),
                1 => Just(b"\x1b]0;open".to_vec()),
                2 => Just(b"\r\n\r\n\r\n\r\n".to_vec()),
                2 => Just(b"\x1b[H".to_vec()),
                2 => Just(b"\x1b[K".to_vec()),
                1 => Just(b"\x1b[J".to_vec()),
                1 => Just(b"\x1b[2J".to_vec()),
                1 => Just(b"\x1b[2b".to_vec()),
                1 => Just(b"\x1b[3;1f".to_vec()),
                1 => Just(b"\x1b[C".to_vec()),
                1 => Just("\u{e9}\u{301}".as_bytes().to_vec()),
                2 => frame(),
            ],
            0..200,
        )
        .prop_map(|v| v.concat())
    }

    /// Output that only draws (what a redraw may skip), with the odd
    /// repeat of the last character, and redraws or near ones.
    fn drawing() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                4 => "[a-z ]{0,20}".prop_map(String::into_bytes),
                3 => Just(b"\r\n".to_vec()),
                1 => Just("漢字".as_bytes().to_vec()),
                1 => Just(b"\x1b[1;32m".to_vec()),
                1 => Just(b"\x1b[0m".to_vec()),
                1 => Just(b"\x1b[44m".to_vec()),
                2 => Just(b"\x1b[H".to_vec()),
                1 => Just(b"\x1b[4;7H".to_vec()),
                2 => Just(b"\x1b[K".to_vec()),
                1 => Just(b"\x1b[J".to_vec()),
                1 => Just(b"\x1b[2J".to_vec()),
                1 => Just(b"\x1b[3b".to_vec()),
                1 => Just(b"\n".to_vec()),
                1 => Just(b"ab\x1b[K\n".to_vec()),
                4 => frame(),
            ],
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        /// A screen holding anything, then drawing and redraws in any
        /// pieces: the same with skipping or without.
        #[test]
        fn skipping_a_redraw_never_changes_the_screen(
            before in chunk(),
            chunks in prop::collection::vec(drawing(), 1..6),
            rows in 1u16..12,
            cols in 1u16..40,
        ) {
            let size = Size::new(rows, cols);
            let mut skipping = Terminal::new(size, Limits::NONE);
            let mut reading = Terminal::new(size, Limits::NONE);
            skipping.feed(&before);
            reading.feed(&before);
            for c in &chunks {
                skipping.feed_visible(c);
                reading.feed(c);
                let (s, r) = (skipping.screen(), reading.screen());
                prop_assert_eq!(s.contents_formatted(), r.contents_formatted());
                prop_assert_eq!(s.cursor_position(), r.cursor_position());
            }
        }

        /// Fed with skipping or without, in any pieces, a terminal without
        /// history shows the same screen.
        #[test]
        fn skipping_never_changes_the_screen(
            chunks in prop::collection::vec(chunk(), 1..8),
            rows in 1u16..12,
            cols in 1u16..40,
        ) {
            let size = Size::new(rows, cols);
            let mut skipping = Terminal::new(size, Limits::NONE);
            let mut reading = Terminal::new(size, Limits::NONE);
            for c in &chunks {
                skipping.feed_visible(c);
                reading.feed(c);
                let (s, r) = (skipping.screen(), reading.screen());
                prop_assert_eq!(s.contents_formatted(), r.contents_formatted());
                prop_assert_eq!(s.cursor_position(), r.cursor_position());
                prop_assert_eq!(s.alternate_screen(), r.alternate_screen());
            }
        }
    }
}
