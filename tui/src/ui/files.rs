//! The files view: a container's directory as `ls -l` shows one (mode,
//! owner, size, time, name, a link's target), the selection, and a line
//! for the save and put prompts or a copy's progress.

use dockyard_client::copy::mode_text;
use dockyard_client::pb::PathKind;
use dockyard_client::text::{decimal_bytes, printable};
use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::input::Context;
use crate::state::State;
use crate::state::files::{FilesView, PromptKind};

pub fn draw(f: &mut Frame, state: &State, view: &FilesView) {
    let area = f.area();
    let area = ratatui::layout::Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    f.render_widget(Clear, area);
    let more = if view.truncated {
        " (the first entries)"
    } else {
        ""
    };
    let block = Block::bordered()
        .title(format!(
            " {}:{}{more} ",
            printable(&view.name),
            printable(&view.path)
        ))
        .title_bottom(format!(" {} ", state.keymap.hints(Context::FilesView)))
        .border_style(Style::default().fg(Color::Cyan));
    let inner = block.inner(area);
    let rows = usize::from(inner.height.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::with_capacity(rows + 2);
    if view.loading {
        lines.push(Line::raw("asking the agent…"));
    } else if view.entries.is_empty() && view.error.is_none() {
        lines.push(Line::styled(
            "(empty)",
            Style::default().fg(Color::DarkGray),
        ));
    }
    let owner_width = view
        .entries
        .iter()
        .map(|e| owner(e).chars().count())
        .max()
        .unwrap_or(0);
    if !view.loading {
        for (i, e) in view.entries.iter().enumerate().skip(view.scroll).take(rows) {
            let kind = e.kind();
            let name_style = match kind {
                PathKind::Dir => Style::default()
                    .fg(Color::Blue)
                    .add_modifier(Modifier::BOLD),
                PathKind::Symlink => Style::default().fg(Color::Cyan),
                _ => Style::default(),
            };
            let mut name = printable(&e.name);
            if kind == PathKind::Dir {
                name.push('/');
            }
            let mut spans = vec![
                Span::raw(format!(
                    "{} {:<owner_width$} {:>7} {} ",
                    mode_text(kind, e.mode),
                    owner(e),
                    if kind == PathKind::Dir {
                        "-".to_string()
                    } else {
                        decimal_bytes(e.size as u64)
                    },
                    time(e.mtime),
                )),
                Span::styled(name, name_style),
            ];
            if matches!(kind, PathKind::Symlink | PathKind::Hardlink) && !e.link_target.is_empty() {
                let arrow = if kind == PathKind::Symlink {
                    "->"
                } else {
                    "=>"
                };
                spans.push(Span::styled(
                    format!(" {arrow} {}", printable(&e.link_target)),
                    Style::default().fg(Color::DarkGray),
                ));
            }
            let mut line = Line::from(spans);
            if i == view.selected {
                line = line.style(Style::default().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
    }
    // The last two rows: a prompt, or what a copy is doing, or an error.
    while lines.len() < rows + 1 {
        lines.push(Line::raw(""));
    }
    let footer = if let Some(p) = &view.prompt {
        let label = match &p.kind {
            PromptKind::Save { source } => format!("save {} to: ", printable(source)),
            PromptKind::Put => format!("put a local file into {}: ", printable(&view.path)),
        };
        Line::from(vec![
            Span::styled(label, Style::default().fg(Color::Yellow)),
            Span::raw(printable(&p.text)),
            Span::styled("▏", Style::default().fg(Color::Yellow)),
        ])
    } else if let Some(e) = &view.error {
        Line::styled(printable(e), Style::default().fg(Color::Red))
    } else if let Some(s) = &view.status {
        Line::styled(printable(s), Style::default().fg(Color::Green))
    } else {
        Line::raw("")
    };
    lines.push(footer);
    f.render_widget(Paragraph::new(lines).block(block), area);
}

/// `user:group` as the archive names them, else the numbers.
fn owner(e: &dockyard_client::pb::PathEntry) -> String {
    let user = if e.user.is_empty() {
        e.uid.to_string()
    } else {
        e.user.clone()
    };
    let group = if e.group.is_empty() {
        e.gid.to_string()
    } else {
        e.group.clone()
    };
    printable(&format!("{user}:{group}"))
}

/// `2026-12-08 00:28` in UTC.
fn time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use crate::msg::{Effect, FilesEvent, Msg};
    use crate::ui::testing::{key, render, state_with_containers};
    use crossterm::event::{KeyCode, KeyModifiers};
    use dockyard_client::pb::{PathEntry, PathKind};

    fn entry(name: &str, kind: PathKind, size: i64, link: &str) -> PathEntry {
        PathEntry {
            name: name.into(),
            size,
            mode: if kind == PathKind::Dir { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            user: "root".into(),
            group: "root".into(),
            mtime: 1_796_690_331,
            link_target: link.into(),
            kind: kind.into(),
        }
    }

    /// Coming back up into a long directory shows the entry come from.
    #[test]
    fn the_entry_come_back_to_is_shown() {
        let mut s = state_with_containers(100, 30, &["web"]);
        s.send(key(KeyCode::Char('f'), KeyModifiers::NONE));
        let entries: Vec<PathEntry> = (0..100)
            .map(|i| entry(&format!("d{i:03}"), PathKind::Dir, 0, ""))
            .collect();
        s.send(Msg::Files(FilesEvent::Listed {
            path: "/".into(),
            result: Ok(Some((entries, false))),
            select: Some("d090".into()),
        }));
        let screen = render(&s.state, 100, 30);
        assert!(screen.contains("d090/"), "{screen}");
        assert!(!screen.contains("d000/"), "{screen}");
    }

    #[test]
    fn browsing_a_container() {
        let mut s = state_with_containers(100, 30, &["web"]);
        let fx = s.send(key(KeyCode::Char('f'), KeyModifiers::NONE));
        assert!(
            matches!(&fx[..], [Effect::ListPath { path, .. }] if path == "/"),
            "{fx:?}"
        );
        s.send(Msg::Files(FilesEvent::Listed {
            path: "/".into(),
            result: Ok(Some((
                vec![
                    entry("app", PathKind::Dir, 0, ""),
                    entry("data.txt", PathKind::File, 2048, ""),
                    entry("link", PathKind::Symlink, 0, "data.txt"),
                ],
                false,
            ))),
            select: None,
        }));
        let screen = render(&s.state, 100, 30);
        assert!(screen.contains("web:/"), "{screen}");
        assert!(
            screen.contains("drwxr-xr-x root:root       - 2026-12-08 00:38 app/"),
            "{screen}"
        );
        assert!(screen.contains("-rw-r--r-- root:root  2.05kB"), "{screen}");
        assert!(screen.contains("link -> data.txt"), "{screen}");
        // Into the directory.
        let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
        assert!(
            matches!(&fx[..], [Effect::ListPath { path, .. }] if path == "/app"),
            "{fx:?}"
        );
        // Back up, then save the file: the prompt offers its name here.
        let fx = s.send(key(KeyCode::Backspace, KeyModifiers::NONE));
        assert!(
            matches!(&fx[..], [Effect::ListPath { path, select: Some(n), .. }] if path == "/" && n == "app"),
            "{fx:?}"
        );
        s.send(Msg::Files(FilesEvent::Listed {
            path: "/".into(),
            result: Ok(Some((
                vec![
                    entry("app", PathKind::Dir, 0, ""),
                    entry("data.txt", PathKind::File, 2048, ""),
                ],
                false,
            ))),
            select: Some("app".into()),
        }));
        s.send(key(KeyCode::Down, KeyModifiers::NONE));
        s.send(key(KeyCode::Char('s'), KeyModifiers::NONE));
        let screen = render(&s.state, 100, 30);
        assert!(screen.contains("save /data.txt to: ./data.txt"), "{screen}");
        let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
        assert!(
            matches!(&fx[..], [Effect::SaveFile { source, to, .. }] if source == "/data.txt" && to == "./data.txt"),
            "{fx:?}"
        );
        // Enter on a file opens it in a pane, and the view closes.
        let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
        assert!(
            fx.iter().any(|e| matches!(e, Effect::OpenSession { kind: crate::state::panes::PaneKind::File { path }, .. } if path == "/data.txt")),
            "{fx:?}"
        );
    }
}
