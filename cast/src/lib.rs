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

mod header;
pub mod play;
mod reader;
mod recording;
mod writer;

pub use header::Header;
pub use reader::{Code, Event, Reader};
pub use recording::Recording;
pub use writer::Writer;

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

#[derive(Debug, thiserror::Error)]
pub enum CastError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::Utf8Carry;

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
        assert_eq!(events[2].size(), Some(dockyard_term::Size::new(30, 100)));
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
