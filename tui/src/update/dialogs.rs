//! The dialogs' keys: typing a filter or a search, answering a
//! confirmation, filling in the launch and command forms, reading the
//! inspect view, the pickers. Their keys come from the keymap (contexts
//! `form`, `prompt`, `confirm`, `quit_dialog`, `inspect`, `picker`); in
//! a form or a prompt, a key the keymap does not bind is typed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::panes;
use crate::input::{Action, Context};
use crate::msg::{Effect, Lifecycle};
use crate::state::exec_form::ExecForm;
use crate::state::inspect::InspectView;
use crate::state::launch_form::LaunchForm;
use crate::state::panes::{PaneId, PaneKind};
use crate::state::recordings::RecordingsPicker;
use crate::state::sessions::SessionsPicker;
use crate::state::{Confirm, Mode, Notice, State};

fn typed(key: KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => Some(c),
        _ => None,
    }
}

/// A key typed into a text field: Backspace takes the last character
/// back, a character is added.
pub(super) fn type_into(field: &mut String, key: KeyEvent) {
    if key.code == KeyCode::Backspace {
        field.pop();
    } else if let Some(c) = typed(key) {
        field.push(c);
    }
}

/// Typing narrows the list and selects the first match; Enter keeps the
/// filter, Esc clears it.
pub fn on_filter_key(state: &mut State, key: KeyEvent) {
    let mut filter = state.list.filter().to_string();
    match state.keymap.action(Context::Prompt, key) {
        Some(Action::Submit) => return,
        Some(Action::Cancel) => return state.list.clear_filter(),
        _ => type_into(&mut filter, key),
    }
    state.list.set_filter(filter);
    state.mode = Mode::Filter;
}

/// Yes carries it out; any other key cancels.
pub fn on_confirm_key(state: &mut State, key: KeyEvent, c: Confirm, fx: &mut Vec<Effect>) {
    if state.keymap.action(Context::Confirm, key) == Some(Action::Yes) {
        carry_out(state, c.op, c.container.host, c.container.id, c.name, fx);
    }
}

/// Asks the host to do `op`, saying so in the status line.
pub fn carry_out(
    state: &mut State,
    op: Lifecycle,
    host: usize,
    id: String,
    name: String,
    fx: &mut Vec<Effect>,
) {
    let connected = state
        .list
        .host(host)
        .is_some_and(|h| h.status == crate::state::hosts::HostStatus::Up);
    if !connected {
        state.notice = Some(Notice {
            text: "that host is not connected".into(),
            error: true,
        });
        return;
    }
    state.notice = Some(Notice {
        text: format!("{} {name}…", op.doing()),
        error: false,
    });
    fx.push(Effect::Lifecycle { host, id, name, op });
}

/// Like the launch form: fields move, Submit opens the pane, Cancel
/// closes it.
pub fn on_exec_key(state: &mut State, key: KeyEvent, mut form: ExecForm, fx: &mut Vec<Effect>) {
    match state.keymap.action(Context::Form, key) {
        Some(Action::Cancel) => return,
        Some(Action::NextField) => form.next(),
        Some(Action::PrevField) => form.prev(),
        Some(Action::Submit) => match form.spec() {
            Ok(spec) => {
                let (host, name) = (form.container.host, form.name.clone());
                return panes::open(state, host, name, PaneKind::Command(spec), None, fx);
            }
            Err(e) => form.error = Some(e),
        },
        _ => type_into(form.field_mut(), key),
    }
    state.mode = Mode::Exec(form);
}

/// Scrolling keys move the view; ToggleRaw switches between the summary
/// and the JSON; Close closes.
pub fn on_inspect_key(state: &mut State, key: KeyEvent, mut view: InspectView) {
    let page = usize::from(state.area.height.saturating_sub(6)).max(1);
    match state.keymap.action(Context::InspectView, key) {
        Some(Action::Close) => return,
        Some(Action::Up) => view.scroll_by(-1, page),
        Some(Action::Down) => view.scroll_by(1, page),
        Some(Action::PageUp) => view.scroll_by(-(page as isize), page),
        Some(Action::PageDown) => view.scroll_by(page as isize, page),
        Some(Action::First) => view.scroll = 0,
        Some(Action::Last) => view.scroll_by(isize::MAX / 2, page),
        Some(Action::ToggleRaw) => {
            view.show_raw = !view.show_raw;
            view.scroll = 0;
        }
        _ => {}
    }
    state.mode = Mode::Inspect(view);
}

/// Typing the search; Submit looks from the view (or copy mode's
/// cursor), Cancel cancels.
pub fn on_search_key(state: &mut State, key: KeyEvent, pane: PaneId, mut query: String, up: bool) {
    match state.keymap.action(Context::Prompt, key) {
        Some(Action::Cancel) => return,
        Some(Action::Submit) if super::copy::active(state, pane) => {
            return super::copy::search(state, pane, query, up);
        }
        Some(Action::Submit) => return panes::search(state, pane, query),
        _ => type_into(&mut query, key),
    }
    state.mode = Mode::Search { pane, query, up };
}

pub fn on_launch_key(state: &mut State, key: KeyEvent, mut form: LaunchForm, fx: &mut Vec<Effect>) {
    let action = state.keymap.action(Context::Form, key);
    if form.busy {
        // Cancel hides a running launch; its result still arrives as a
        // notice.
        if action != Some(Action::Cancel) {
            state.mode = Mode::Launch(form);
        }
        return;
    }
    // Hosts, and the nodes of a host that is a cluster's entry.
    let targets = state.list.launch_targets();
    let at = targets
        .iter()
        .position(|(h, n)| *h == form.host && *n == form.node)
        .unwrap_or(0);
    let n = targets.len().max(1);
    let mut go = |i: usize| {
        if let Some((h, node)) = targets.get(i % n) {
            form.host = *h;
            form.node = node.clone();
        }
    };
    match action {
        Some(Action::Cancel) => return,
        Some(Action::NextField) => form.next(),
        Some(Action::PrevField) => form.prev(),
        Some(Action::PrevHost) => go(at + n - 1),
        Some(Action::NextHost) => go(at + 1),
        Some(Action::Submit) => submit(state, &mut form, fx),
        _ => type_into(form.field_mut(), key),
    }
    state.mode = Mode::Launch(form);
}

fn submit(state: &State, form: &mut LaunchForm, fx: &mut Vec<Effect>) {
    let request = match form.request() {
        Ok(r) => r,
        Err(e) => {
            form.error = Some(e);
            return;
        }
    };
    let connected = state
        .list
        .host(form.host)
        .is_some_and(|h| h.status == crate::state::hosts::HostStatus::Up);
    if !connected {
        form.error = Some("that host is not connected".into());
        return;
    }
    form.error = None;
    form.busy = true;
    form.progress = Some("checking the image…".into());
    fx.push(Effect::Launch {
        host: form.host,
        node: form.node.clone(),
        request,
    });
}

/// Quitting: with live sessions on remote agents, as `on_quit` says (by
/// default, asking whether to keep them).
pub fn quit(state: &mut State) {
    use crate::state::sessions::OnQuit;
    let count = state.durable_panes().len();
    let local = state.local_live_panes();
    match state.on_quit {
        // Local shells end with the TUI whatever `on_quit` says: asked.
        _ if count == 0 && local > 0 => state.mode = Mode::QuitLocal { count: local },
        _ if count == 0 => state.quit = true,
        OnQuit::Ask => state.mode = Mode::QuitSessions { count },
        OnQuit::Keep => {
            state.keep_sessions = true;
            state.quit = true;
        }
        OnQuit::End => state.quit = true,
    }
}

/// Keep keeps the sessions running (and the panes come back next time),
/// End ends them, Cancel stays; any other key asks again.
pub fn on_quit_key(state: &mut State, key: KeyEvent, count: usize) {
    match state.keymap.action(Context::QuitDialog, key) {
        Some(Action::KeepSessions) => {
            state.keep_sessions = true;
            state.quit = true;
        }
        Some(Action::EndSessions) => state.quit = true,
        Some(Action::Cancel) => {}
        _ => state.mode = Mode::QuitSessions { count },
    }
}

/// The sessions picker: Open attaches the selected session in a new
/// pane, EndSession then Yes ends it, Close closes.
pub fn on_sessions_key(
    state: &mut State,
    key: KeyEvent,
    mut picker: SessionsPicker,
    fx: &mut Vec<Effect>,
) {
    match state.keymap.action(Context::Picker, key) {
        Some(Action::Close) => return,
        Some(Action::Up) => picker.move_by(-1),
        Some(Action::Down) => picker.move_by(1),
        Some(Action::Open) => {
            if let Some((host, s)) = picker.selected().cloned() {
                let kind = PaneKind::Attached {
                    session_id: s.id.clone(),
                    command: s.command.clone(),
                    node: s.node.clone(),
                };
                panes::open(state, host, s.container_name.clone(), kind, None, fx);
                return;
            }
        }
        Some(Action::EndSession) => picker.confirm_end = picker.selected().is_some(),
        Some(Action::Yes) if picker.confirm_end => {
            if let Some((host, s)) = picker.selected().cloned() {
                fx.push(Effect::EndSession { host, id: s.id });
                picker.remove_selected();
            }
        }
        _ => picker.confirm_end = false,
    }
    state.mode = Mode::Sessions(picker);
}

/// The recordings picker: Open plays the selected one in a new pane,
/// Close closes.
pub fn on_recordings_key(
    state: &mut State,
    key: KeyEvent,
    mut picker: RecordingsPicker,
    fx: &mut Vec<Effect>,
) {
    match state.keymap.action(Context::Picker, key) {
        Some(Action::Close) => return,
        Some(Action::Up) => picker.move_by(-1),
        Some(Action::Down) => picker.move_by(1),
        Some(Action::Open) => {
            if let Some(r) = picker.selected() {
                return panes::open_replay(state, r.path.clone(), fx);
            }
        }
        _ => {}
    }
    state.mode = Mode::Recordings(picker);
}

/// Yes quits (the local shells end with the TUI); any other key stays.
pub fn on_quit_local_key(state: &mut State, key: KeyEvent) {
    if state.keymap.action(Context::Confirm, key) == Some(Action::Yes) {
        state.quit = true;
    }
}
