//! The container list: hosts that are down first (red, with why), then
//! the containers, with the sort column marked and the filter shown.

use dockyard_client::container::ContainerState;
use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use crate::state::hosts::HostStatus;
use crate::state::list::{ContainerList, SortKey};
use crate::state::{Focus, Mode, State};

pub fn draw(f: &mut Frame, state: &State, area: Rect) {
    let list = &state.list;
    let focused = state.focus == Focus::List;
    let multi = list.hosts().len() > 1;
    let nodes = list.several_nodes();
    let down = hosts_down_text(list);
    // Placeholders: the text goes over the whole width below, since a
    // table cell would clip it to the first column.
    let mut rows: Vec<Row> = down
        .iter()
        .map(|_| Row::new(vec![Cell::from("")]))
        .collect();
    let first_container_row = rows.len();
    let shown = list.rows();
    let now = std::time::Instant::now();
    for r in &shown {
        rows.push(container_row(state, r, (multi, nodes), now));
    }
    let offset = state.list_offset(area);
    let mut table_state = TableState::default().with_offset(offset);
    if let Some(i) = list.selected_index() {
        table_state.select(Some(first_container_row + i));
    }
    let highlight = if focused {
        Style::default()
            .bg(Color::Blue)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let empty = rows.is_empty();
    let table = Table::new(rows, widths(multi, nodes))
        .header(
            Row::new(header(list, multi, nodes))
                .style(Style::default().add_modifier(Modifier::BOLD)),
        )
        .block(block(state, shown.len(), focused))
        .row_highlight_style(highlight);
    f.render_stateful_widget(table, area, &mut table_state);
    // The offset the table really used (it clamps what it is given).
    draw_hosts_down(f, area, table_state.offset(), &down);
    if empty && area.height > 3 {
        let r = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 1);
        f.render_widget(
            Paragraph::new(empty_text(list)).style(Style::default().fg(Color::DarkGray)),
            r,
        );
    }
}

fn header(list: &ContainerList, multi: bool, nodes: bool) -> Vec<String> {
    let mark = |k: SortKey, name: &str| {
        if list.sort() == k {
            format!("{name} ▾")
        } else {
            name.to_string()
        }
    };
    let mut header = vec![];
    if multi {
        header.push(mark(SortKey::Host, "HOST"));
    }
    if nodes {
        header.push(mark(SortKey::Node, "NODE"));
    }
    header.extend([
        mark(SortKey::Name, "NAME"),
        mark(SortKey::Image, "IMAGE"),
        mark(SortKey::State, "STATE"),
        "CPU %".to_string(),
        "MEM".to_string(),
        mark(SortKey::Created, "STATUS"),
        "PORTS".to_string(),
    ]);
    header
}

fn widths(multi: bool, nodes: bool) -> Vec<Constraint> {
    let mut widths = vec![];
    if multi {
        widths.push(Constraint::Length(16));
    }
    if nodes {
        widths.push(Constraint::Length(14));
    }
    widths.extend([
        Constraint::Fill(3),
        Constraint::Fill(3),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Fill(2),
        Constraint::Fill(2),
    ]);
    widths
}

/// Why each host (or node of a host's cluster) that is down is down.
fn hosts_down_text(list: &ContainerList) -> Vec<String> {
    list.hosts()
        .iter()
        .filter_map(|h| match &h.status {
            HostStatus::Down {
                reason,
                retry_in,
                engine_down,
            } => {
                // The agent answering that its engine is gone is not the
                // agent being unreachable.
                let what = if *engine_down { "" } else { "unreachable: " };
                Some(format!(
                    "{}: {what}{} (retrying in {retry_in}s)",
                    printable(&h.label),
                    printable(reason)
                ))
            }
            _ => None,
        })
        .chain(list.hosts().iter().flat_map(|h| {
            // Nodes of a host's cluster that do not answer.
            h.nodes_down.iter().map(move |(node, why)| {
                format!(
                    "{}: node {}: {}",
                    printable(&h.label),
                    printable(node),
                    printable(why)
                )
            })
        }))
        .collect()
}

/// A red line per host that is down, where the table left room for it
/// (table rows start below the border and the header).
fn draw_hosts_down(f: &mut Frame, area: Rect, offset: usize, down: &[String]) {
    let visible = usize::from(area.height.saturating_sub(3));
    for (i, text) in down.iter().enumerate().skip(offset).take(visible) {
        let y = area.y + 2 + (i - offset) as u16;
        let line = Rect::new(area.x + 1, y, area.width.saturating_sub(2), 1);
        f.render_widget(
            Paragraph::new(text.clone()).style(Style::default().fg(Color::Red)),
            line,
        );
    }
}

fn container_row(
    state: &State,
    r: &crate::state::list::Row<'_>,
    (multi, nodes): (bool, bool),
    now: std::time::Instant,
) -> Row<'static> {
    let list = &state.list;
    let c = r.container;
    // Figures only for what runs: a paused container's last sample would
    // read as live.
    let stats = state
        .stats
        .latest(r.host, &c.id)
        .filter(|_| c.state.is_running());
    let cpu = stats.map_or(String::new(), |s| format!("{:.1}", s.cpu_percent));
    let mem = stats.map_or(String::new(), |s| {
        dockyard_client::stats::bytes_size(s.memory_usage)
    });
    let state_color = match c.state {
        ContainerState::Running => Color::Green,
        ContainerState::Paused | ContainerState::Restarting => Color::Yellow,
        _ => Color::DarkGray,
    };
    let mut cells = vec![];
    if multi {
        cells.push(Cell::from(printable(&list.hosts()[r.host].label)));
    }
    if nodes {
        cells.push(Cell::from(printable(&c.node)));
    }
    let mark = if list.is_marked(r.host, &c.id) {
        "* "
    } else {
        ""
    };
    cells.extend([
        Cell::from(format!("{mark}{}", printable(&c.name))),
        Cell::from(printable(&c.image)),
        Cell::from(Span::styled(
            printable(c.state.as_str()),
            Style::default().fg(state_color),
        )),
        Cell::from(cpu),
        Cell::from(mem),
        Cell::from(printable(&c.status_at(now))),
        Cell::from(c.ports.clone()),
    ]);
    Row::new(cells)
}

fn block(state: &State, shown: usize, focused: bool) -> Block<'static> {
    let list = &state.list;
    let connecting = list
        .hosts()
        .iter()
        .filter(|h| h.status == HostStatus::Connecting)
        .count();
    let mut title = format!(
        " Containers ({shown}{}) ",
        if list.show_all() {
            ", all"
        } else {
            ", running"
        }
    );
    if list.marks() > 0 {
        title.push_str(&format!("{} marked ", list.marks()));
    }
    if connecting > 0 {
        title.push_str(&format!("connecting to {connecting}… "));
    }
    if matches!(state.mode, Mode::Filter) {
        title.push_str(&format!("/{}█ ", printable(list.filter())));
    } else if !list.filter().is_empty() {
        title.push_str(&format!("[filter: {}] ", printable(list.filter())));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(if focused {
            Color::Cyan
        } else {
            Color::DarkGray
        }))
        .title(Span::styled(
            title,
            Style::default().add_modifier(Modifier::BOLD),
        ))
}

fn empty_text(list: &ContainerList) -> &'static str {
    if list
        .hosts()
        .iter()
        .all(|h| h.status == HostStatus::Connecting)
    {
        "connecting…"
    } else if list.show_all() {
        "no containers (L launches one)"
    } else {
        "no running containers (a shows all, L launches one)"
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::testing::{SIZES, hostile_state, render, state_with_containers};

    #[test]
    fn list_with_containers() {
        for (w, h) in SIZES {
            let s = state_with_containers(w, h, &["web", "db", "worker"]);
            insta::assert_snapshot!(format!("list_{w}x{h}"), render(&s.state, w, h));
        }
    }

    /// A pane open, the only host gone: the list shrinks to one row, and
    /// that row says why (it used to be scrolled away).
    #[test]
    fn a_down_host_shows_in_a_one_row_list() {
        let mut s = crate::ui::testing::state_with_panes(120, 30, 1);
        s.send(crate::msg::Msg::Host {
            host: 0,
            ev: crate::msg::HostEvent::Down {
                reason: "connection refused".into(),
                retry_in: 1,
                engine_down: false,
            },
        });
        let screen = render(&s.state, 120, 30);
        assert!(
            screen.contains("local: unreachable: connection refused (retrying in 1s)"),
            "{screen}"
        );
    }

    /// An unreachable host and an engine-less one as red rows; names,
    /// images and reasons full of terminal controls, escaped.
    #[test]
    fn list_with_hosts_down_and_hostile_names() {
        for (w, h) in SIZES {
            let s = hostile_state(w, h);
            let screen = render(&s.state, w, h);
            assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
            insta::assert_snapshot!(format!("list_hostile_{w}x{h}"), screen);
        }
    }
}
