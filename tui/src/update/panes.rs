//! Opening, closing, focusing, zooming and scrolling panes, and what is
//! typed into them.

use bytes::Bytes;
use crossterm::event::KeyEvent;
use ratatui::layout::{Direction, Rect};

use crate::msg::Effect;
use crate::state::panes::{Pane, PaneId, PaneKind, PaneState, Search, inner};
use crate::state::{Focus, Notice, State};
use crate::term::encode;
use crate::term::layout;
use dockyard_term::search::Point;

fn error(state: &mut State, text: String) {
    state.notice = Some(Notice { text, error: true });
}

/// A pane of `kind` on the selected container: a shell or command if it
/// is running; its logs whatever its state.
pub fn open_selected(
    state: &mut State,
    kind: PaneKind,
    dir: Option<Direction>,
    fx: &mut Vec<Effect>,
) {
    let Some((host, c)) = state.list.selected() else {
        return error(state, "no container is selected in the list".into());
    };
    let logs = matches!(kind, PaneKind::Logs { .. } | PaneKind::File { .. });
    if !logs && !c.state.is_running() {
        let text = format!("{} is {}, not running", c.name, c.state);
        return error(state, text);
    }
    let name = c.name.clone();
    open(state, host, name, kind, dir, fx);
}

/// Another shell into the focused pane's container (or the selected
/// one), beside or below it.
pub fn split_focused(state: &mut State, dir: Direction, fx: &mut Vec<Effect>) {
    match state.focused_pane().and_then(|p| state.panes.get(p)) {
        // A shell's neighbour is another shell in its container.
        Some(p)
            if !matches!(
                p.kind,
                PaneKind::Replay { .. } | PaneKind::Logs { .. } | PaneKind::File { .. }
            ) =>
        {
            let (host, container) = (p.host, p.container.clone());
            open(state, host, container, PaneKind::Shell, Some(dir), fx);
        }
        // A recording has no container, and a log is read, not typed
        // into: the list's selected container (or why there is none).
        _ => open_selected(state, PaneKind::Shell, Some(dir), fx),
    }
}

/// A new pane beside the focused one (or the last one), split along
/// `dir` or, without one, along the target's longer side.
pub fn open(
    state: &mut State,
    host: usize,
    container: String,
    kind: PaneKind,
    dir: Option<Direction>,
    fx: &mut Vec<Effect>,
) {
    let Some(h) = state.list.host(host) else {
        return;
    };
    if h.status != crate::state::hosts::HostStatus::Up {
        let text = format!("{} is not connected", h.label);
        return error(state, text);
    }
    let host_label = h.label.clone();
    state.panes.set_zoom(None);
    let target = state.focused_pane();
    let dir = dir.unwrap_or_else(|| {
        let frame = state.frame();
        let area = target
            .or_else(|| state.panes.order().last().copied())
            .and_then(|t| frame.panes.iter().find(|(id, _)| *id == t))
            .map_or(state.area, |(_, r)| *r);
        layout::natural_split(area)
    });
    let id = state.panes.next_id();
    let pane = Pane::new(id, host, host_label, container.clone(), kind.clone());
    state
        .panes
        .insert(target, dir, pane.with_history(state.history));
    state.focus = Focus::Pane(id);
    // The session starts at the pane's real size, not a default.
    let size = area_of(state, id).map_or(Rect::new(0, 0, 80, 24), inner);
    if let Some(p) = state.panes.get_mut(id) {
        p.term.resize(size.height, size.width);
    }
    let (rows, cols) = (size.height.max(1), size.width.max(1));
    fx.push(Effect::OpenSession {
        pane: id,
        host,
        container,
        kind,
        rows,
        cols,
    });
}

/// Reopens the focused logs pane's log with timestamps on or off: the
/// engine adds them, so the log is read again.
pub fn toggle_timestamps(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(id) = state.focused_pane() else {
        return;
    };
    let Some(p) = state.panes.get_mut(id) else {
        return;
    };
    let PaneKind::Logs { timestamps } = p.kind else {
        return;
    };
    p.kind = PaneKind::Logs {
        timestamps: !timestamps,
    };
    let (rows, cols) = p.term.size();
    p.term.reset();
    p.state = PaneState::Starting;
    p.search = None;
    p.copy = None;
    fx.push(Effect::OpenSession {
        pane: id,
        host: p.host,
        container: p.container.clone(),
        kind: p.kind.clone(),
        rows,
        cols,
    });
}

fn area_of(state: &State, id: PaneId) -> Option<Rect> {
    state
        .frame()
        .panes
        .into_iter()
        .find(|(p, _)| *p == id)
        .map(|(_, r)| r)
}

/// Leaves the pane's session running at its agent; the pane goes when
/// the agent confirms.
pub fn detach(state: &mut State, id: PaneId, fx: &mut Vec<Effect>) {
    let Some(p) = state.panes.get(id) else {
        return;
    };
    if !p.is_live() || p.session_id.is_none() {
        let text = if p.is_logs() {
            "a logs pane has no session to detach from".to_string()
        } else if !p.is_live() {
            "this pane's session has ended".to_string()
        } else {
            format!("{} keeps no sessions (--detached-ttl 0)", p.host_label)
        };
        return error(state, text);
    }
    fx.push(Effect::DetachSession { pane: id });
}

/// `Ctrl-a r`: starts recording the pane's output (asciicast v2, into the
/// recordings directory), or stops and says where it went.
pub fn toggle_record(state: &mut State, id: PaneId, fx: &mut Vec<Effect>) {
    let Some(p) = state.panes.get_mut(id) else {
        return;
    };
    if let Some(path) = p.recording.take() {
        fx.push(Effect::Record { pane: id, to: None });
        state.notice = Some(Notice {
            text: format!("recording saved to {}", path.display()),
            error: false,
        });
        return;
    }
    if p.is_logs() || p.is_replay() {
        return error(state, "only shell and command panes are recorded".into());
    }
    if !p.is_live() {
        return error(state, "this pane's session has ended".into());
    }
    let Some(dir) = state.recordings_dir.clone() else {
        return error(
            state,
            "nowhere to put recordings: set XDG_DATA_HOME or HOME".into(),
        );
    };
    let now = chrono::Local::now();
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let path = dir.join(format!(
        "{}-{}-{}.cast",
        now.format("%Y%m%d-%H%M%S"),
        safe(&p.host_label),
        safe(&p.container)
    ));
    let command = match &p.kind {
        PaneKind::Shell => dockyard_client::exec_session::default_shell(),
        PaneKind::Command(spec) => spec.command.clone(),
        PaneKind::Attached { command, .. } => command.clone(),
        PaneKind::Logs { .. }
        | PaneKind::File { .. }
        | PaneKind::Replay { .. }
        | PaneKind::Debug { .. } => Vec::new(),
    };
    let (rows, cols) = p.term.size();
    let title = format!("{}/{}", p.host_label, p.container);
    let header = dockyard_cast::Header {
        env: vec![("TERM".into(), "xterm-256color".into())],
        ..dockyard_cast::Header::for_session(dockyard_term::Size::new(rows, cols), &command, title)
    };
    p.recording = Some(path.clone());
    fx.push(Effect::Record {
        pane: id,
        to: Some((path.clone(), header)),
    });
    state.notice = Some(Notice {
        text: format!("recording to {} (Ctrl-a r stops)", path.display()),
        error: false,
    });
}

/// A pane playing the recording `file` (no host needed).
pub fn open_replay(state: &mut State, file: std::path::PathBuf, fx: &mut Vec<Effect>) {
    state.panes.set_zoom(None);
    let target = state.focused_pane();
    let id = state.panes.next_id();
    let kind = PaneKind::Replay { file: file.clone() };
    let pane = Pane::new(id, 0, String::new(), String::new(), kind);
    state.panes.insert(
        target,
        Direction::Horizontal,
        pane.with_history(state.history),
    );
    state.focus = Focus::Pane(id);
    let size = area_of(state, id).map_or(Rect::new(0, 0, 80, 24), inner);
    if let Some(p) = state.panes.get_mut(id) {
        p.term.resize(size.height, size.width);
    }
    fx.push(Effect::OpenReplay { pane: id, file });
}

/// Removes a pane whose session is already over or elsewhere (detached).
pub fn forget(state: &mut State, id: PaneId) {
    if state.panes.remove(id).is_none() {
        return;
    }
    if state.focus == Focus::Pane(id) {
        state.focus = state
            .panes
            .order()
            .last()
            .map_or(Focus::List, |p| Focus::Pane(*p));
    }
}

/// Opens the sessions of panes that were waiting for `host` (restored
/// from the last workspace), at their sizes.
pub fn open_pending(state: &mut State, host: usize, fx: &mut Vec<Effect>) {
    let frame = state.frame();
    for (id, outer) in frame.panes {
        let Some(p) = state.panes.get_mut(id) else {
            continue;
        };
        if !p.pending || p.host != host {
            continue;
        }
        p.pending = false;
        let size = inner(outer);
        p.term.resize(size.height, size.width);
        fx.push(Effect::OpenSession {
            pane: id,
            host,
            container: p.container.clone(),
            kind: p.kind.clone(),
            rows: size.height,
            cols: size.width,
        });
    }
}

/// Closes a pane, ending its session. The focus moves to the last pane
/// left (or the list) only if it was on this one.
pub fn close(state: &mut State, id: PaneId, fx: &mut Vec<Effect>) {
    if state.panes.remove(id).is_none() {
        return;
    }
    fx.push(Effect::CloseSession { pane: id });
    if state.focus == Focus::Pane(id) {
        state.focus = state
            .panes
            .order()
            .last()
            .map_or(Focus::List, |p| Focus::Pane(*p));
    }
}

pub fn toggle_zoom(state: &mut State) {
    if let Some(p) = state.focused_pane() {
        let zoomed = state.panes.zoomed() == Some(p);
        state.panes.set_zoom((!zoomed).then_some(p));
    }
}

pub fn cycle(state: &mut State, delta: isize) {
    let order = state.panes.order();
    if order.is_empty() {
        return;
    }
    let cur = state
        .focused_pane()
        .and_then(|p| order.iter().position(|x| *x == p));
    let n = order.len() as isize;
    let next = match cur {
        Some(i) => (i as isize + delta).rem_euclid(n) as usize,
        None => 0,
    };
    state.focus = Focus::Pane(order[next]);
    if state.panes.zoomed().is_some() {
        state.panes.set_zoom(Some(order[next]));
    }
}

pub fn move_focus(state: &mut State, dx: i32, dy: i32) {
    let frame = state.frame();
    match state.focused_pane() {
        Some(p) => {
            if let Some(n) = layout::neighbour(&frame.panes, p, dx, dy) {
                state.focus = Focus::Pane(n);
            } else if dy < 0 && frame.list.is_some() {
                state.focus = Focus::List;
            }
        }
        None if dy > 0 => {
            if let Some((p, _)) = frame.panes.first() {
                state.focus = Focus::Pane(*p);
            }
        }
        None => {}
    }
}

/// Half a screen back (+1) or forward (-1) in the focused pane.
pub fn scroll_half_page(state: &mut State, sign: isize) {
    if let Some(p) = state.focused_pane().and_then(|p| state.panes.get_mut(p)) {
        let half = (p.term.size().0 as isize / 2).max(1);
        p.term.scroll(sign * half);
    }
}

/// `delta` lines back (positive) or forward in the focused pane.
pub fn scroll_lines(state: &mut State, delta: isize) {
    if let Some(p) = state.focused_pane().and_then(|p| state.panes.get_mut(p)) {
        p.term.scroll(delta);
    }
}

/// Searches the pane's kept lines back from the bottom of what is shown
/// for `query` (smart case: case-blind unless it has a capital), showing
/// the match; the same search as copy mode's, a line at a time.
pub fn search(state: &mut State, pane: PaneId, query: String) {
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    if query.is_empty() {
        p.search = None;
        return;
    }
    // From past the end of the bottom line, so that line is searched too.
    let from = Point {
        line: p.term.bottom_line(),
        col: u16::MAX,
    };
    p.search = Some(Search { query, line: None });
    find_from(state, pane, from, true);
}

/// The next match older (`backward`) or newer than the current one.
pub fn search_again(state: &mut State, backward: bool) {
    let Some(pane) = state.focused_pane() else {
        return;
    };
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    let Some(line) = p.search.as_ref().map(|s| s.line) else {
        return error(state, "no search yet: / searches".into());
    };
    // Past the current match's line, whichever way.
    let from = match line {
        Some(line) if backward => Point { line, col: 0 },
        Some(line) => Point {
            line,
            col: u16::MAX,
        },
        None => Point {
            line: p.term.bottom_line(),
            col: u16::MAX,
        },
    };
    find_from(state, pane, from, backward);
}

fn find_from(state: &mut State, pane: PaneId, from: Point, backward: bool) {
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    let Some(search) = p.search.as_mut() else {
        return;
    };
    match dockyard_term::search::find(p.term.terminal(), &search.query, from, backward) {
        Some(found) => {
            search.line = Some(found.at.line);
            p.term.show_line(found.at.line);
            if found.wrapped {
                let end = if backward { "bottom" } else { "top" };
                let text = format!("search went round from the {end}");
                state.notice = Some(Notice { text, error: false });
            }
        }
        None => {
            let text = format!("'{}' not found", search.query);
            error(state, text);
        }
    }
}

/// A key typed into a pane, as each receiving program's terminal modes
/// want it (with broadcast on, every pane that takes input receives it).
pub fn send_key(state: &mut State, p: PaneId, key: KeyEvent, fx: &mut Vec<Effect>) {
    for target in state.input_targets(p) {
        let Some(pane) = state.panes.get(target) else {
            continue;
        };
        if let Some(bytes) = encode::encode_key(key, pane.term.modes()) {
            send(state, target, bytes, fx);
        }
    }
}

/// A paste into a pane (and, with broadcast on, every pane that takes
/// input), bracketed where the program asked for it.
pub fn paste(state: &mut State, p: PaneId, text: &str, fx: &mut Vec<Effect>) {
    for target in state.input_targets(p) {
        if let Some(pane) = state.panes.get(target) {
            let bytes = encode::encode_paste(text, pane.term.modes());
            send(state, target, bytes, fx);
        }
    }
}

/// Input for a pane's program; typing returns the view to the live screen.
pub fn send(state: &mut State, p: PaneId, data: Vec<u8>, fx: &mut Vec<Effect>) {
    if let Some(pane) = state.panes.get_mut(p)
        && pane.is_live()
    {
        pane.term.scroll_to_bottom();
        fx.push(Effect::Input {
            pane: p,
            data: Bytes::from(data),
        });
    }
}

/// Opens a shell pane for each marked container that runs, tiled (each
/// new pane splits the last along its longer side), as one group for
/// broadcast; the marks are then cleared.
pub fn open_marked(state: &mut State, fx: &mut Vec<Effect>) {
    let marked: Vec<(usize, String, bool)> = state
        .list
        .marked()
        .iter()
        .map(|(h, c)| (*h, c.name.clone(), c.state.is_running()))
        .collect();
    state.last_group += 1;
    let group = state.last_group;
    let mut skipped = Vec::new();
    for (host, name, running) in marked {
        if !running {
            skipped.push(name);
            continue;
        }
        open(state, host, name, PaneKind::Shell, None, fx);
        if let Some(p) = state.focused_pane().and_then(|p| state.panes.get_mut(p)) {
            p.group = Some(group);
        }
    }
    state.list.clear_marks();
    if !skipped.is_empty() {
        error(
            state,
            format!("not running, not opened: {}", skipped.join(", ")),
        );
    }
}
