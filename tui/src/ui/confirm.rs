//! Asking before a stop, restart, kill or remove.

use crate::input::{Action, Context};
use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use crate::msg::Lifecycle;
use crate::state::{Confirm, State};

pub fn draw(f: &mut Frame, state: &State, c: &Confirm) {
    let verb = match c.op {
        Lifecycle::Remove => "Remove (forcibly)",
        Lifecycle::Kill => "Kill (SIGKILL)",
        op => op.verb(),
    };
    let label = state
        .list
        .host(c.container.host)
        .map_or("", |h| h.label.as_str());
    let yes = state
        .keymap
        .key_for(Context::Confirm, Action::Yes)
        .unwrap_or_default();
    let text = format!(
        "{verb} container {} on {}?\n\n{yes}: yes    any other key: no",
        printable(&c.name),
        printable(label)
    );
    let area = centered(f.area(), 60, 6);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Confirm ")
                .border_style(Style::default().fg(Color::Yellow)),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::{SIZES, key, render, state_with_containers};
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn confirm() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web", "db"]);
            s.send(key(KeyCode::Char('D'), KeyModifiers::SHIFT));
            insta::assert_snapshot!(format!("confirm_{w}x{h}"), render(&s.state, w, h));
        }
    }
}
