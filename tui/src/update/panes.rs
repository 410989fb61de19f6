//! Opening, closing, focusing, zooming and scrolling panes, and what is
//! typed into them.

use bytes::Bytes;
use crossterm::event::KeyEvent;
use ratatui::layout::{Direction, Rect};

use crate::msg::Effect;
use crate::state::panes::{Pane, PaneId, PaneState, inner};
use crate::state::{Focus, Notice, State};
use crate::term::encode;
use crate::term::layout;
use crate::term::screen::TermScreen;

fn error(state: &mut State, text: String) {
    state.notice = Some(Notice { text, error: true });
}

/// A shell into the selected container, if it is running.
pub fn open_selected(state: &mut State, dir: Option<Direction>, fx: &mut Vec<Effect>) {
    let Some((host, c)) = state.list.selected() else {
        return;
    };
    if !c.state.is_running() {
        let text = format!("{} is {}, not running", c.name, c.state);
        return error(state, text);
    }
    let name = c.name.clone();
    open(state, host, name, dir, fx);
}

/// Another shell into the focused pane's container (or the selected
/// one), beside or below it.
pub fn split_focused(state: &mut State, dir: Direction, fx: &mut Vec<Effect>) {
    match state.focused_pane().and_then(|p| state.panes.get(p)) {
        Some(p) => {
            let (host, container) = (p.host, p.container.clone());
            open(state, host, container, Some(dir), fx);
        }
        None => open_selected(state, Some(dir), fx),
    }
}

/// A new pane beside the focused one (or the last one), split along
/// `dir` or, without one, along the target's longer side.
pub fn open(
    state: &mut State,
    host: usize,
    container: String,
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
    state.panes.insert(
        target,
        dir,
        Pane {
            id,
            host,
            host_label,
            container: container.clone(),
            term: TermScreen::new(24, 80),
            state: PaneState::Starting,
        },
    );
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

/// A key typed into a pane, as its program's terminal modes want it.
pub fn send_key(state: &mut State, p: PaneId, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(pane) = state.panes.get(p) else {
        return;
    };
    if let Some(bytes) = encode::encode_key(key, pane.term.modes()) {
        send(state, p, bytes, fx);
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
