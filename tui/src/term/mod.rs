//! The terminal side of a pane, independent of Dockyard's state: the
//! vt100 screen fed with a session's bytes ([`screen`]), drawing it
//! ([`view`]), encoding keys, pastes and mouse events as a terminal would
//! ([`encode`]), the split tree that places panes ([`layout`]), the lines
//! that scrolled off ([`history`]), finding text in its lines
//! ([`search`]) and copy mode over them ([`copy`]).

pub mod copy;
pub mod encode;
pub mod history;
pub mod layout;
pub mod screen;
pub mod search;
pub mod view;
