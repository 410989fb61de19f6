//! Keys and pastes: the keymap turns a key into an [`Action`] for the
//! context it lands in; keys a pane does not bind go to its program,
//! encoded as a terminal would send them.

use crossterm::event::KeyEvent;
use ratatui::layout::Direction;

use super::{copy, dialogs, panes};
use crate::input::{Action, Context};
use crate::msg::{Effect, Lifecycle, ReplayCtl};
use crate::state::exec_form::ExecForm;
use crate::state::hosts::ContainerKey;
use crate::state::inspect::InspectView;
use crate::state::launch_form::LaunchForm;
use crate::state::panes::{PaneId, PaneKind};
use crate::state::sessions::SessionsPicker;
use crate::state::{Confirm, Focus, Mode, Notice, State};

pub fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    match std::mem::replace(&mut state.mode, Mode::Normal) {
        // Scrolling keys scroll the help; any other key closes it.
        Mode::Help(scroll) => {
            use crossterm::event::KeyCode as K;
            let page = state.area.height.saturating_sub(4).max(1);
            state.mode = match key.code {
                K::Down | K::Char('j') => Mode::Help(scroll.saturating_add(1)),
                K::Up | K::Char('k') => Mode::Help(scroll.saturating_sub(1)),
                K::PageDown | K::Char(' ') => Mode::Help(scroll.saturating_add(page)),
                K::PageUp => Mode::Help(scroll.saturating_sub(page)),
                _ => Mode::Normal,
            };
        }
        // Any key closes the stats view.
        Mode::Stats { .. } => {}
        Mode::Confirm(c) => dialogs::on_confirm_key(state, key, c, fx),
        Mode::Launch(form) => dialogs::on_launch_key(state, key, form, fx),
        Mode::Exec(form) => dialogs::on_exec_key(state, key, form, fx),
        Mode::Inspect(view) => dialogs::on_inspect_key(state, key, view),
        Mode::Files(view) => super::files::on_key(state, key, view, fx),
        Mode::ForwardPrompt {
            container,
            name,
            text,
            ..
        } => super::forwards::on_prompt_key(state, key, container, name, text, fx),
        Mode::Forwards(selected) => super::forwards::on_view_key(state, key, selected, fx),
        Mode::Search { pane, query, up } => dialogs::on_search_key(state, key, pane, query, up),
        Mode::Filter => dialogs::on_filter_key(state, key),
        Mode::Sessions(picker) => dialogs::on_sessions_key(state, key, picker, fx),
        Mode::Recordings(picker) => dialogs::on_recordings_key(state, key, picker, fx),
        Mode::QuitSessions { count } => dialogs::on_quit_key(state, key, count),
        Mode::QuitLocal { .. } => dialogs::on_quit_local_key(state, key),
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
    if copy::active(state, p) {
        // Copy mode takes the keys; unbound ones do nothing.
        if let Some(a) = state.keymap.action(Context::Copy, key) {
            copy::apply(state, p, a, fx);
        }
        return;
    }
    if state.panes.get(p).is_some_and(|pane| pane.is_replay()) {
        if let Some(a) = state.keymap.action(Context::ReplayPane, key) {
            apply(state, a, fx);
        }
        return;
    }
    if state.panes.get(p).is_some_and(|pane| pane.is_logs()) {
        // A log takes no typing: unbound keys do nothing.
        if let Some(a) = state.keymap.action(Context::LogsPane, key) {
            apply(state, a, fx);
        }
        return;
    }
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
        Open if state.list.marks() > 0 => panes::open_marked(state, fx),
        Open => panes::open_selected(state, PaneKind::Shell, None, fx),
        Debug => {
            let kind = PaneKind::Debug {
                image: state.debug_image.clone(),
            };
            panes::open_selected(state, kind, None, fx)
        }
        Mark => {
            state.list.toggle_mark();
            state.list.move_selection(1);
        }
        MarkShown => state.list.toggle_mark_shown(),
        Broadcast => toggle_broadcast(state),
        OpenBeside => panes::open_selected(state, PaneKind::Shell, Some(Direction::Horizontal), fx),
        OpenBelow => panes::open_selected(state, PaneKind::Shell, Some(Direction::Vertical), fx),
        Logs => {
            let kind = PaneKind::Logs { timestamps: false };
            panes::open_selected(state, kind, None, fx)
        }
        Exec => {
            if let Some((container, name)) = running_selection(state) {
                state.mode = Mode::Exec(ExecForm::new(container, name));
            }
        }
        Inspect => {
            if let Some((container, name)) = selection(state) {
                state.mode = Mode::Inspect(InspectView::waiting(name.clone()));
                fx.push(Effect::Inspect {
                    host: container.host,
                    id: container.id,
                    name,
                });
            }
        }
        Files => {
            if let Some((container, name)) = selection(state) {
                let view = crate::state::files::FilesView::new(container.clone(), name);
                fx.push(Effect::ListPath {
                    host: container.host,
                    id: container.id,
                    path: view.path.clone(),
                    select: None,
                });
                state.mode = Mode::Files(view);
            }
        }
        Forward => {
            if let Some((container, name)) = running_selection(state) {
                state.mode = Mode::ForwardPrompt {
                    container,
                    name,
                    text: String::new(),
                    error: None,
                };
            }
        }
        Forwards => state.mode = Mode::Forwards(0),
        // Only in the files and forwards views.
        Parent | Save | Put | StopForward => {}
        Stats => {
            if let Some((container, name)) = running_selection(state) {
                state.mode = Mode::Stats { container, name };
            }
        }
        Restart => ask(state, Lifecycle::Restart),
        Kill => ask(state, Lifecycle::Kill),
        Pause => pause_or_unpause(state, fx),
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
        Stop => ask(state, Lifecycle::Stop),
        Remove => ask(state, Lifecycle::Remove),
        FocusPanes => {
            if let Some(p) = state.panes.order().first() {
                state.focus = Focus::Pane(*p);
            }
        }
        Help => state.mode = Mode::Help(0),
        Quit => dialogs::quit(state),
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
        DetachPane => {
            if let Some(p) = state.focused_pane() {
                panes::detach(state, p, fx);
            }
        }
        Record => {
            if let Some(p) = state.focused_pane() {
                panes::toggle_record(state, p, fx);
            }
        }
        Recordings => match state.recordings_dir.clone() {
            Some(dir) => {
                state.mode = Mode::Recordings(Default::default());
                fx.push(Effect::ListRecordings(dir));
            }
            None => {
                state.notice = Some(Notice {
                    text: "nowhere to find recordings: set XDG_DATA_HOME or HOME".into(),
                    error: true,
                });
            }
        },
        PlayPause => replay(state, ReplayCtl::Pause, fx),
        SeekBack => replay(state, ReplayCtl::Seek(-5.0), fx),
        SeekForward => replay(state, ReplayCtl::Seek(5.0), fx),
        Faster => replay(state, ReplayCtl::Faster, fx),
        Slower => replay(state, ReplayCtl::Slower, fx),
        Sessions => {
            state.mode = Mode::Sessions(SessionsPicker::new(state.list.hosts_up()));
            fx.push(Effect::ListSessions);
        }
        ScrollBack | ScrollUp => panes::scroll_half_page(state, 1),
        ScrollDown => panes::scroll_half_page(state, -1),
        LineUp => panes::scroll_lines(state, 1),
        LineDown => panes::scroll_lines(state, -1),
        Top => panes::scroll_lines(state, isize::MAX / 2),
        Bottom => panes::scroll_lines(state, isize::MIN / 2),
        Timestamps => panes::toggle_timestamps(state, fx),
        Search => {
            if let Some(pane) = state.focused_pane() {
                state.mode = Mode::Search {
                    pane,
                    query: String::new(),
                    up: true,
                };
            }
        }
        SearchNext => panes::search_again(state, true),
        SearchPrev => panes::search_again(state, false),
        CopyMode => {
            if let Some(pane) = state.focused_pane() {
                copy::enter(state, pane);
            }
        }
        Paste => copy::paste(state, fx),
        // Copy mode's own (see `copy::apply`).
        SearchBack | Left | Right | WordNext | WordPrev | WordEnd | LineStart | LineIndent
        | LineEnd | HalfPageUp | HalfPageDown | SelectChars | SelectLines | SelectBlock
        | CopySelection | LeaveCopy | ClearSelection => {}
        // The dialogs' own (see `dialogs`).
        NextField | PrevField | PrevHost | NextHost | Submit | Cancel | Yes | KeepSessions
        | EndSessions | ToggleRaw | Close | EndSession => {}
    }
}

/// Broadcast on for the focused pane's group (or every pane, from a pane
/// of no group), or off.
fn toggle_broadcast(state: &mut State) {
    use crate::state::Broadcast;
    state.broadcast = match state.broadcast {
        Some(_) => None,
        None => {
            let group = state
                .focused_pane()
                .and_then(|p| state.panes.get(p))
                .and_then(|p| p.group);
            Some(group.map_or(Broadcast::All, Broadcast::Group))
        }
    };
    let text = match state.focused_pane() {
        Some(p) if state.broadcast.is_some() => {
            let n = state.input_targets(p).len();
            format!("broadcast on: typing here goes to {n} panes")
        }
        _ if state.broadcast.is_some() => "broadcast on".to_string(),
        _ => "broadcast off".to_string(),
    };
    state.notice = Some(Notice { text, error: false });
}

/// The selected container and its name.
fn selection(state: &State) -> Option<(ContainerKey, String)> {
    state.list.selected().map(|(host, c)| {
        let key = ContainerKey {
            host,
            id: c.id.clone(),
        };
        (key, c.name.clone())
    })
}

/// The selected container if it runs; otherwise says why not.
fn running_selection(state: &mut State) -> Option<(ContainerKey, String)> {
    let (_, c) = state.list.selected()?;
    if !c.state.is_running() {
        let text = format!("{} is {}, not running", c.name, c.state);
        state.notice = Some(Notice { text, error: true });
        return None;
    }
    selection(state)
}

fn ask(state: &mut State, op: Lifecycle) {
    if let Some((container, name)) = selection(state) {
        state.mode = Mode::Confirm(Confirm {
            op,
            container,
            name,
        });
    }
}

/// Pausing is undone as easily as it is done, so it does not ask.
fn pause_or_unpause(state: &mut State, fx: &mut Vec<Effect>) {
    let Some((host, c)) = state.list.selected() else {
        return;
    };
    let op = match c.state {
        dockyard_client::container::ContainerState::Paused => Lifecycle::Unpause,
        _ if c.state.is_running() => Lifecycle::Pause,
        _ => {
            let text = format!("{} is {}, not running", c.name, c.state);
            state.notice = Some(Notice { text, error: true });
            return;
        }
    };
    let (id, name) = (c.id.clone(), c.name.clone());
    dialogs::carry_out(state, op, host, id, name, fx);
}

pub fn on_paste(state: &mut State, text: &str, fx: &mut Vec<Effect>) {
    match &mut state.mode {
        Mode::Filter => {
            let filter = format!("{}{}", state.list.filter(), text.replace(['\r', '\n'], ""));
            state.list.set_filter(filter);
        }
        Mode::Launch(form) => form.field_mut().push_str(&text.replace(['\r', '\n'], " ")),
        Mode::Search { query, .. } => query.push_str(&text.replace(['\r', '\n'], "")),
        Mode::Exec(form) => form.field_mut().push_str(&text.replace(['\r', '\n'], " ")),
        _ => {
            if let Some(p) = state.focused_pane() {
                panes::paste(state, p, text, fx);
            }
        }
    }
}

/// A key for the focused replay pane's player.
fn replay(state: &mut State, ctl: ReplayCtl, fx: &mut Vec<Effect>) {
    if let Some(pane) = state.focused_pane() {
        fx.push(Effect::ReplayControl { pane, ctl });
    }
}
