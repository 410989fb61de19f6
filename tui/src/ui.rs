//! Drawing the whole screen from the app state. No I/O, no state changes:
//! a pure function of `App` and the frame's size.

use dockyard_proto::text::printable;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use crate::app::{App, Confirm, Focus, HostStatus, Mode, SortKey, inner};
use crate::launch_form::{FIELDS, HINTS};
use crate::pane::PaneState;
use crate::term_view::{TermView, cursor_position};

/// Every binding, for the help screen (and the README).
pub const KEYS: &[(&str, &str)] = &[
    ("Container list", ""),
    ("↑ ↓ / j k", "move; PgUp PgDn Home End too"),
    ("Enter", "open a shell pane (split along the longer side)"),
    ("|  -", "open a shell side by side / stacked"),
    ("/", "filter by substring (Enter keeps it, Esc clears)"),
    ("o", "sort by the next column"),
    ("a", "show all containers / running only"),
    ("L", "launch a container"),
    ("S  D", "stop / remove (asks first)"),
    ("Tab", "go to the panes"),
    ("q", "quit"),
    ("Leader (Ctrl-a), then", ""),
    ("c", "focus the container list"),
    ("← → ↑ ↓ / h l k j", "focus the pane in that direction"),
    ("n p / Tab", "next / previous pane"),
    ("|  -", "another shell beside / below"),
    ("z", "zoom the pane / back"),
    ("x", "close the pane (ends its session)"),
    ("[  PgUp", "scroll back (Shift-PgUp/PgDn, wheel)"),
    ("?", "this help"),
    ("q", "quit"),
    ("Ctrl-a", "send a literal Ctrl-a"),
];

pub fn draw(f: &mut Frame, app: &App) {
    let layout = app.frame_layout(f.area());
    if let Some(list) = layout.list {
        draw_list(f, app, list);
    }
    for (id, outer) in &layout.panes {
        let Some(pane) = app.panes.get(id) else {
            continue;
        };
        let focused = app.focus == Focus::Pane(*id);
        let border = match (&pane.state, focused) {
            (PaneState::Failed(_), _) => Color::Red,
            (PaneState::Exited(_), true) => Color::Yellow,
            (_, true) => Color::Cyan,
            _ => Color::DarkGray,
        };
        let title = pane
            .parser
            .callbacks()
            .title
            .clone()
            .filter(|t| !t.is_empty());
        let mut heading = pane.title();
        if let Some(t) = title {
            // Set by the program in the container: its bytes, its rules.
            heading = format!("{heading} — {}", printable(&t));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Plain
            })
            .border_style(Style::default().fg(border))
            .title(Span::styled(
                format!(" {heading} "),
                Style::default().add_modifier(Modifier::BOLD),
            ));
        f.render_widget(block, *outer);
        let area = inner(*outer).intersection(*outer);
        f.render_widget(TermView::new(pane.parser.screen()), area);
        if focused
            && pane.is_live()
            && matches!(app.mode, Mode::Normal | Mode::Leader)
            && let Some(pos) = cursor_position(pane.parser.screen(), area)
        {
            f.set_cursor_position(pos);
        }
    }
    draw_status(f, app, layout.status);
    match &app.mode {
        Mode::Help => draw_help(f),
        Mode::Confirm(c) => draw_confirm(f, app, c),
        Mode::Launch(form) => draw_launch(f, app, form),
        _ => {}
    }
}

fn draw_list(f: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Focus::List;
    let multi = app.hosts.len() > 1;
    let sort_mark = |k: SortKey, name: &str| {
        if app.sort == k {
            format!("{name} ▾")
        } else {
            name.to_string()
        }
    };
    let mut header = vec![];
    if multi {
        header.push(sort_mark(SortKey::Host, "HOST"));
    }
    header.extend([
        sort_mark(SortKey::Name, "NAME"),
        sort_mark(SortKey::Image, "IMAGE"),
        sort_mark(SortKey::State, "STATE"),
        sort_mark(SortKey::Created, "STATUS"),
        "PORTS".to_string(),
    ]);
    let mut rows: Vec<Row> = vec![];
    for h in &app.hosts {
        if let HostStatus::Down {
            reason,
            retry_in,
            engine_down,
        } = &h.status
        {
            // The agent answering that its engine is gone is not the
            // agent being unreachable.
            let what = if *engine_down { "" } else { "unreachable: " };
            let text = format!(
                "{}: {what}{} (retrying in {retry_in}s)",
                h.label,
                printable(reason)
            );
            rows.push(Row::new(vec![Cell::from(text)]).style(Style::default().fg(Color::Red)));
        }
    }
    let list = app.rows();
    let first_container_row = rows.len();
    for (h, c) in &list {
        let state_color = match c.state.as_str() {
            "running" => Color::Green,
            "paused" | "restarting" => Color::Yellow,
            _ => Color::DarkGray,
        };
        let ports: Vec<String> = c
            .ports
            .iter()
            .map(|p| {
                if p.public_port != 0 {
                    format!("{}->{}/{}", p.public_port, p.private_port, p.protocol)
                } else {
                    format!("{}/{}", p.private_port, p.protocol)
                }
            })
            .collect();
        let mut cells = vec![];
        if multi {
            cells.push(Cell::from(printable(&app.hosts[*h].label)));
        }
        cells.extend([
            Cell::from(printable(&c.name)),
            Cell::from(printable(&c.image)),
            Cell::from(Span::styled(
                printable(&c.state),
                Style::default().fg(state_color),
            )),
            Cell::from(printable(&c.status)),
            Cell::from(printable(&ports.join(","))),
        ]);
        rows.push(Row::new(cells));
    }
    let mut widths = vec![];
    if multi {
        widths.push(Constraint::Length(16));
    }
    widths.extend([
        Constraint::Fill(3),
        Constraint::Fill(3),
        Constraint::Length(10),
        Constraint::Fill(2),
        Constraint::Fill(2),
    ]);
    let connecting = app
        .hosts
        .iter()
        .filter(|h| h.status == HostStatus::Connecting)
        .count();
    let mut title = format!(
        " Containers ({}{}) ",
        list.len(),
        if app.show_all { ", all" } else { ", running" }
    );
    if connecting > 0 {
        title.push_str(&format!("connecting to {connecting}… "));
    }
    if matches!(app.mode, Mode::Filter) {
        title.push_str(&format!("/{}█ ", printable(&app.filter)));
    } else if !app.filter.is_empty() {
        title.push_str(&format!("[filter: {}] ", printable(&app.filter)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(if focused {
            Color::Cyan
        } else {
            Color::DarkGray
        }))
        .title(Span::styled(
            title,
            Style::default().add_modifier(Modifier::BOLD),
        ));
    let mut state = ratatui::widgets::TableState::default().with_offset(app.list_offset(area));
    if !list.is_empty() {
        state.select(Some(first_container_row + app.selected));
    }
    let highlight = if focused {
        Style::default()
            .bg(Color::Blue)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let empty = list.is_empty() && rows.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
        .block(block)
        .row_highlight_style(highlight);
    f.render_stateful_widget(table, area, &mut state);
    if empty && area.height > 3 {
        let msg = if app.hosts.iter().all(|h| h.status == HostStatus::Connecting) {
            "connecting…"
        } else if app.show_all {
            "no containers (L launches one)"
        } else {
            "no running containers (a shows all, L launches one)"
        };
        let r = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 1);
        f.render_widget(
            Paragraph::new(msg).style(Style::default().fg(Color::DarkGray)),
            r,
        );
    }
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let left = match app.focus {
        Focus::Pane(p) => app.panes.get(&p).map(|pane| {
            let state = match &pane.state {
                PaneState::Starting => "starting".to_string(),
                PaneState::Running => "running".to_string(),
                PaneState::Exited(c) => format!("exited {c} (Enter closes)"),
                PaneState::Failed(m) => format!("failed: {m}"),
            };
            format!(
                " {}/{} · {state}",
                printable(&pane.host),
                printable(&pane.container)
            )
        }),
        Focus::List => Some(format!(
            " {} host{} · {} pane{}",
            app.hosts.len(),
            if app.hosts.len() == 1 { "" } else { "s" },
            app.panes.len(),
            if app.panes.len() == 1 { "" } else { "s" }
        )),
    }
    .unwrap_or_default();
    let right = match app.mode {
        Mode::Leader => {
            " LEADER: c list · ←→↑↓ move · | - split · z zoom · x close · q quit · ? help "
                .to_string()
        }
        _ => " Ctrl-a ? help ".to_string(),
    };
    let mut spans = vec![Span::styled(
        left,
        Style::default().fg(Color::White).bg(Color::DarkGray),
    )];
    if let Some((text, error)) = &app.notice {
        let style = if *error {
            Style::default().fg(Color::White).bg(Color::Red)
        } else {
            Style::default().fg(Color::Black).bg(Color::Green)
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {} ", printable(text)), style));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.chars().count());
    spans.push(Span::styled(
        " ".repeat(pad),
        Style::default().bg(Color::DarkGray),
    ));
    spans.push(Span::styled(
        right,
        if matches!(app.mode, Mode::Leader) {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::default().fg(Color::White).bg(Color::DarkGray)
        },
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(f: &mut Frame) {
    let area = centered(f.area(), 78, KEYS.len() as u16 + 2);
    let rows: Vec<Row> = KEYS
        .iter()
        .map(|(k, d)| {
            if d.is_empty() {
                Row::new(vec![Cell::from(Span::styled(
                    *k,
                    Style::default()
                        .add_modifier(Modifier::BOLD)
                        .fg(Color::Yellow),
                ))])
            } else {
                Row::new(vec![Cell::from(format!("  {k}")), Cell::from(*d)])
            }
        })
        .collect();
    let table = Table::new(rows, [Constraint::Length(22), Constraint::Fill(1)]).block(
        Block::bordered()
            .title(" Keys (any key closes) ")
            .border_style(Style::default().fg(Color::Cyan)),
    );
    f.render_widget(Clear, area);
    f.render_widget(table, area);
}

fn draw_confirm(f: &mut Frame, app: &App, c: &Confirm) {
    let (verb, host, name) = match c {
        Confirm::Stop { host, name, .. } => ("Stop", *host, name),
        Confirm::Remove { host, name, .. } => ("Remove (forcibly)", *host, name),
    };
    let label = app.hosts.get(host).map_or("", |h| h.label.as_str());
    let text = format!(
        "{verb} container {} on {}?\n\ny: yes    any other key: no",
        printable(name),
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

fn draw_launch(f: &mut Frame, app: &App, form: &crate::launch_form::LaunchForm) {
    let area = centered(f.area(), 72, FIELDS.len() as u16 * 2 + 7);
    f.render_widget(Clear, area);
    let host = app.hosts.get(form.host).map_or("", |h| h.label.as_str());
    let mut lines = vec![Line::from(vec![
        Span::raw("Host: "),
        Span::styled(
            printable(host),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            if app.hosts.len() > 1 {
                "  (←/→ to change)"
            } else {
                ""
            },
            Style::default().fg(Color::DarkGray),
        ),
    ])];
    for (i, name) in FIELDS.iter().enumerate() {
        let focused = i == form.focus;
        let value = printable(&form.values[i]);
        let cursor = if focused { "█" } else { "" };
        lines.push(Line::from(vec![
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
        ]));
        lines.push(Line::from(Span::styled(
            format!("          {}", HINTS[i]),
            Style::default().fg(Color::DarkGray),
        )));
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
        "Tab/↑↓ move · Enter launch · Esc cancel",
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
