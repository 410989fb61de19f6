//! Reading a recording back: the header, then its events one at a time.

use std::io::BufRead;

use serde_json::Value;

use crate::CastError;
use crate::header::Header;

/// What an event is, by its code in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `"o"`: bytes the terminal showed.
    Output,
    /// `"i"`: bytes typed.
    Input,
    /// `"r"`: the terminal's new size, `"COLSxROWS"`.
    Resize,
    /// `"m"`: a marker (a label players may pause on).
    Marker,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Output => "o",
            Code::Input => "i",
            Code::Resize => "r",
            Code::Marker => "m",
        }
    }

    /// None for a code asciicast v2 does not define (players skip it).
    pub fn parse(code: &str) -> Option<Code> {
        [Code::Output, Code::Input, Code::Resize, Code::Marker]
            .into_iter()
            .find(|c| c.as_str() == code)
    }
}

/// One event read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Seconds from the start (as recorded; a [`Timeline`](crate::play::Timeline)
    /// gives play times instead).
    pub time: f64,
    pub code: Code,
    pub data: String,
}

impl Event {
    /// A resize event's rows and columns.
    pub fn size(&self) -> Option<dockyard_term::Size> {
        if self.code != Code::Resize {
            return None;
        }
        let (cols, rows) = self.data.split_once('x')?;
        Some(dockyard_term::Size::new(
            rows.parse().ok()?,
            cols.parse().ok()?,
        ))
    }
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
            // A code of a later version is skipped, as players do.
            let Some(code) = Code::parse(code) else {
                continue;
            };
            return Ok(Some(Event {
                time,
                code,
                data: data.to_string(),
            }));
        }
        Ok(None)
    }
}
