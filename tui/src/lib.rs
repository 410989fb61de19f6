//! Dockyard's terminal UI: a live container browser over every connected
//! agent, and any number of shells into containers side by side, each a
//! vt100 screen in a pane.
//!
//! The shape is input -> [`Msg`](msg::Msg) -> [`update`] -> effects:
//! - [`input`]: keys as data (the keymap every help text comes from);
//! - [`state`]: everything the UI knows, plain data;
//! - [`update`]: the one place state changes, returning effects;
//! - [`tasks`]: carrying effects out against agents, and watching hosts;
//! - [`ui`]: drawing the state, one file per panel;
//! - [`term`]: the terminal parts (vt100 screen, drawing it, key encoding,
//!   split layout);
//! - [`run`]: the event loop that ties them together.

pub mod input;
pub mod msg;
pub mod run;
pub mod schedule;
pub mod state;
pub mod tasks;
pub mod term;
pub mod ui;
pub mod update;

pub use run::{Options, run};
pub use tasks::hosts::Target;

#[cfg(test)]
mod fuzz_tests;
