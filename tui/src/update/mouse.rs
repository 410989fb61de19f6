//! The mouse: a click focuses what is under it, a pane whose program
//! asked for mouse events gets them, the wheel scrolls a pane's history
//! or the list.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::panes;
use crate::msg::Effect;
use crate::state::panes::{PaneId, inner};
use crate::state::{Focus, State};
use crate::term::encode;

pub fn on_mouse(state: &mut State, m: MouseEvent, fx: &mut Vec<Effect>) {
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
    if matches!(m.kind, MouseEventKind::Down(_)) && state.focus != Focus::Pane(id) {
        state.focus = Focus::Pane(id);
        return;
    }
    let area = inner(outer);
    if area.contains(Position::new(m.column, m.row))
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
