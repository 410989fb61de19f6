//! asciicast v2, the format asciinema, asciinema-player and agg play: a
//! JSON header line, then one JSON array per event, `[seconds, code,
//! data]`, where code is `"o"` (output), `"i"` (input), `"r"` (a resize,
//! `"COLSxROWS"`) or `"m"` (a marker).
//!
//! [`Writer`] records as things happen: every event is one line written
//! with one `write` call, so a recording cut short (a crash, a kill) is a
//! valid prefix. Terminal bytes become JSON strings: a multi-byte
//! character split across two reads is carried to the next event so it is
//! written whole; bytes that are not UTF-8 at all become U+FFFD, as
//! asciinema's own recorder does. [`Reader`] reads a file back for replay.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Creates `path` (and missing directories) readable by its owner only:
/// a recording holds what a root shell showed, and with input, what was
/// typed. Directories made here are 0700, files 0600.
pub fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// What the header says about a recording.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub width: u16,
    pub height: u16,
    /// Unix seconds at the start.
    pub timestamp: i64,
    pub command: Option<String>,
    pub title: Option<String>,
    /// `TERM`, `SHELL` and the like of the recorded terminal.
    pub env: Vec<(String, String)>,
    /// Pauses longer than this are shortened on replay (seconds).
    pub idle_time_limit: Option<f64>,
    /// Anything else in the header, kept as it came (a recorder's own
    /// fields, e.g. who recorded it).
    pub extra: serde_json::Map<String, Value>,
}

impl Header {
    pub fn to_json(&self) -> Value {
        let mut h = serde_json::Map::new();
        h.insert("version".into(), json!(2));
        h.insert("width".into(), json!(self.width));
        h.insert("height".into(), json!(self.height));
        h.insert("timestamp".into(), json!(self.timestamp));
        if let Some(c) = &self.command {
            h.insert("command".into(), json!(c));
        }
        if let Some(t) = &self.title {
            h.insert("title".into(), json!(t));
        }
        if let Some(l) = self.idle_time_limit {
            h.insert("idle_time_limit".into(), json!(l));
        }
        let env: serde_json::Map<String, Value> = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        h.insert("env".into(), Value::Object(env));
        for (k, v) in &self.extra {
            h.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(h)
    }

    fn from_json(v: &Value) -> Result<Self, CastError> {
        if v["version"].as_u64() != Some(2) {
            return Err(CastError::Format(
                "not an asciicast v2 file (no \"version\": 2)".into(),
            ));
        }
        let dim = |k: &str| {
            v[k].as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| CastError::Format(format!("the header has no valid \"{k}\"")))
        };
        let known = [
            "version",
            "width",
            "height",
            "timestamp",
            "command",
            "title",
            "env",
            "idle_time_limit",
        ];
        Ok(Header {
            width: dim("width")?,
            height: dim("height")?,
            timestamp: v["timestamp"].as_i64().unwrap_or(0),
            command: v["command"].as_str().map(str::to_string),
            title: v["title"].as_str().map(str::to_string),
            env: v["env"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            idle_time_limit: v["idle_time_limit"].as_f64(),
            extra: v
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| !known.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CastError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
}

/// Turns a byte stream into text a piece at a time: a character cut by a
/// piece's end waits for the next piece; invalid bytes become U+FFFD.
#[derive(Debug, Default)]
struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    fn decode<'a>(&mut self, data: &'a [u8]) -> std::borrow::Cow<'a, str> {
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
    fn finish(&mut self) -> String {
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

    fn event(&mut self, code: &str, data: &str) -> std::io::Result<()> {
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
        self.event("o", &text)
    }

    /// Bytes typed.
    pub fn input(&mut self, data: &[u8]) -> std::io::Result<()> {
        let text = self.input.decode(data);
        if text.is_empty() {
            return Ok(());
        }
        self.event("i", &text)
    }

    pub fn resize(&mut self, size: dockyard_term::Size) -> std::io::Result<()> {
        self.event("r", &size.to_string())
    }

    /// A marker (players can pause on it), e.g. how the session ended.
    pub fn marker(&mut self, label: &str) -> std::io::Result<()> {
        self.event("m", label)
    }

    /// The end: a character left unfinished is written as U+FFFD.
    pub fn finish(&mut self) -> std::io::Result<()> {
        let (o, i) = (self.output.finish(), self.input.finish());
        if !o.is_empty() {
            self.event("o", &o)?;
        }
        if !i.is_empty() {
            self.event("i", &i)?;
        }
        self.out.flush()
    }

    /// Seconds since the start, as the events have them.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

/// One event read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time: f64,
    pub code: String,
    pub data: String,
}

/// Reads a recording: the header, then the events one at a time.
pub struct Reader<R: BufRead> {
    lines: std::io::Lines<R>,
    pub header: Header,
    line_no: usize,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R) -> Result<Self, CastError> {
        let mut lines = input.lines();
        let first = lines
            .next()
            .ok_or_else(|| CastError::Format("the file is empty".into()))??;
        let v: Value = serde_json::from_str(&first)
            .map_err(|e| CastError::Format(format!("line 1: not JSON: {e}")))?;
        Ok(Reader {
            header: Header::from_json(&v)?,
            lines,
            line_no: 1,
        })
    }

    /// The next event; None at the end.
    pub fn next_event(&mut self) -> Result<Option<Event>, CastError> {
        for line in self.lines.by_ref() {
            let line = line?;
            self.line_no += 1;
            if line.trim().is_empty() {
                continue;
            }
            let n = self.line_no;
            let bad = |why: &str| CastError::Format(format!("line {n}: {why}"));
            let v: Value =
                serde_json::from_str(&line).map_err(|e| bad(&format!("not JSON: {e}")))?;
            let (Some(time), Some(code), Some(data)) =
                (v[0].as_f64(), v[1].as_str(), v[2].as_str())
            else {
                return Err(bad("not an event [time, code, data]"));
            };
            if !time.is_finite() || !(0.0..=1e9).contains(&time) {
                return Err(bad("an event time out of range"));
            }
            return Ok(Some(Event {
                time,
                code: code.to_string(),
                data: data.to_string(),
            }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters_are_carried_and_garbage_replaced() {
        let mut c = Utf8Carry::default();
        assert_eq!(c.decode(b"caf\xc3"), "caf");
        assert_eq!(c.decode(b"\xa9 ok"), "é ok");
        assert_eq!(c.decode(b"\xff\xfeA"), "\u{fffd}\u{fffd}A");
        assert_eq!(c.decode(b"\xe2\x82"), "");
        assert_eq!(c.decode(b"\xac"), "€");
        assert_eq!(c.decode(b"\xf0\x9f"), "");
        assert_eq!(c.finish(), "\u{fffd}");
    }

    #[test]
    fn writes_and_reads_back() {
        let header = Header {
            width: 80,
            height: 24,
            timestamp: 1_700_000_000,
            command: Some("sh".into()),
            title: Some("h1/web".into()),
            env: vec![("TERM".into(), "xterm-256color".into())],
            ..Default::default()
        };
        let mut buf = Vec::new();
        {
            let mut w = Writer::new(&mut buf, &header).expect("header");
            w.output(b"hello \xe2\x82").expect("o");
            w.output(b"\xac\r\n\x1b[31mred\x1b[0m").expect("o");
            w.resize(dockyard_term::Size::new(30, 100)).expect("r");
            w.input(b"ls\r").expect("i");
            w.finish().expect("finish");
        }
        let mut r = Reader::new(&buf[..]).expect("reader");
        assert_eq!(r.header.width, 80);
        assert_eq!(r.header.title.as_deref(), Some("h1/web"));
        let mut events = Vec::new();
        while let Some(e) = r.next_event().expect("event") {
            events.push(e);
        }
        let codes: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e.code.as_str(), e.data.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("o", "hello "),
                ("o", "€\r\n\x1b[31mred\x1b[0m"),
                ("r", "100x30"),
                ("i", "ls\r")
            ]
        );
        assert!(events.windows(2).all(|w| w[0].time <= w[1].time));
    }
}
