//! Recording as it happens: one line, one `write`, per event.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::header::Header;
use crate::reader::Code;

/// Turns a byte stream into text a piece at a time: a character cut by a
/// piece's end waits for the next piece; invalid bytes become U+FFFD.
#[derive(Debug, Default)]
pub(crate) struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    pub(crate) fn decode<'a>(&mut self, data: &'a [u8]) -> std::borrow::Cow<'a, str> {
        // The usual case, whole UTF-8 and nothing carried: no copy.
        if self.pending.is_empty()
            && let Ok(s) = std::str::from_utf8(data)
        {
            return s.into();
        }
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(data);
        let mut out = String::with_capacity(bytes.len());
        let mut rest = &bytes[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    break;
                }
                Err(e) => {
                    let (good, after) = rest.split_at(e.valid_up_to());
                    // Checked by from_utf8 just now.
                    out.push_str(std::str::from_utf8(good).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[n..];
                        }
                        // Cut at the end: the rest of it comes next time.
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        out.into()
    }

    /// What is left at the end: an unfinished character.
    pub(crate) fn finish(&mut self) -> String {
        if self.pending.is_empty() {
            String::new()
        } else {
            self.pending.clear();
            char::REPLACEMENT_CHARACTER.to_string()
        }
    }
}

/// Records a session into `W` (a file) as it happens.
pub struct Writer<W: Write> {
    out: W,
    start: Instant,
    output: Utf8Carry,
    input: Utf8Carry,
    /// Time of the last event: events never go back in time.
    last: f64,
    /// Bytes written so far, header included.
    written: u64,
}

impl<W: Write> Writer<W> {
    /// Writes the header; the clock starts now.
    pub fn new(mut out: W, header: &Header) -> std::io::Result<Self> {
        let mut line = header.to_json().to_string();
        line.push('\n');
        out.write_all(line.as_bytes())?;
        out.flush()?;
        Ok(Writer {
            out,
            start: Instant::now(),
            output: Utf8Carry::default(),
            input: Utf8Carry::default(),
            last: 0.0,
            written: line.len() as u64,
        })
    }

    fn event(&mut self, code: Code, data: &str) -> std::io::Result<()> {
        let code = code.as_str();
        let t = self.start.elapsed().as_secs_f64().max(self.last);
        self.last = t;
        let mut line = format!("[{t:.6}, \"{code}\", ").into_bytes();
        line.reserve(data.len() + data.len() / 8 + 4);
        serde_json::to_writer(&mut line, data)?;
        line.extend_from_slice(b"]\n");
        self.out.write_all(&line)?;
        self.written += line.len() as u64;
        self.out.flush()
    }

    /// The file's size so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Bytes the terminal showed.
    pub fn output(&mut self, data: &[u8]) -> std::io::Result<()> {
        let text = self.output.decode(data);
        if text.is_empty() {
            return Ok(());
        }
        self.event(Code::Output, &text)
    }

    /// Bytes typed.
    pub fn input(&mut self, data: &[u8]) -> std::io::Result<()> {
        let text = self.input.decode(data);
        if text.is_empty() {
            return Ok(());
        }
        self.event(Code::Input, &text)
    }

    pub fn resize(&mut self, size: dockyard_term::Size) -> std::io::Result<()> {
        self.event(Code::Resize, &size.to_string())
    }

    /// A marker (players can pause on it), e.g. how the session ended.
    pub fn marker(&mut self, label: &str) -> std::io::Result<()> {
        self.event(Code::Marker, label)
    }

    /// The end: a character left unfinished is written as U+FFFD.
    pub fn finish(&mut self) -> std::io::Result<()> {
        let (o, i) = (self.output.finish(), self.input.finish());
        if !o.is_empty() {
            self.event(Code::Output, &o)?;
        }
        if !i.is_empty() {
            self.event(Code::Input, &i)?;
        }
        self.out.flush()
    }

    /// Seconds since the start, as the events have them.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}
