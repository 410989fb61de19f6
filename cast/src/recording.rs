//! A recording in progress, the one the CLI's `--record`, the TUI's
//! `Ctrl-a r` and the agent's `--record-dir` all write through: a file
//! made readable by its owner only, written as things happen, that stops
//! at the first write that fails (a full disk) or when it reaches its
//! size cap, and says why once, for the caller to report its own way.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::{Header, Writer};

pub struct Recording {
    writer: Option<Writer<File>>,
    path: PathBuf,
    /// Stop when the file reaches this size, with this marker last.
    cap: Option<(u64, String)>,
}

impl Recording {
    /// Creates `path` (and missing directories, owner-only) and writes
    /// `header`; the clock starts now.
    pub fn create(path: &Path, header: &Header) -> std::io::Result<Self> {
        let writer = Writer::new(crate::create_private(path)?, header)?;
        Ok(Recording {
            writer: Some(writer),
            path: path.to_path_buf(),
            cap: None,
        })
    }

    /// Stops once the file holds `max` bytes: the output that reaches it
    /// is the last event, then a marker saying `why`.
    pub fn capped(mut self, max: u64, why: &str) -> Self {
        self.cap = Some((max, why.to_string()));
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Still recording (no write has failed, the cap is not reached).
    pub fn is_on(&self) -> bool {
        self.writer.is_some()
    }

    /// Runs `f` on the writer; the first error stops the recording and is
    /// returned, once.
    fn with(
        &mut self,
        f: impl FnOnce(&mut Writer<File>) -> std::io::Result<()>,
    ) -> Result<(), String> {
        match self.writer.as_mut().map(f) {
            Some(Err(e)) => {
                self.writer = None;
                Err(e.to_string())
            }
            _ => Ok(()),
        }
    }

    /// Bytes the terminal showed.
    pub fn output(&mut self, data: &[u8]) -> Result<(), String> {
        self.with(|w| w.output(data))?;
        let over = match (&self.cap, &self.writer) {
            (Some((max, why)), Some(w)) if w.bytes_written() >= *max => Some(why.clone()),
            _ => None,
        };
        match over {
            Some(why) => {
                self.with(|w| {
                    w.marker(&why)?;
                    w.finish()
                })?;
                self.writer = None;
                Err(why)
            }
            None => Ok(()),
        }
    }

    /// Bytes typed.
    pub fn input(&mut self, data: &[u8]) -> Result<(), String> {
        self.with(|w| w.input(data))
    }

    pub fn resize(&mut self, size: dockyard_term::Size) -> Result<(), String> {
        self.with(|w| w.resize(size))
    }

    /// The end, with `marker` last (how the session ended); the recording
    /// is off afterwards.
    pub fn finish(&mut self, marker: Option<&str>) -> Result<(), String> {
        let done = self.with(|w| {
            if let Some(m) = marker {
                w.marker(m)?;
            }
            w.finish()
        });
        self.writer = None;
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header::for_session(
            dockyard_term::Size::new(24, 80),
            &["sh".into()],
            "h/c".into(),
        )
    }

    fn path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("dockyard-cast-{}-{name}.cast", std::process::id()))
    }

    #[test]
    fn a_capped_recording_stops_once_with_its_marker_last() {
        let p = path("capped");
        let mut r = Recording::create(&p, &header())
            .expect("create")
            .capped(300, "recording stopped: too big");
        let mut stops = 0;
        for _ in 0..20 {
            if r.output(b"0123456789012345678901234567890123456789\r\n")
                .is_err()
            {
                stops += 1;
            }
        }
        assert_eq!(stops, 1, "said once");
        assert!(!r.is_on());
        let text = std::fs::read_to_string(&p).expect("read");
        let last = text.lines().last().expect("a line");
        assert!(last.contains("\"m\"") && last.contains("too big"), "{last}");
        std::fs::remove_file(&p).ok();
    }

    #[test]
    fn finish_writes_the_marker_and_ends_it() {
        let p = path("finish");
        let mut r = Recording::create(&p, &header()).expect("create");
        r.output(b"hi").expect("output");
        r.finish(Some("exit 3")).expect("finish");
        assert!(!r.is_on());
        assert!(
            r.output(b"more").is_ok(),
            "an ended recording takes nothing"
        );
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.lines().last().is_some_and(|l| l.contains("exit 3")));
        assert!(!text.contains("more"));
        std::fs::remove_file(&p).ok();
    }
}
