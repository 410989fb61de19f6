//! The help: every binding, generated from the keymap (so a configured
//! leader or override shows as it is), in as many columns as fit, and
//! scrolled when even they do not.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use crate::state::State;

/// Columns at most, and the blank between two.
const MAX_COLUMNS: usize = 3;
const GAP: u16 = 2;

/// A line of the help: a section's title, or a binding.
enum Item {
    Title(String),
    Binding(String, String),
}

impl Item {
    /// Columns it takes with its column's keys `keys` wide.
    fn width(&self, keys: usize) -> usize {
        match self {
            Item::Title(t) => t.chars().count(),
            Item::Binding(_, what) => keys + 1 + what.chars().count(),
        }
    }
}

/// The widest keys of a column.
fn keys_width(items: &[Item]) -> usize {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Binding(keys, _) => Some(keys.chars().count()),
            Item::Title(_) => None,
        })
        .max()
        .unwrap_or(0)
}

/// A column as wide as its widest entry.
fn column_width(items: &[Item]) -> u16 {
    let keys = keys_width(items);
    let w = items.iter().map(|i| i.width(keys)).max().unwrap_or(0);
    u16::try_from(w).unwrap_or(u16::MAX)
}

/// The most columns (up to three) whose entries all fit side by side in
/// `room`, each as wide as its widest entry; one when none do (it is
/// then cut at the edge).
fn layout(items: &[Item], room: u16) -> (usize, Vec<u16>) {
    for columns in (1..=MAX_COLUMNS).rev() {
        let per_column = items.len().div_ceil(columns).max(1);
        let widths: Vec<u16> = items.chunks(per_column).map(column_width).collect();
        let total = widths.iter().sum::<u16>() + GAP * (widths.len() as u16).saturating_sub(1);
        if total <= room || columns == 1 {
            return (per_column, widths);
        }
    }
    (items.len().max(1), vec![room])
}

pub fn draw(f: &mut Frame, state: &State, scroll: u16) {
    let items = help_items(state);
    let area = f.area();
    let (per_column, widths) = layout(&items, area.width.saturating_sub(2));
    let total = widths.iter().sum::<u16>() + GAP * (widths.len() as u16).saturating_sub(1);
    let height = (per_column as u16 + 2).min(area.height.saturating_sub(1));
    let area = centered(area, total.saturating_add(2), height);
    let visible = usize::from(height.saturating_sub(2));
    let more = per_column > visible;
    let scroll = usize::from(scroll).min(per_column.saturating_sub(visible));
    let title = if more {
        " Keys (↑↓ PgUp PgDn scroll, any other key closes) "
    } else {
        " Keys (any key closes) "
    };
    let block = Block::bordered()
        .title(title)
        .border_style(Style::default().fg(Color::Cyan));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let constraints = widths.iter().map(|w| Constraint::Length(*w));
    let areas = Layout::horizontal(constraints).spacing(GAP).split(inner);
    for (column, chunk) in items.chunks(per_column).enumerate() {
        f.render_widget(Paragraph::new(column_lines(chunk, scroll)), areas[column]);
    }
}

/// One column's lines, its keys aligned.
fn column_lines(items: &[Item], scroll: usize) -> Vec<Line<'static>> {
    let width = keys_width(items);
    items
        .iter()
        .skip(scroll)
        .map(|i| match i {
            Item::Title(t) => Line::from(Span::styled(
                t.clone(),
                Style::default()
                    .add_modifier(Modifier::BOLD)
                    .fg(Color::Yellow),
            )),
            Item::Binding(keys, what) => Line::raw(format!("{keys:<width$} {what}")),
        })
        .collect()
}

/// Every section's title and bindings, in order.
fn help_items(state: &State) -> Vec<Item> {
    let mut out = Vec::new();
    for (title, bindings) in state.keymap.help_sections() {
        out.push(Item::Title(title));
        out.extend(bindings.into_iter().map(|(k, w)| Item::Binding(k, w)));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::input::{Keymap, parse_leader};
    use crate::ui::testing::{SIZES, key, render, state_with_containers};
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn help() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web"]);
            s.send(key(KeyCode::Char('?'), KeyModifiers::NONE));
            insta::assert_snapshot!(format!("help_{w}x{h}"), render(&s.state, w, h));
        }
    }

    #[test]
    fn help_under_another_leader_never_says_ctrl_a() {
        let mut s = state_with_containers(120, 40, &["web"]);
        s.state.keymap = Keymap::new(parse_leader("ctrl-b").expect("leader"));
        s.send(key(KeyCode::Char('?'), KeyModifiers::NONE));
        let screen = render(&s.state, 120, 40);
        assert!(!screen.contains("Ctrl-a"), "{screen}");
        assert!(screen.contains("Leader (Ctrl-b), then"), "{screen}");
    }

    /// Every column is as wide as its widest entry, side by side within
    /// the screen: no entry runs into the next column (it did at 160x45:
    /// "copy mode: select, searw").
    #[test]
    fn columns_never_overlap() {
        for (w, h) in [(80, 24), (120, 40), (160, 45), (200, 60)] {
            let s = state_with_containers(w, h, &["web"]);
            let items = super::help_items(&s.state);
            let (per_column, widths) = super::layout(&items, w - 2);
            let total: u16 = widths.iter().sum::<u16>() + super::GAP * (widths.len() as u16 - 1);
            assert!(total <= w - 2, "{w}x{h}: {widths:?}");
            for (chunk, width) in items.chunks(per_column).zip(&widths) {
                let keys = super::keys_width(chunk);
                assert!(chunk.iter().all(|i| i.width(keys) <= usize::from(*width)));
            }
        }
        let mut s = state_with_containers(160, 45, &["web"]);
        s.send(key(KeyCode::Char('?'), KeyModifiers::NONE));
        let screen = render(&s.state, 160, 45);
        // (The longest entry of its column, whole.)
        assert!(
            screen.contains("cancel (a launch under way goes on)"),
            "{screen}"
        );
        insta::assert_snapshot!("help_160x45", screen);
    }

    /// At 80x24 the help does not fit: it scrolls to its last line.
    #[test]
    fn help_scrolls_to_the_end() {
        let mut s = state_with_containers(80, 24, &["web"]);
        s.send(key(KeyCode::Char('?'), KeyModifiers::NONE));
        assert!(!render(&s.state, 80, 24).contains("yes, end it"));
        for _ in 0..10 {
            s.send(key(KeyCode::PageDown, KeyModifiers::NONE));
        }
        let screen = render(&s.state, 80, 24);
        assert!(screen.contains("yes, end it"), "{screen}");
        s.send(key(KeyCode::Char('x'), KeyModifiers::NONE));
        assert_eq!(s.state.mode, crate::state::Mode::Normal);
    }
}
