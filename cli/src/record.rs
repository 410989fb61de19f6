//! `--record FILE`: the session as the terminal showed it, written to an
//! asciicast v2 file as it happens (dockyard-cast), from the output loop,
//! the stdin thread (with `--record-input`) and the resize handler alike.
//! A write that fails (a full disk) stops the recording with one line on
//! stderr; the session goes on.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use dockyard_cast::{Header, Recording as Cast};

#[derive(Clone)]
pub struct Recording {
    cast: Arc<Mutex<Cast>>,
    input: bool,
    path: PathBuf,
}

impl Recording {
    /// Creates `path` and writes the header: `width` x `height`, the
    /// command, `HOST/CONTAINER` as the title, and this terminal's `TERM`
    /// and `SHELL`.
    pub fn start(
        path: &Path,
        (rows, cols): (u16, u16),
        command: &[String],
        title: String,
        record_input: bool,
    ) -> anyhow::Result<Self> {
        let env = ["TERM", "SHELL"]
            .iter()
            .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
            .collect();
        let header = Header {
            env,
            ..Header::for_session(dockyard_term::Size::new(rows, cols), command, title)
        };
        let cast = Cast::create(path, &header)
            .with_context(|| format!("cannot record to {}", path.display()))?;
        Ok(Recording {
            cast: Arc::new(Mutex::new(cast)),
            input: record_input,
            path: path.to_path_buf(),
        })
    }

    fn with(&self, f: impl FnOnce(&mut Cast) -> Result<(), String>) {
        let mut cast = self.cast.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = f(&mut cast) {
            eprintln!(
                "\r\ndockyard: recording to {} stopped: {e}\r",
                self.path.display()
            );
        }
    }

    pub fn output(&self, data: &[u8]) {
        self.with(|c| c.output(data));
    }

    /// Typed bytes, only with `--record-input` (they may be passwords).
    pub fn input(&self, data: &[u8]) {
        if self.input {
            self.with(|c| c.input(data));
        }
    }

    pub fn resize(&self, size: dockyard_term::Size) {
        self.with(|c| c.resize(size));
    }

    pub fn finish(&self) {
        self.with(|c| c.finish(None));
    }
}
