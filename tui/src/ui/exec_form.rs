//! The command dialog: what to run in a new pane, and where.

use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::launch::field_lines;
use crate::state::State;
use crate::state::exec_form::{ExecForm, FIELDS, HINTS};

pub fn draw(f: &mut Frame, state: &State, form: &ExecForm) {
    let area = centered(f.area(), 72, FIELDS.len() as u16 * 2 + 6);
    f.render_widget(Clear, area);
    let host = state
        .list
        .host(form.container.host)
        .map_or("", |h| h.label.as_str());
    let mut lines = vec![Line::raw(format!(
        "In {}/{}",
        printable(host),
        printable(&form.name)
    ))];
    for (i, name) in FIELDS.iter().enumerate() {
        lines.extend(field_lines(
            &form.values[i],
            i == form.focus,
            name,
            HINTS[i],
        ));
    }
    lines.push(Line::raw(""));
    if let Some(e) = &form.error {
        lines.push(Line::from(Span::styled(
            printable(e),
            Style::default().fg(Color::Red),
        )));
    }
    lines.push(Line::from(Span::styled(
        super::launch::form_keys(&state.keymap, "run in a pane"),
        Style::default().fg(Color::DarkGray),
    )));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Run a command ")
                .border_style(Style::default().fg(Color::Cyan)),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::{SIZES, key, render, state_with_containers, typed};
    use crossterm::event::{KeyCode, KeyModifiers};

    /// An unclosed quote: the error shows inline and nothing opens.
    #[test]
    fn command_form_with_an_unclosed_quote() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web"]);
            s.send(key(KeyCode::Char('e'), KeyModifiers::NONE));
            typed(&mut s, "sh -c 'echo hi; sleep 9");
            let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
            assert!(fx.is_empty(), "nothing opened: {fx:?}");
            insta::assert_snapshot!(format!("exec_form_{w}x{h}"), render(&s.state, w, h));
        }
    }
}
