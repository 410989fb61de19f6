pub mod keys;
pub mod layout;
pub mod pane;
pub mod term_view;
