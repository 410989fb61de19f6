//! The launch form: host, fields with hints, pull progress, the error.

use crate::input::{Action, Context, Keymap};
use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use crate::state::State;
use crate::state::launch_form::{FIELDS, HINTS, LaunchForm};

pub fn draw(f: &mut Frame, state: &State, form: &LaunchForm) {
    let area = centered(f.area(), 72, FIELDS.len() as u16 * 2 + 7);
    f.render_widget(Clear, area);
    let mut lines = vec![host_line(state, form)];
    for (i, name) in FIELDS.iter().enumerate() {
        lines.extend(field_lines(
            &form.values[i],
            i == form.focus,
            name,
            HINTS[i],
        ));
    }
    lines.push(Line::raw(""));
    if let Some(p) = &form.progress {
        lines.push(Line::from(Span::styled(
            printable(p),
            Style::default().fg(Color::Yellow),
        )));
    }
    if let Some(e) = &form.error {
        lines.push(Line::from(Span::styled(
            printable(e),
            Style::default().fg(Color::Red),
        )));
    }
    lines.push(Line::from(Span::styled(
        form_keys(&state.keymap, "launch"),
        Style::default().fg(Color::DarkGray),
    )));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Launch a container ")
                .border_style(Style::default().fg(Color::Cyan)),
        ),
        area,
    );
}

fn host_line(state: &State, form: &LaunchForm) -> Line<'static> {
    let host = state.list.host(form.host).map_or("", |h| h.label.as_str());
    let target = match &form.node {
        Some(node) => format!("{} node {}", printable(host), printable(node)),
        None => printable(host),
    };
    let keys = |a| state.keymap.keys_for(Context::Form, a);
    Line::from(vec![
        Span::raw("Host: "),
        Span::styled(target, Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(
            if state.list.launch_targets().len() > 1 {
                format!(
                    "  ({}/{} to change)",
                    keys(Action::PrevHost),
                    keys(Action::NextHost)
                )
            } else {
                String::new()
            },
            Style::default().fg(Color::DarkGray),
        ),
    ])
}

/// A form's field: its name, its value (with a cursor when focused), and
/// a hint under it.
pub(super) fn field_lines(
    value: &str,
    focused: bool,
    name: &str,
    hint: &str,
) -> [Line<'static>; 2] {
    let value = printable(value);
    let cursor = if focused { "█" } else { "" };
    [
        Line::from(vec![
            Span::styled(
                format!("{name:>8}: "),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!("{value}{cursor}"),
                if focused {
                    Style::default().fg(Color::Cyan)
                } else {
                    Style::default()
                },
            ),
        ]),
        Line::from(Span::styled(
            format!("          {hint}"),
            Style::default().fg(Color::DarkGray),
        )),
    ]
}

/// A form's keys, from the keymap: "Tab/↓ Shift-Tab/↑ move · Enter
/// launch · Esc cancel".
pub(super) fn form_keys(keymap: &Keymap, submit: &str) -> String {
    let keys = |a| keymap.keys_for(Context::Form, a);
    format!(
        "{} {} move · {} {submit} · {} cancel",
        keys(Action::NextField),
        keys(Action::PrevField),
        keys(Action::Submit),
        keys(Action::Cancel)
    )
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::{SIZES, key, render, state_with_containers, typed};
    use crossterm::event::{KeyCode, KeyModifiers};

    /// Filled in, submitted with a bad port: the error shows inline.
    #[test]
    fn launch_form_with_an_inline_error() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web"]);
            s.send(key(KeyCode::Char('L'), KeyModifiers::SHIFT));
            typed(&mut s, "busybox");
            for _ in 0..4 {
                s.send(key(KeyCode::Tab, KeyModifiers::NONE));
            }
            typed(&mut s, "80:nope");
            let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
            assert!(fx.is_empty(), "nothing launched: {fx:?}");
            insta::assert_snapshot!(format!("launch_{w}x{h}"), render(&s.state, w, h));
        }
    }
}
