//! The pane side of a terminal, on top of the shared terminal model
//! (`dockyard_term`: the screen, its history, search): a pane's terminal
//! and its view ([`screen`]), drawing it ([`view`]), encoding keys,
//! pastes and mouse events as a terminal would ([`encode`]), the split
//! tree that places panes ([`layout`]) and copy mode ([`copy`]).

pub mod copy;
pub mod encode;
pub mod layout;
pub mod screen;
pub mod view;
