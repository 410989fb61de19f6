//! The help: every binding, generated from the keymap (so a configured
//! leader or override shows as it is), in two columns.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use crate::state::State;

pub fn draw(f: &mut Frame, state: &State) {
    let sections = state.keymap.help_sections();
    // The list's keys on the left; the leader's and the panes' on the
    // right, so it all fits an 80x24 terminal.
    let (left, right) = sections.split_at(1);
    let lines = |sections: &[(String, Vec<(String, String)>)]| -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for (title, bindings) in sections {
            out.push(Line::from(Span::styled(
                title.clone(),
                Style::default()
                    .add_modifier(Modifier::BOLD)
                    .fg(Color::Yellow),
            )));
            for (keys, what) in bindings {
                out.push(Line::raw(format!("{keys:<13} {what}")));
            }
        }
        out
    };
    let (left, right) = (lines(left), lines(right));
    let height = left.len().max(right.len()) as u16 + 2;
    let area = centered(f.area(), 100, height);
    let block = Block::bordered()
        .title(" Keys (any key closes) ")
        .border_style(Style::default().fg(Color::Cyan));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(inner);
    f.render_widget(Paragraph::new(left), l);
    f.render_widget(Paragraph::new(right), r);
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
        let mut s = state_with_containers(80, 24, &["web"]);
        s.state.keymap = Keymap::new(parse_leader("ctrl-b").expect("leader"));
        s.send(key(KeyCode::Char('?'), KeyModifiers::NONE));
        let screen = render(&s.state, 80, 24);
        assert!(!screen.contains("Ctrl-a"), "{screen}");
        assert!(screen.contains("Leader (Ctrl-b), then"), "{screen}");
    }
}
