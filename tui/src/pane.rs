//! A pane: one exec session's terminal, as a vt100 parser fed with the
//! session's bytes, plus what the program asked of its terminal (replies to
//! queries, title).

use bytes::Bytes;
use dockyard_proto::ExecInput;

pub type PaneId = u64;

/// Answers the queries a shell sends at start. Without a reply to the
/// cursor-position report (`ESC[6n`) some shells wait before their prompt.
#[derive(Debug, Default)]
pub struct Replies {
    pub pending: Vec<u8>,
    pub title: Option<String>,
}

impl vt100::Callbacks for Replies {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.pending
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (None, 'n', 5) => self.pending.extend_from_slice(b"\x1b[0n"),
            // Primary device attributes: a VT100 with advanced video.
            (None, 'c', 0) => self.pending.extend_from_slice(b"\x1b[?1;2c"),
            (Some(b'>'), 'c', 0) => self.pending.extend_from_slice(b"\x1b[>0;0;0c"),
            _ => {}
        }
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        let t: String = String::from_utf8_lossy(title)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        self.title = Some(t);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneState {
    Starting,
    Running,
    Exited(i32),
    Failed(String),
}

pub struct Pane {
    pub id: PaneId,
    pub host: String,
    pub container: String,
    pub parser: vt100::Parser<Replies>,
    pub state: PaneState,
    pub input: Option<ExecInput>,
    /// The size last given to the parser and the remote TTY.
    pub size: (u16, u16),
}

/// Scrollback kept per pane.
pub const SCROLLBACK: usize = 10_000;

fn nz(v: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(v.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

impl Pane {
    pub fn new(id: PaneId, host: String, container: String, rows: u16, cols: u16) -> Self {
        Pane {
            id,
            host,
            container,
            parser: vt100::Parser::new_with_callbacks(
                nz(rows),
                nz(cols),
                SCROLLBACK,
                Replies::default(),
            ),
            state: PaneState::Starting,
            input: None,
            size: (rows.max(1), cols.max(1)),
        }
    }

    /// Feeds output; returns bytes to send back (answers to queries).
    pub fn feed(&mut self, data: &[u8]) -> Option<Bytes> {
        self.parser.process(data);
        let replies = &mut self.parser.callbacks_mut().pending;
        (!replies.is_empty()).then(|| Bytes::from(std::mem::take(replies)))
    }

    /// Sets the terminal size; true when it changed (and the remote TTY
    /// should be told).
    pub fn resize(&mut self, rows: u16, cols: u16) -> bool {
        let (rows, cols) = (rows.max(1), cols.max(1));
        if self.size == (rows, cols) {
            return false;
        }
        self.size = (rows, cols);
        self.parser.screen_mut().set_size(nz(rows), nz(cols));
        true
    }

    pub fn scroll(&mut self, delta: isize) {
        let screen = self.parser.screen_mut();
        let cur = screen.scrollback() as isize;
        screen.set_scrollback((cur + delta).max(0) as usize);
    }

    pub fn is_live(&self) -> bool {
        matches!(self.state, PaneState::Starting | PaneState::Running)
    }

    pub fn title(&self) -> String {
        let state = match &self.state {
            PaneState::Starting => " starting".to_string(),
            PaneState::Running => String::new(),
            PaneState::Exited(c) => format!(" [exited {c}]"),
            PaneState::Failed(_) => " [failed]".to_string(),
        };
        format!(
            "{}/{}{state}",
            dockyard_proto::text::printable(&self.host),
            dockyard_proto::text::printable(&self.container)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cursor_position_and_device_attributes() {
        let mut p = Pane::new(1, "h".into(), "c".into(), 10, 20);
        let reply = p.feed(b"ab\x1b[6n").expect("a reply");
        assert_eq!(&reply[..], b"\x1b[1;3R");
        assert_eq!(&p.feed(b"\x1b[c").expect("DA")[..], b"\x1b[?1;2c");
        assert!(p.feed(b"plain text").is_none());
    }

    #[test]
    fn resize_reports_changes_only() {
        let mut p = Pane::new(1, "h".into(), "c".into(), 10, 20);
        assert!(!p.resize(10, 20));
        assert!(p.resize(5, 7));
        assert_eq!(p.parser.screen().size().0.get(), 5);
        assert!(!p.resize(5, 7));
        assert!(p.resize(0, 0), "zero is clamped to 1, never a panic");
    }
}
