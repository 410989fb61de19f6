//! The dialogs' keys: typing a filter or a search, answering a
//! confirmation, filling in the launch and command forms, reading the
//! inspect view. They take text, so their few keys are fixed and shown
//! inside each dialog.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::panes;
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

/// Typing narrows the list and selects the first match; Enter keeps the
/// filter, Esc clears it.
pub fn on_filter_key(state: &mut State, key: KeyEvent) {
    let mut filter = state.list.filter().to_string();
    match key.code {
        KeyCode::Enter => return,
        KeyCode::Esc => return state.list.clear_filter(),
        KeyCode::Backspace => {
            filter.pop();
        }
        _ => {
            if let Some(c) = typed(key) {
                filter.push(c);
            }
        }
    }
    state.list.set_filter(filter);
    state.mode = Mode::Filter;
}

/// y or Enter carries it out; any other key cancels.
pub fn on_confirm_key(state: &mut State, key: KeyEvent, c: Confirm, fx: &mut Vec<Effect>) {
    if matches!(
        key.code,
        KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter
    ) {
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

/// Like the launch form: Tab moves, Enter opens the pane, Esc cancels.
pub fn on_exec_key(state: &mut State, key: KeyEvent, mut form: ExecForm, fx: &mut Vec<Effect>) {
    match key.code {
        KeyCode::Esc => return,
        KeyCode::Tab | KeyCode::Down => form.next(),
        KeyCode::BackTab | KeyCode::Up => form.prev(),
        KeyCode::Backspace => {
            form.field_mut().pop();
        }
        KeyCode::Enter => match form.spec() {
            Ok(spec) => {
                let (host, name) = (form.container.host, form.name.clone());
                return panes::open(state, host, name, PaneKind::Command(spec), None, fx);
            }
            Err(e) => form.error = Some(e),
        },
        _ => {
            if let Some(c) = typed(key) {
                form.field_mut().push(c)
            }
        }
    }
    state.mode = Mode::Exec(form);
}

/// Scrolling keys move the view; `r` switches between the summary and
/// the JSON; q or Esc closes.
pub fn on_inspect_key(state: &mut State, key: KeyEvent, mut view: InspectView) {
    let page = usize::from(state.area.height.saturating_sub(6)).max(1);
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('i') => return,
        KeyCode::Up | KeyCode::Char('k') => view.scroll_by(-1, page),
        KeyCode::Down | KeyCode::Char('j') => view.scroll_by(1, page),
        KeyCode::PageUp => view.scroll_by(-(page as isize), page),
        KeyCode::PageDown | KeyCode::Char(' ') => view.scroll_by(page as isize, page),
        KeyCode::Home | KeyCode::Char('g') => view.scroll = 0,
        KeyCode::End | KeyCode::Char('G') => view.scroll_by(isize::MAX / 2, page),
        KeyCode::Char('r') => {
            view.show_raw = !view.show_raw;
            view.scroll = 0;
        }
        _ => {}
    }
    state.mode = Mode::Inspect(view);
}

/// Typing the search; Enter looks back from the view, Esc cancels.
pub fn on_search_key(state: &mut State, key: KeyEvent, pane: PaneId, mut query: String, up: bool) {
    match key.code {
        KeyCode::Esc => return,
        KeyCode::Enter if super::copy::active(state, pane) => {
            return super::copy::search(state, pane, query, up);
        }
        KeyCode::Enter => return panes::search(state, pane, query),
        KeyCode::Backspace => {
            query.pop();
        }
        _ => {
            if let Some(c) = typed(key) {
                query.push(c);
            }
        }
    }
    state.mode = Mode::Search { pane, query, up };
}

pub fn on_launch_key(state: &mut State, key: KeyEvent, mut form: LaunchForm, fx: &mut Vec<Effect>) {
    if form.busy {
        // Esc hides a running launch; its result still arrives as a notice.
        if key.code != KeyCode::Esc {
            state.mode = Mode::Launch(form);
        }
        return;
    }
    let hosts = state.list.hosts().len();
    match key.code {
        KeyCode::Esc => return,
        KeyCode::Tab | KeyCode::Down => form.next(),
        KeyCode::BackTab | KeyCode::Up => form.prev(),
        KeyCode::Left if hosts > 1 => form.host = (form.host + hosts - 1) % hosts,
        KeyCode::Right if hosts > 1 => form.host = (form.host + 1) % hosts,
        KeyCode::Backspace => {
            form.field_mut().pop();
        }
        KeyCode::Enter => submit(state, &mut form, fx),
        _ => {
            if let Some(c) = typed(key) {
                form.field_mut().push(c)
            }
        }
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
        request,
    });
}

/// Quitting: with live sessions on remote agents, as `on_quit` says (by
/// default, asking whether to keep them).
pub fn quit(state: &mut State) {
    use crate::state::sessions::OnQuit;
    let count = state.durable_panes().len();
    match state.on_quit {
        _ if count == 0 => state.quit = true,
        OnQuit::Ask => state.mode = Mode::QuitSessions { count },
        OnQuit::Keep => {
            state.keep_sessions = true;
            state.quit = true;
        }
        OnQuit::End => state.quit = true,
    }
}

/// k keeps the sessions running (and the panes come back next time), e
/// ends them; anything else stays.
pub fn on_quit_key(state: &mut State, key: KeyEvent, count: usize) {
    match key.code {
        KeyCode::Char('k') | KeyCode::Char('K') | KeyCode::Enter => {
            state.keep_sessions = true;
            state.quit = true;
        }
        KeyCode::Char('e') | KeyCode::Char('E') => state.quit = true,
        KeyCode::Esc | KeyCode::Char('c') | KeyCode::Char('n') => {}
        _ => state.mode = Mode::QuitSessions { count },
    }
}

/// The sessions picker: Enter attaches the selected session in a new
/// pane, x then y ends it, Esc or q closes.
pub fn on_sessions_key(
    state: &mut State,
    key: KeyEvent,
    mut picker: SessionsPicker,
    fx: &mut Vec<Effect>,
) {
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return,
        KeyCode::Up | KeyCode::Char('k') => picker.move_by(-1),
        KeyCode::Down | KeyCode::Char('j') => picker.move_by(1),
        KeyCode::Enter => {
            if let Some((host, s)) = picker.selected().cloned() {
                let kind = PaneKind::Attached {
                    session_id: s.id.clone(),
                    command: s.command.clone(),
                };
                panes::open(state, host, s.container_name.clone(), kind, None, fx);
                return;
            }
        }
        KeyCode::Char('x') => picker.confirm_end = picker.selected().is_some(),
        KeyCode::Char('y') if picker.confirm_end => {
            if let Some((host, s)) = picker.selected().cloned() {
                fx.push(Effect::EndSession { host, id: s.id });
                picker.remove_selected();
            }
        }
        _ => picker.confirm_end = false,
    }
    state.mode = Mode::Sessions(picker);
}

/// The recordings picker: Enter plays the selected one in a new pane, Esc
/// or q closes.
pub fn on_recordings_key(
    state: &mut State,
    key: KeyEvent,
    mut picker: RecordingsPicker,
    fx: &mut Vec<Effect>,
) {
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return,
        KeyCode::Up | KeyCode::Char('k') => picker.move_by(-1),
        KeyCode::Down | KeyCode::Char('j') => picker.move_by(1),
        KeyCode::Enter => {
            if let Some(r) = picker.selected() {
                return panes::open_replay(state, r.path.clone(), fx);
            }
        }
        _ => {}
    }
    state.mode = Mode::Recordings(picker);
}
