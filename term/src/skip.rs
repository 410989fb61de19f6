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

/// Where `data` may be cut, and the colour changes before the cut;
/// None when nothing may be skipped. `rows` is the screen's height.
pub(crate) fn cut(data: &[u8], rows: u16) -> Option<(usize, Vec<u8>)> {
    let rows = usize::from(rows);
    // The line end with a screenful of plain lines after it, and as many
    // before it.
    let (i, before) = feed_before(data, rows)?;
    if before + 1 < rows {
        return None;
    }
    if i == 0 || data[i - 1] != b'\r' {
        return None;
    }
    let cut = i + 1;
    Some((cut, colours(&data[..cut])))
}

/// The end of the lines in `data` that a screenful of plain lines
/// follows (the lines after it scroll every row they were on off the
/// screen), when it starts plain; None when there are none.
pub(crate) fn scrolled_off(data: &[u8], rows: u16) -> Option<usize> {
    feed_before(data, usize::from(rows)).map(|(i, _)| i + 1)
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
/// there, and how many come before it.
fn feed_before(data: &[u8], after: usize) -> Option<(usize, usize)> {
    let (end, feeds) = plain_prefix(data);
    let before = feeds.checked_sub(after + 1)?;
    let mut at = data[..end].iter().rposition(|&b| b == b'\n')?;
    // Back over `after` more feeds from the last.
    for _ in 0..after {
        at = data[..at].iter().rposition(|&b| b == b'\n')?;
    }
    Some((at, before))
}

/// How far `data` is plain, and how many line feeds that part holds.
fn plain_prefix(data: &[u8]) -> (usize, usize) {
    let mut feeds = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' => feeds += 1,
            b'\r' | b'\t' | 0x08 | 0x07 | 0x20..=0x7e => {}
            0x1b => match crate::plain::colour_end(&data[i..]) {
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

/// The colour changes in plain `text` that still count at its end: those
/// from the last one that starts with a reset (`ESC [ m`, `ESC [ 0 ; ... m`).
/// A coloured listing resets after every name, so this is a few bytes
/// instead of a quarter of the text through the parser.
fn colours(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].iter().position(|&b| b == 0x1b) {
        let start = i + at;
        let len = crate::plain::colour_end(&text[start..]).unwrap_or(1);
        let seq = &text[start..start + len];
        if resets(seq) {
            out.clear();
        }
        out.extend_from_slice(seq);
        i = start + len;
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
        assert_eq!(cut(text, 2), Some((14, b"\x1b[31m".to_vec())));
        // Not enough lines on either side.
        assert_eq!(cut(text, 3), None);
        // A cursor move before the cut: nothing is skipped.
        assert_eq!(cut(b"a\r\n\x1b[Hb\r\nc\r\nd\r\ne\r\n", 2), None);
        // A bare line feed at the cut.
        assert_eq!(cut(b"a\r\nb\r\nc\nd\r\ne\r\n", 2), None);
    }

    #[test]
    fn only_the_colours_since_the_last_reset_are_applied() {
        let text = b"\x1b[1;34mdir\x1b[0m \x1b[31ma\x1b[m b \x1b[0;4mc\x1b[35md\r\n";
        assert_eq!(colours(text), b"\x1b[0;4m\x1b[35m".to_vec());
        assert_eq!(colours(b"\x1b[01;32mx\r\n"), b"\x1b[01;32m".to_vec());
        assert_eq!(colours(b"\x1b[00mx\x1b[7m"), b"\x1b[00m\x1b[7m".to_vec());
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
            ],
            0..200,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
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
