//! The status line: where the focus is and what state it is in, the
//! last notice, and hints generated from the keymap.

use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::input::keyspec::display;
use crate::input::{Action, Context};
use crate::state::panes::PaneState;
use crate::state::{Focus, Mode, State};

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn left(state: &State) -> String {
    if let Mode::Search { query, pane, up } = &state.mode {
        let how = if *up && state.panes.get(*pane).is_some_and(|p| p.copy.is_some()) {
            '?'
        } else {
            '/'
        };
        return format!(" search: {how}{}█", printable(query));
    }
    match state.focus {
        Focus::Pane(p) => state.panes.get(p).map(|pane| {
            if pane.is_replay() {
                return format!(" {}", pane.title());
            }
            let how = match &pane.state {
                PaneState::Starting => "starting".to_string(),
                PaneState::Running => "running".to_string(),
                PaneState::Reconnecting => {
                    "connection lost: reconnecting (the session runs on)".to_string()
                }
                PaneState::Exited(_) if pane.is_logs() => "ended (q closes)".to_string(),
                PaneState::Exited(c) => format!("exited {c} (Enter closes)"),
                PaneState::Failed(m) => format!("failed: {m}"),
            };
            let targets = state.input_targets(p).len();
            let broadcast = if targets > 1 {
                format!(" · typing to {targets} panes")
            } else {
                String::new()
            };
            format!(
                " {}/{} · {how}{broadcast}",
                printable(&pane.host_label),
                printable(&pane.container)
            )
        }),
        Focus::List => Some(format!(
            " {} · {}",
            plural(state.list.hosts().len(), "host"),
            plural(state.panes.len(), "pane")
        )),
    }
    .unwrap_or_default()
}

/// The keys worth knowing now, from the keymap.
fn hints(state: &State) -> String {
    let keymap = &state.keymap;
    if matches!(state.mode, Mode::Leader) {
        return format!(" LEADER: {} ", keymap.hints(Context::Leader));
    }
    let help = keymap
        .key_for(Context::Leader, Action::Help)
        .map(|k| format!("{} {k} help", display(keymap.leader())))
        .unwrap_or_default();
    if let Mode::Search { pane, up, .. } = &state.mode {
        let copy = state.panes.get(*pane).is_some_and(|p| p.copy.is_some());
        let way = match (copy, up) {
            (true, true) => "up",
            (true, false) => "down",
            (false, _) => "back",
        };
        let keys = |a| keymap.keys_for(Context::Prompt, a);
        return format!(
            " {} search {way} · {} cancel ",
            keys(Action::Submit),
            keys(Action::Cancel)
        );
    }
    match state.focus {
        Focus::Pane(p) if state.panes.get(p).is_some_and(|p| p.copy.is_some()) => {
            format!(" COPY {} ", keymap.hints(Context::Copy))
        }
        Focus::List if state.panes.is_empty() => {
            format!(" {} ", keymap.hints(Context::List))
        }
        Focus::Pane(p) if state.panes.get(p).is_some_and(|p| p.is_logs()) => {
            format!(" {} · {help} ", keymap.hints(Context::LogsPane))
        }
        Focus::Pane(p) if state.panes.get(p).is_some_and(|p| p.is_replay()) => {
            format!(" {} · {help} ", keymap.hints(Context::ReplayPane))
        }
        _ => format!(" {help} "),
    }
}

pub fn draw(f: &mut Frame, state: &State, area: Rect) {
    let right = hints(state);
    let leader = matches!(state.mode, Mode::Leader);
    // After the leader, the keys are what the user is looking for.
    let left = if leader { String::new() } else { left(state) };
    let mut spans = vec![Span::styled(
        left,
        Style::default().fg(Color::White).bg(Color::DarkGray),
    )];
    if let Some(n) = state.notice.as_ref().filter(|_| !leader) {
        let style = if n.error {
            Style::default().fg(Color::White).bg(Color::Red)
        } else {
            Style::default().fg(Color::Black).bg(Color::Green)
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {} ", printable(&n.text)), style));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.chars().count());
    spans.push(Span::styled(
        " ".repeat(pad),
        Style::default().bg(Color::DarkGray),
    ));
    spans.push(Span::styled(
        right,
        if leader {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::default().fg(Color::White).bg(Color::DarkGray)
        },
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use crate::state::Notice;
    use crate::ui::testing::{
        SIZES, bottom_line, key, render, state_with_containers, state_with_panes,
    };
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn status_lines() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web"]);
            s.state.notice = Some(Notice {
                text: "stopped web".into(),
                error: false,
            });
            let list = bottom_line(&render(&s.state, w, h));
            let mut s = state_with_panes(w, h, 1);
            s.state.notice = Some(Notice {
                text: "web: Container 'web' not found".into(),
                error: true,
            });
            let pane = bottom_line(&render(&s.state, w, h));
            s.send(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
            let leader = bottom_line(&render(&s.state, w, h));
            insta::assert_snapshot!(
                format!("status_{w}x{h}"),
                format!("{list}\n{pane}\n{leader}")
            );
        }
    }
}
