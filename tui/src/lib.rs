//! Dockyard's terminal UI: a live container browser over every connected
//! agent, and any number of shells into containers side by side, each a
//! vt100 screen in a pane.
//!
//! `run` is the event loop, `app` the state and its changes, `ui` the
//! drawing; `pane`, `term_view`, `keys` and `layout` are the terminal
//! parts; `hosts` and `session` the tasks that talk to agents.

pub mod app;
pub mod event;
pub mod hosts;
pub mod keys;
pub mod launch_form;
pub mod layout;
pub mod pane;
pub mod run;
pub mod session;
pub mod term_view;
pub mod ui;

pub use hosts::Target;
pub use run::{Options, run};

#[cfg(test)]
mod fuzz_tests;
