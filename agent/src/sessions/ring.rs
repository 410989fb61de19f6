//! A session's recent output, kept for clients that come back: whole
//! chunks as they came (shared with what was sent, not copied), at least
//! the last `cap` bytes, addressed by offset in the session's output.

use std::collections::VecDeque;

use bytes::Bytes;

pub(super) struct Ring {
    chunks: VecDeque<Bytes>,
    /// Offset of the first byte of `chunks[0]`.
    start: u64,
    len: usize,
    cap: usize,
}

impl Ring {
    pub(super) fn new(cap: usize) -> Self {
        Ring {
            chunks: VecDeque::new(),
            start: 0,
            len: 0,
            cap,
        }
    }

    /// The offset of the next byte of output.
    pub(super) fn end(&self) -> u64 {
        self.start + self.len as u64
    }

    pub(super) fn push(&mut self, data: Bytes) {
        self.len += data.len();
        self.chunks.push_back(data);
        while let Some(front) = self.chunks.front() {
            if self.len - front.len() < self.cap {
                break;
            }
            self.len -= front.len();
            self.start += front.len() as u64;
            self.chunks.pop_front();
        }
    }

    /// The output from offset `from` on, if every byte of it is still
    /// here.
    pub(super) fn since(&self, from: u64) -> Option<Vec<Bytes>> {
        if from < self.start || from > self.end() {
            return None;
        }
        let mut skip = (from - self.start) as usize;
        let mut out = Vec::new();
        for c in &self.chunks {
            if skip >= c.len() {
                skip -= c.len();
                continue;
            }
            out.push(c.slice(skip..));
            skip = 0;
        }
        Some(out)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(v: Vec<Bytes>) -> Vec<u8> {
        v.concat()
    }

    #[test]
    fn keeps_at_least_the_cap_and_serves_offsets() {
        let mut r = Ring::new(10);
        for piece in [&b"abcd"[..], b"efgh", b"ijkl", b"mnop"] {
            r.push(Bytes::copy_from_slice(piece));
        }
        assert_eq!(r.end(), 16);
        // 16 bytes pushed, cap 10: "abcd" went, "efgh" stays (12 >= 10).
        assert_eq!(r.len(), 12);
        assert!(r.since(3).is_none());
        assert_eq!(joined(r.since(4).expect("held")), b"efghijklmnop");
        assert_eq!(joined(r.since(9).expect("held")), b"jklmnop");
        assert_eq!(joined(r.since(16).expect("held")), b"");
        assert!(r.since(17).is_none());
    }
}
