//! Dockyard's terminal model: what a terminal is, apart from the wire it
//! is fed from and the UI it is drawn in. The agent keeps one per durable
//! session (to redraw it for a client that attaches and to answer the
//! program's queries while nobody is attached), the TUI one per pane, and
//! the CLI and the tests use its pieces, so that the answers to queries,
//! the title's filtering, the mode resets and the redraw are written once.
//!
//! [`Terminal`] is a vt100 screen fed through [`WholeChars`], with the
//! lines leaving its top kept in a compact [`history::History`];
//! [`search`] finds text in its lines; [`modes`] holds its input modes and
//! the sequences that put them back; [`Size`] is a terminal size. vt100
//! stays inside: cells, colours and modes are this crate's own types.

pub mod history;
pub mod modes;
mod plain;
mod reflow;
pub mod search;
mod size;
mod skip;
mod terminal;
#[cfg(test)]
mod vt100_tests;
mod whole;

pub use history::{Attrs, Color, History, Limits, Line};
pub use modes::{Modes, Mouse, MouseEncoding};
pub use size::Size;
pub use terminal::Terminal;
pub use whole::WholeChars;
