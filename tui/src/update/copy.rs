//! Copy mode in a pane (`Ctrl-a [`), the mouse's selections, and pasting
//! what was copied (`Ctrl-a ]`). Copied text goes to the outer terminal's
//! clipboard (OSC 52) and to the buffer `Ctrl-a ]` pastes.

use super::panes;
use crate::input::Action;
use crate::msg::Effect;
use crate::state::panes::PaneId;
use crate::state::{Mode, Notice, State};
use crate::term::copy::{CopyMode, Kind};

fn notice(state: &mut State, text: String, error: bool) {
    state.notice = Some(Notice { text, error });
}

/// Copy mode on `pane` (the focused one), its cursor where the terminal's
/// is.
pub fn enter(state: &mut State, pane: PaneId) {
    if let Some(p) = state.panes.get_mut(pane)
        && p.copy.is_none()
    {
        p.copy = Some(CopyMode::new(&p.term));
    }
}

/// Leaves copy mode; the view goes back to the live screen.
pub fn leave(state: &mut State, pane: PaneId) {
    if let Some(p) = state.panes.get_mut(pane) {
        p.copy = None;
        p.term.scroll_to_bottom();
    }
}

/// Whether `pane` is in copy mode.
pub fn active(state: &State, pane: PaneId) -> bool {
    state.panes.get(pane).is_some_and(|p| p.copy.is_some())
}

/// A copy-mode key's action.
pub fn apply(state: &mut State, pane: PaneId, action: Action, fx: &mut Vec<Effect>) {
    use Action::*;
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    let (term, Some(copy)) = (&mut p.term, p.copy.as_mut()) else {
        return;
    };
    copy.keep_in(term);
    let rows = term.size().0 as isize;
    match action {
        Left => copy.left(term),
        Right => copy.right(term),
        Up => copy.vertical(term, -1),
        Down => copy.vertical(term, 1),
        WordNext => copy.word_next(term),
        WordPrev => copy.word_prev(term),
        WordEnd => copy.word_end(term),
        LineStart => copy.line_start(term),
        LineIndent => copy.line_indent(term),
        LineEnd => copy.line_end(term),
        Top => copy.top(term),
        Bottom => copy.bottom(term),
        HalfPageUp => page(term, copy, -(rows / 2).max(1)),
        HalfPageDown => page(term, copy, (rows / 2).max(1)),
        PageUp => page(term, copy, -(rows - 1).max(1)),
        PageDown => page(term, copy, (rows - 1).max(1)),
        SelectChars => copy.toggle_selection(Kind::Chars),
        SelectLines => copy.toggle_selection(Kind::Lines),
        SelectBlock => copy.toggle_selection(Kind::Block),
        CopySelection => copy_selection(state, pane, fx),
        LeaveCopy => leave(state, pane),
        // Esc clears a selection first, as in vi; again, it leaves.
        ClearSelection if copy.selection.take().is_none() => leave(state, pane),
        ClearSelection => {}
        Search | SearchBack => {
            state.mode = Mode::Search {
                pane,
                query: String::new(),
                up: action == SearchBack,
            };
        }
        SearchNext | SearchPrev => {
            let Some((query, up)) = copy.search.clone() else {
                return notice(state, "no search yet: / or ? searches".into(), true);
            };
            find(state, pane, &query, up != (action == SearchPrev));
        }
        _ => {}
    }
}

/// The cursor and the view `n` lines down (or up), as vi's Ctrl-d/Ctrl-u.
fn page(term: &mut crate::term::screen::TermScreen, copy: &mut CopyMode, n: isize) {
    term.scroll(-n);
    copy.vertical(term, n);
}

/// A search typed in copy mode: from the cursor, up or down.
pub fn search(state: &mut State, pane: PaneId, query: String, up: bool) {
    if query.is_empty() {
        return;
    }
    if let Some(copy) = state.panes.get_mut(pane).and_then(|p| p.copy.as_mut()) {
        copy.search = Some((query.clone(), up));
    }
    find(state, pane, &query, up);
}

fn find(state: &mut State, pane: PaneId, query: &str, up: bool) {
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    let (term, Some(copy)) = (&mut p.term, p.copy.as_mut()) else {
        return;
    };
    match copy.find(term, query, up) {
        Some(found) if found.wrapped => {
            let end = if up { "bottom" } else { "top" };
            notice(state, format!("search went round from the {end}"), false);
        }
        Some(_) => {}
        None => notice(state, format!("'{query}' not found"), true),
    }
}

/// Copies the selection (to the clipboard and the paste buffer) and
/// leaves copy mode.
pub fn copy_selection(state: &mut State, pane: PaneId, fx: &mut Vec<Effect>) {
    let Some(p) = state.panes.get(pane) else {
        return;
    };
    let text = p
        .copy
        .as_ref()
        .and_then(|c| c.selection())
        .map(|s| s.text(&p.term));
    leave(state, pane);
    match text {
        Some(text) if !text.is_empty() => {
            let lines = text.lines().count();
            let chars = text.chars().count();
            notice(
                state,
                format!(
                    "copied {chars} character{} ({lines} line{}): {} pastes",
                    if chars == 1 { "" } else { "s" },
                    if lines == 1 { "" } else { "s" },
                    paste_key(state)
                ),
                false,
            );
            state.paste_buffer = Some(text.clone());
            fx.push(Effect::Clipboard(text));
        }
        _ => notice(
            state,
            "nothing selected: v, V or Ctrl-v selects".into(),
            true,
        ),
    }
}

fn paste_key(state: &State) -> String {
    use crate::input::{Context, keyspec::display};
    let leader = display(state.keymap.leader());
    state
        .keymap
        .key_for(Context::Leader, Action::Paste)
        .map_or_else(|| leader.clone(), |k| format!("{leader} {k}"))
}

/// `Ctrl-a ]`: the last copied text into the focused pane (bracketed if
/// its program asked for that).
pub fn paste(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(pane) = state.focused_pane() else {
        return;
    };
    let Some(text) = state.paste_buffer.clone() else {
        return notice(state, "nothing copied yet: Ctrl-a [ selects".into(), true);
    };
    let takes_input = state
        .panes
        .get(pane)
        .is_some_and(|p| p.is_live() && !p.is_logs() && !p.is_replay());
    if !takes_input {
        return notice(state, "this pane takes no input".into(), true);
    }
    leave(state, pane);
    panes::paste(state, pane, &text, fx);
}
