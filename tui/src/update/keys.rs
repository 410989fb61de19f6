//! Keys and pastes: the keymap turns a key into an [`Action`] for the
//! context it lands in; keys a pane does not bind go to its program,
//! encoded as a terminal would send them.

use crossterm::event::KeyEvent;
use ratatui::layout::Direction;

use super::{dialogs, panes};
use crate::input::{Action, Context};
use crate::msg::Effect;
use crate::state::launch_form::LaunchForm;
use crate::state::panes::PaneId;
use crate::state::{Confirm, ConfirmVerb, Focus, Mode, State};
use crate::term::encode;

pub fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    match std::mem::replace(&mut state.mode, Mode::Normal) {
        Mode::Help => {}
        Mode::Confirm(c) => dialogs::on_confirm_key(state, key, c, fx),
        Mode::Launch(form) => dialogs::on_launch_key(state, key, form, fx),
        Mode::Filter => dialogs::on_filter_key(state, key),
        Mode::Leader => on_leader_key(state, key, fx),
        Mode::Normal if state.keymap.is_leader(key) => state.mode = Mode::Leader,
        Mode::Normal => match state.focused_pane() {
            Some(p) => on_pane_key(state, p, key, fx),
            None => {
                if let Some(a) = state.keymap.action(Context::List, key) {
                    apply(state, a, fx);
                }
            }
        },
    }
}

fn on_leader_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.keymap.is_leader(key) {
        // The leader twice sends it through.
        if let Some(p) = state.focused_pane() {
            panes::send_key(state, p, key, fx);
        }
        return;
    }
    if let Some(a) = state.keymap.action(Context::Leader, key) {
        apply(state, a, fx);
    }
}

fn on_pane_key(state: &mut State, p: PaneId, key: KeyEvent, fx: &mut Vec<Effect>) {
    let live = state.panes.get(p).is_some_and(|pane| pane.is_live());
    let context = if live {
        Context::Pane
    } else {
        Context::EndedPane
    };
    // An ended pane still scrolls with the pane's keys.
    let action = state
        .keymap
        .action(context, key)
        .or_else(|| state.keymap.action(Context::Pane, key));
    match action {
        Some(a) => apply(state, a, fx),
        None if live => panes::send_key(state, p, key, fx),
        None => {}
    }
}

/// What each action does.
pub fn apply(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    use Action::*;
    match action {
        Up => state.list.move_selection(-1),
        Down => state.list.move_selection(1),
        PageUp => state.list.move_selection(-10),
        PageDown => state.list.move_selection(10),
        First => state.list.select_index(0),
        Last => state.list.select_index(usize::MAX),
        Open => panes::open_selected(state, None, fx),
        OpenBeside => panes::open_selected(state, Some(Direction::Horizontal), fx),
        OpenBelow => panes::open_selected(state, Some(Direction::Vertical), fx),
        Filter => {
            state.list.set_filter(String::new());
            state.mode = Mode::Filter;
        }
        ClearFilter => state.list.clear_filter(),
        Sort => state.list.next_sort(),
        ToggleAll => state.list.toggle_all(),
        Launch => {
            let host = state.list.selected().map_or(0, |(h, _)| h);
            state.mode = Mode::Launch(LaunchForm::new(host));
        }
        Stop => ask(state, ConfirmVerb::Stop),
        Remove => ask(state, ConfirmVerb::Remove),
        FocusPanes => {
            if let Some(p) = state.panes.order().first() {
                state.focus = Focus::Pane(*p);
            }
        }
        Help => state.mode = Mode::Help,
        Quit => state.quit = true,
        FocusList => state.focus = Focus::List,
        FocusLeft => panes::move_focus(state, -1, 0),
        FocusRight => panes::move_focus(state, 1, 0),
        FocusUp => panes::move_focus(state, 0, -1),
        FocusDown => panes::move_focus(state, 0, 1),
        NextPane => panes::cycle(state, 1),
        PrevPane => panes::cycle(state, -1),
        SplitBeside => panes::split_focused(state, Direction::Horizontal, fx),
        SplitBelow => panes::split_focused(state, Direction::Vertical, fx),
        Zoom => panes::toggle_zoom(state),
        ClosePane => {
            if let Some(p) = state.focused_pane() {
                panes::close(state, p, fx);
            }
        }
        ScrollBack | ScrollUp => panes::scroll_half_page(state, 1),
        ScrollDown => panes::scroll_half_page(state, -1),
    }
}

fn ask(state: &mut State, verb: ConfirmVerb) {
    if let Some((host, c)) = state.list.selected() {
        let container = crate::state::hosts::ContainerKey {
            host,
            id: c.id.clone(),
        };
        let name = c.name.clone();
        state.mode = Mode::Confirm(Confirm {
            verb,
            container,
            name,
        });
    }
}

pub fn on_paste(state: &mut State, text: &str, fx: &mut Vec<Effect>) {
    match &mut state.mode {
        Mode::Filter => {
            let filter = format!("{}{}", state.list.filter(), text.replace(['\r', '\n'], ""));
            state.list.set_filter(filter);
        }
        Mode::Launch(form) => form.field_mut().push_str(&text.replace(['\r', '\n'], " ")),
        _ => {
            if let Some(p) = state.focused_pane()
                && let Some(pane) = state.panes.get(p)
            {
                let bytes = encode::encode_paste(text, pane.term.modes());
                panes::send(state, p, bytes, fx);
            }
        }
    }
}
