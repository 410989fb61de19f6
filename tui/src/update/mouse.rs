//! The mouse: a click focuses what is under it, a pane whose program
//! asked for mouse events gets them, the wheel scrolls a pane's history
//! or the list. A drag selects text in the pane it started in (never its
//! neighbour's: the pointer is held to that pane) and copies it on
//! release; a double click selects a word, a triple click a line. Over a
//! program that takes the mouse, Shift+drag selects (as in tmux, xterm).

use std::time::{Duration, Instant};

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::{copy, panes};
use crate::msg::Effect;
use crate::state::panes::{PaneId, inner};
use crate::state::{Focus, Press, State};
use crate::term::copy::{CopyMode, Kind, Point};
use crate::term::encode;

/// Clicks closer together than this (at one place) count as one double
/// or triple click.
const MULTI_CLICK: Duration = Duration::from_millis(400);

pub fn on_mouse(state: &mut State, m: MouseEvent, fx: &mut Vec<Effect>) {
    // A press starts afresh (one whose release never came, outside the
    // window, is forgotten).
    if matches!(m.kind, MouseEventKind::Down(_)) {
        state.press = None;
    }
    // A drag and its release belong to the pane it started in, wherever
    // the pointer went.
    if let Some(press) = state.press
        && matches!(
            m.kind,
            MouseEventKind::Drag(MouseButton::Left) | MouseEventKind::Up(MouseButton::Left)
        )
    {
        return on_selecting(state, press, m, fx);
    }
    let frame = state.frame();
    let at = Position::new(m.column, m.row);
    if let Some((id, outer)) = frame.panes.iter().find(|(_, r)| r.contains(at)).copied() {
        return on_pane(state, id, outer, m, fx);
    }
    if let Some(list) = frame.list.filter(|r| r.contains(at)) {
        on_list(state, list, m);
    }
}

fn on_pane(state: &mut State, id: PaneId, outer: Rect, m: MouseEvent, fx: &mut Vec<Effect>) {
    let Some(pane) = state.panes.get_mut(id) else {
        return;
    };
    let area = inner(outer);
    let inside = area.contains(Position::new(m.column, m.row));
    let program_takes_it = inside
        && encode::encode_mouse(m, m.column - area.x, m.row - area.y, pane.term.modes()).is_some();
    let selects = !program_takes_it || m.modifiers.contains(KeyModifiers::SHIFT);
    if m.kind == MouseEventKind::Down(MouseButton::Left) && inside && selects {
        state.focus = Focus::Pane(id);
        return on_press(state, id, area, m);
    }
    if matches!(m.kind, MouseEventKind::Down(_)) && state.focus != Focus::Pane(id) {
        state.focus = Focus::Pane(id);
        return;
    }
    if program_takes_it
        && let Some(bytes) =
            encode::encode_mouse(m, m.column - area.x, m.row - area.y, pane.term.modes())
    {
        return panes::send(state, id, bytes, fx);
    }
    match m.kind {
        MouseEventKind::ScrollUp => pane.term.scroll(3),
        MouseEventKind::ScrollDown => pane.term.scroll(-3),
        _ => {}
    }
}

fn on_list(state: &mut State, list: Rect, m: MouseEvent) {
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            state.focus = Focus::List;
            // Table rows start below the border and the header; hosts
            // that are down come first, then containers.
            let top = list.y + 2;
            if m.row >= top && m.row < list.bottom().saturating_sub(1) {
                let row = state.list_offset(list) + usize::from(m.row - top);
                if let Some(i) = row.checked_sub(state.list.hosts_down())
                    && i < state.list.rows().len()
                {
                    state.list.select_index(i);
                }
            }
        }
        MouseEventKind::ScrollUp => state.list.move_selection(-1),
        MouseEventKind::ScrollDown => state.list.move_selection(1),
        _ => {}
    }
}

/// The line and column under the pointer, held inside the pane's area.
fn point(state: &State, pane: PaneId, area: Rect, column: u16, row: u16) -> Option<Point> {
    let term = &state.panes.get(pane)?.term;
    let x = column.clamp(area.x, area.right().saturating_sub(1)) - area.x;
    let y = row.clamp(area.y, area.bottom().saturating_sub(1)) - area.y;
    Some(Point {
        line: term.top_line() + usize::from(y),
        col: x,
    })
}

/// The left button pressed in a pane: the start of a drag, or (clicked
/// again at once) a word or a line selected.
fn on_press(state: &mut State, pane: PaneId, area: Rect, m: MouseEvent) {
    let Some(at) = point(state, pane, area, m.column, m.row) else {
        return;
    };
    let now = Instant::now();
    let clicks = match state.last_click {
        Some(p)
            if p.pane == pane
                && (p.column, p.row) == (m.column, m.row)
                && now.duration_since(p.when) < MULTI_CLICK =>
        {
            p.clicks % 3 + 1
        }
        _ => 1,
    };
    let press = Press {
        pane,
        at,
        clicks,
        when: now,
        column: m.column,
        row: m.row,
    };
    state.press = Some(press);
    state.last_click = Some(press);
    if clicks == 1 {
        return;
    }
    let Some(p) = state.panes.get_mut(pane) else {
        return;
    };
    let mut mode = CopyMode::new(&p.term);
    mode.by_mouse = true;
    mode.cursor = at;
    if clicks == 2 {
        mode.select_word(&mut p.term);
    } else {
        mode.selection = Some((Kind::Lines, at));
    }
    // A double click where there is no word selects nothing.
    if mode.selection.is_some() {
        p.copy = Some(mode);
    }
}

/// A drag (the selection follows the pointer) or the release (what is
/// selected is copied).
fn on_selecting(state: &mut State, press: Press, m: MouseEvent, fx: &mut Vec<Effect>) {
    let area = state
        .frame()
        .panes
        .iter()
        .find(|(id, _)| *id == press.pane)
        .map(|(_, outer)| inner(*outer));
    let Some(area) = area else {
        state.press = None;
        return;
    };
    if m.kind == MouseEventKind::Up(MouseButton::Left) {
        state.press = None;
        let by_mouse = state
            .panes
            .get(press.pane)
            .and_then(|p| p.copy.as_ref())
            .filter(|c| c.by_mouse)
            .map(|c| c.selection.is_some());
        match by_mouse {
            Some(true) => copy::copy_selection(state, press.pane, fx),
            Some(false) => copy::leave(state, press.pane),
            None => {}
        }
        return;
    }
    let Some(to) = point(state, press.pane, area, m.column, m.row) else {
        return;
    };
    let Some(p) = state.panes.get_mut(press.pane) else {
        return;
    };
    let mode = p.copy.get_or_insert_with(|| {
        let mut mode = CopyMode::new(&p.term);
        mode.by_mouse = true;
        mode
    });
    if mode.selection.is_none() {
        mode.selection = Some((Kind::Chars, press.at));
    }
    mode.cursor = to;
}
