//! From key presses to [`keymap::Action`]s: keys as people write them
//! ([`keyspec`]) and the table of every binding ([`keymap`]).

pub mod keymap;
pub mod keyspec;

pub use keymap::{Action, Context, Keymap, Override, parse_leader};
