//! The inspect view: a container's configuration, or its JSON, scrolled.

use crate::input::Context;
use crate::state::State;
use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::state::inspect::InspectView;

pub fn draw(f: &mut Frame, state: &State, view: &InspectView) {
    let area = f.area();
    let area = ratatui::layout::Rect::new(
        area.x + 2,
        area.y + 1,
        area.width.saturating_sub(4),
        area.height.saturating_sub(3),
    );
    f.render_widget(Clear, area);
    let what = if view.show_raw {
        "JSON"
    } else {
        "configuration"
    };
    let block = Block::bordered()
        .title(format!(" {} — {what} ", printable(&view.name)))
        .title_bottom(format!(" {} ", state.keymap.hints(Context::InspectView)))
        .border_style(Style::default().fg(Color::Cyan));
    let inner = block.inner(area);
    let lines: Vec<Line> = match &view.content {
        None => vec![Line::raw("asking the agent…")],
        Some(Err(e)) => vec![Line::from(Span::styled(
            printable(e),
            Style::default().fg(Color::Red),
        ))],
        Some(Ok(_)) => view
            .lines()
            .iter()
            .skip(view.scroll)
            .take(usize::from(inner.height))
            .map(|l| Line::raw(printable(l)))
            .collect(),
    };
    f.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use crate::msg::Msg;
    use crate::ui::testing::{SIZES, key, render, state_with_containers};
    use crossterm::event::{KeyCode, KeyModifiers};

    const JSON: &str = r#"{"Id":"0123","Name":"/web","Path":"sleep","Args":["1000"],
        "State":{"Status":"running","Pid":7,"StartedAt":"2026-11-29T10:00:00Z"},
        "Config":{"Image":"busybox","Env":["SHOWN_AT_LAUNCH=env-77","PATH=/bin"],"Labels":{"team":"a"}},
        "HostConfig":{"RestartPolicy":{"Name":"always"}},"Mounts":[],
        "NetworkSettings":{"Ports":{},"Networks":{"bridge":{"IPAddress":"172.17.0.2"}}}}"#;

    #[test]
    fn inspect_view() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web"]);
            let fx = s.send(key(KeyCode::Char('i'), KeyModifiers::NONE));
            assert!(matches!(&fx[..], [crate::msg::Effect::Inspect { name, .. }] if name == "web"));
            s.send(Msg::Inspected {
                name: "web".into(),
                result: Ok(JSON.into()),
            });
            let summary = render(&s.state, w, h);
            assert!(summary.contains("SHOWN_AT_LAUNCH=env-77"), "{summary}");
            s.send(key(KeyCode::Char('r'), KeyModifiers::NONE));
            let raw = render(&s.state, w, h);
            assert!(raw.contains(r#""Id": "0123","#), "{raw}");
            insta::assert_snapshot!(format!("inspect_{w}x{h}"), format!("{summary}\n{raw}"));
        }
    }
}
