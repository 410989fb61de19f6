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

/// Room for one column: keys, a space, what they do.
const COLUMN: u16 = 39;

/// A line of the help: a section's title, or a binding.
enum Item {
    Title(String),
    Binding(String, String),
}

pub fn draw(f: &mut Frame, state: &State, scroll: u16) {
    let items = help_items(state);
    let area = f.area();
    let columns = (area.width.saturating_sub(2) / COLUMN).clamp(1, 3) as usize;
    let per_column = items.len().div_ceil(columns);
    let height = (per_column as u16 + 2).min(area.height.saturating_sub(1));
    let area = centered(area, COLUMN * columns as u16 + 2, height);
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
    let areas = Layout::horizontal(vec![Constraint::Fill(1); columns]).split(inner);
    for (column, chunk) in items.chunks(per_column.max(1)).enumerate() {
        f.render_widget(Paragraph::new(column_lines(chunk, scroll)), areas[column]);
    }
}

/// One column's lines, its keys aligned.
fn column_lines(items: &[Item], scroll: usize) -> Vec<Line<'static>> {
    let width = items
        .iter()
        .filter_map(|i| match i {
            Item::Binding(keys, _) => Some(keys.chars().count()),
            Item::Title(_) => None,
        })
        .max()
        .unwrap_or(0);
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

    /// At 80x24 the help does not fit: it scrolls to its last line.
    #[test]
    fn help_scrolls_to_the_end() {
        let mut s = state_with_containers(80, 24, &["web"]);
        s.send(key(KeyCode::Char('?'), KeyModifiers::NONE));
        assert!(!render(&s.state, 80, 24).contains("leave copy mode"));
        for _ in 0..3 {
            s.send(key(KeyCode::PageDown, KeyModifiers::NONE));
        }
        let screen = render(&s.state, 80, 24);
        assert!(screen.contains("leave copy mode"), "{screen}");
        s.send(key(KeyCode::Char('x'), KeyModifiers::NONE));
        assert_eq!(s.state.mode, crate::state::Mode::Normal);
    }
}
