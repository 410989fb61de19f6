//! The forward prompt and the forwards' view.

use dockyard_client::text::{decimal_bytes, printable};
use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use crate::input::Context;
use crate::state::State;

pub fn draw_prompt(f: &mut Frame, name: &str, text: &str, error: Option<&str>) {
    let area = centered(f.area(), 72, 7);
    f.render_widget(Clear, area);
    let mut lines = vec![
        Line::raw(format!(
            "Forward a port of {}: LOCAL_PORT:PORT, :PORT (a free one) or PORT",
            printable(name)
        )),
        Line::raw(""),
        Line::from(vec![
            Span::styled("port: ", Style::default().fg(Color::Yellow)),
            Span::raw(printable(text)),
            Span::styled("▏", Style::default().fg(Color::Yellow)),
        ]),
    ];
    if let Some(e) = error {
        lines.push(Line::styled(printable(e), Style::default().fg(Color::Red)));
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Port forward ")
                .border_style(Style::default().fg(Color::Yellow)),
        ),
        area,
    );
}

pub fn draw_view(f: &mut Frame, state: &State, selected: usize) {
    let rows = &state.forwards.rows;
    let height = (rows.len() as u16).max(1) + 2;
    let area = centered(f.area(), 110, height);
    f.render_widget(Clear, area);
    let mut lines = Vec::new();
    if rows.is_empty() {
        lines.push(Line::styled(
            "no port forwards: F on a running container starts one",
            Style::default().fg(Color::DarkGray),
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        let at = if r.listening.is_empty() {
            if r.failed {
                "not listening".to_string()
            } else {
                "starting…".to_string()
            }
        } else {
            r.listening.join(" ")
        };
        let mut spans = vec![Span::raw(format!(
            "{} {at} -> {}  {} open, {} in all  ↑{} ↓{}",
            printable(&r.container),
            r.remote,
            r.open,
            r.total,
            decimal_bytes(r.sent),
            decimal_bytes(r.received),
        ))];
        if let Some(e) = &r.error {
            spans.push(Span::styled(
                format!("  {}", printable(e)),
                Style::default().fg(Color::Red),
            ));
        }
        let mut line = Line::from(spans);
        if i == selected {
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Port forwards (they end with the TUI) ")
                .title_bottom(format!(" {} ", state.keymap.hints(Context::ForwardsView)))
                .border_style(Style::default().fg(Color::Cyan)),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use crate::msg::{Effect, Msg};
    use crate::state::forwards::ForwardNews;
    use crate::ui::testing::{key, render, state_with_containers};
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn forwarding_a_port() {
        let mut s = state_with_containers(120, 30, &["web"]);
        s.send(key(KeyCode::Char('F'), KeyModifiers::SHIFT));
        let screen = render(&s.state, 120, 30);
        assert!(screen.contains("Forward a port of web"), "{screen}");
        s.send(key(KeyCode::Char('x'), KeyModifiers::NONE));
        let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
        assert!(fx.is_empty(), "{fx:?}");
        let screen = render(&s.state, 120, 30);
        assert!(screen.contains("invalid port 'x'"), "{screen}");
        s.send(key(KeyCode::Backspace, KeyModifiers::NONE));
        for c in ":80".chars() {
            s.send(key(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
        let id = match &fx[..] {
            [Effect::StartForward { id, spec, .. }] if spec == ":80" => *id,
            other => panic!("{other:?}"),
        };
        s.send(Msg::Forward {
            id,
            news: ForwardNews::Listening(vec!["127.0.0.1:40001".into()]),
        });
        s.send(Msg::Forward {
            id,
            news: ForwardNews::Opened,
        });
        s.send(Msg::Forward {
            id,
            news: ForwardNews::Moved {
                sent: 100,
                received: 2048,
            },
        });
        s.send(Msg::Forward {
            id,
            news: ForwardNews::Closed { refused: None },
        });
        let screen = render(&s.state, 120, 30);
        assert!(
            screen.contains("web 127.0.0.1:40001 -> 80  0 open, 1 in all  ↑100B ↓2.05kB"),
            "{screen}"
        );
        let fx = s.send(key(KeyCode::Char('x'), KeyModifiers::NONE));
        assert!(
            matches!(&fx[..], [Effect::StopForward { id: i }] if *i == id),
            "{fx:?}"
        );
        assert!(s.state.forwards.rows.is_empty());
    }
}
