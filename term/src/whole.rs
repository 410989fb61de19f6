//! Whole UTF-8 characters for terminal parsers.

/// Passes a byte stream on in whole UTF-8 characters: a character cut by
/// the end of one piece is held back and passed with the next. Terminal
/// parsers are fed through it because vte 0.15 (under vt100) drops the
/// character that follows one split across two `advance` calls
/// (alacritty/vte#159), and network reads split anywhere.
#[derive(Debug, Default)]
pub struct WholeChars {
    held: Vec<u8>,
}

impl WholeChars {
    /// Nothing held back.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Gives `sink` what of `data` (after anything held) ends on a
    /// character boundary; holds the rest.
    pub fn feed(&mut self, data: &[u8], mut sink: impl FnMut(&[u8])) {
        if self.held.is_empty() {
            let cut = data.len() - incomplete_tail(data);
            sink(&data[..cut]);
            self.held.extend_from_slice(&data[cut..]);
            return;
        }
        let mut joined = std::mem::take(&mut self.held);
        joined.extend_from_slice(data);
        let cut = joined.len() - incomplete_tail(&joined);
        sink(&joined[..cut]);
        self.held = joined.split_off(cut);
    }
}

/// How many bytes at the end of `data` start a UTF-8 character that is
/// not finished there (0 to 3).
fn incomplete_tail(data: &[u8]) -> usize {
    for back in 1..=data.len().min(3) {
        let b = data[data.len() - back];
        if b & 0xC0 == 0x80 {
            continue;
        }
        let len = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0,
        };
        return if len > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_chars_hold_a_cut_character_for_the_next_piece() {
        let text = "a\u{301} 名前 ❤\u{fe0f}\u{1F600}z".as_bytes();
        for at in 0..=text.len() {
            let mut w = super::WholeChars::default();
            let mut out = Vec::new();
            w.feed(&text[..at], |p| {
                assert!(std::str::from_utf8(p).is_ok(), "cut at {at}: {p:?}");
                out.extend_from_slice(p);
            });
            w.feed(&text[at..], |p| out.extend_from_slice(p));
            assert_eq!(out, text, "cut at {at}");
        }
        // Bytes that are not UTF-8 are passed on, not held forever.
        let mut w = super::WholeChars::default();
        let mut out = Vec::new();
        w.feed(b"\xff\xfe\x80\x80\x80", |p| out.extend_from_slice(p));
        assert_eq!(out, b"\xff\xfe\x80\x80\x80");
    }
}
