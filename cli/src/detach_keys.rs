//! `--detach-keys`: docker's syntax and behaviour, by hand because the
//! format is docker's own (no crate implements it). A comma-separated
//! list of keys, each a single character or `ctrl-X` (X one of a-z, @, [,
//! \, ], ^, _); typed in order, they detach. Keys that start the sequence
//! are held back until it is complete (detach) or broken (they are sent,
//! late). Off unless asked for: a detach prefix would delay every Ctrl-P.

/// A parsed detach sequence and how much of it was just typed.
#[derive(Debug, Clone)]
pub struct DetachKeys {
    sequence: Vec<u8>,
    held: usize,
}

/// What a read of stdin comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// Bytes for the program (possibly none while a prefix is held).
    Send(Vec<u8>),
    /// The sequence was typed: bytes before it still go to the program,
    /// then the client detaches.
    Detach(Vec<u8>),
}

impl DetachKeys {
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut sequence = Vec::new();
        for key in spec.split(',') {
            sequence.push(key_byte(key)?);
        }
        Ok(DetachKeys { sequence, held: 0 })
    }

    pub fn scan(&mut self, input: &[u8]) -> Scan {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if b == self.sequence[self.held] {
                self.held += 1;
                if self.held == self.sequence.len() {
                    self.held = 0;
                    return Scan::Detach(out);
                }
                continue;
            }
            // Broken: what was held goes out as typed, and this byte may
            // itself start the sequence again.
            out.extend_from_slice(&self.sequence[..self.held]);
            self.held = 0;
            if b == self.sequence[0] {
                self.held = 1;
                if self.sequence.len() == 1 {
                    self.held = 0;
                    return Scan::Detach(out);
                }
            } else {
                out.push(b);
            }
        }
        Scan::Send(out)
    }
}

fn key_byte(key: &str) -> Result<u8, String> {
    let unknown = || format!("invalid detach keys: unknown key '{key}' (a character or ctrl-X)");
    if key.len() == 1 {
        return Ok(key.as_bytes()[0]);
    }
    let lower = key.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("ctrl-") else {
        return Err(unknown());
    };
    match rest.as_bytes() {
        [c @ b'a'..=b'z'] => Ok(c - b'a' + 1),
        [b'@'] => Ok(0),
        [b'['] => Ok(27),
        [b'\\'] => Ok(28),
        [b']'] => Ok(29),
        [b'^'] => Ok(30),
        [b'_'] => Ok(31),
        _ => Err(unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_syntax() {
        assert_eq!(
            DetachKeys::parse("ctrl-p,ctrl-q").expect("ok").sequence,
            [16, 17]
        );
        assert_eq!(
            DetachKeys::parse("ctrl-@,a,ctrl-\\").expect("ok").sequence,
            [0, b'a', 28]
        );
        assert_eq!(DetachKeys::parse("CTRL-X").expect("ok").sequence, [24]);
        for bad in ["", "ctrl-", "ctrl-1", "alt-a", "ab"] {
            assert!(DetachKeys::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn holds_a_prefix_and_detaches_on_the_whole_sequence() {
        let mut k = DetachKeys::parse("ctrl-p,ctrl-q").expect("ok");
        assert_eq!(k.scan(b"ls\x10"), Scan::Send(b"ls".to_vec()));
        assert_eq!(k.scan(b"x"), Scan::Send(b"\x10x".to_vec()));
        assert_eq!(k.scan(b"\x10\x10"), Scan::Send(b"\x10".to_vec()));
        assert_eq!(k.scan(b"\x11rest"), Scan::Detach(Vec::new()));
        assert_eq!(k.scan(b"a\x10\x11"), Scan::Detach(b"a".to_vec()));
        let mut one = DetachKeys::parse("ctrl-x").expect("ok");
        assert_eq!(one.scan(b"ab\x18"), Scan::Detach(b"ab".to_vec()));
    }
}
