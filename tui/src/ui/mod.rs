//! Drawing the whole screen from the state: a function of `State`, the
//! frame's size and (for the panes not focused) what they showed a moment
//! ago; no I/O, no state changes. One file per panel.

mod confirm;
mod exec_form;
mod files;
mod forwards;
mod help;
mod inspect;
mod launch;
mod list;
mod pane;
mod sessions;
mod stats;
mod status;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::state::{Mode, State};

use crate::schedule::Shown;

/// The whole screen, every pane drawn afresh.
pub fn draw(f: &mut Frame, state: &State) {
    draw_with(f, state, &mut Shown::default());
}

/// The whole screen; panes without the focus are drawn afresh at most
/// every [`crate::schedule::SIDE_FRAME`] (see [`Shown`]).
pub fn draw_with(f: &mut Frame, state: &State, shown: &mut Shown) {
    let layout = state.frame();
    if let Some(area) = layout.list {
        list::draw(f, state, area);
    }
    shown.start_frame(&layout.panes);
    for (id, outer) in &layout.panes {
        pane::draw(f, state, *id, *outer, shown);
    }
    status::draw(f, state, layout.status);
    match &state.mode {
        Mode::Help(scroll) => help::draw(f, state, *scroll),
        Mode::Confirm(c) => confirm::draw(f, state, c),
        Mode::Launch(form) => launch::draw(f, state, form),
        Mode::Exec(form) => exec_form::draw(f, state, form),
        Mode::Inspect(view) => inspect::draw(f, state, view),
        Mode::Files(view) => files::draw(f, state, view),
        Mode::ForwardPrompt {
            name, text, error, ..
        } => forwards::draw_prompt(f, name, text, error.as_deref()),
        Mode::Forwards(selected) => forwards::draw_view(f, state, *selected),
        Mode::Stats { container, name } => stats::draw(f, state, container, name),
        Mode::Sessions(picker) => sessions::draw(f, state, picker),
        Mode::Recordings(picker) => sessions::draw_recordings(f, state, picker),
        Mode::QuitSessions { count } => sessions::draw_quit(f, state, *count),
        Mode::QuitLocal { count } => sessions::draw_quit_local(f, state, *count),
        _ => {}
    }
}

/// A dialog's area: centred, at most `w` x `h`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
pub(crate) mod testing;
