//! The sessions and recordings pickers, and the question quitting asks
//! about sessions.

use crate::input::{Action, Context};
use dockyard_client::text::{human_duration, printable};
use ratatui::Frame;
use ratatui::layout::Constraint;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use super::centered;
use crate::state::State;
use crate::state::recordings::RecordingsPicker;
use crate::state::sessions::SessionsPicker;

pub fn draw(f: &mut Frame, state: &State, picker: &SessionsPicker) {
    let area = centered(f.area(), 100, 16);
    f.render_widget(Clear, area);
    let keys = |a| state.keymap.keys_for(Context::Picker, a);
    let footer = if picker.confirm_end {
        format!(
            " end this session (its program is ended)? {}: yes · any other key: no ",
            keys(Action::Yes)
        )
    } else {
        format!(
            " {} attach in a pane · {} end · {} close ",
            keys(Action::Open),
            keys(Action::EndSession),
            keys(Action::Close)
        )
    };
    let title = match picker.waiting {
        0 => " Sessions ".to_string(),
        n => format!(
            " Sessions (asking {n} host{}) ",
            if n == 1 { "" } else { "s" }
        ),
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(footer)
        .border_style(Style::default().fg(Color::Cyan));
    if picker.rows.is_empty() {
        let mut text = if picker.waiting > 0 {
            "…".to_string()
        } else {
            "No sessions: a shell's session is kept by its agent when its pane is detached (Ctrl-a d) or its connection is lost.".to_string()
        };
        for e in &picker.errors {
            text.push_str(&format!("\n{}", printable(e)));
        }
        f.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
            area,
        );
        return;
    }
    let header = Row::new(["ID", "HOST", "CONTAINER", "COMMAND", "STATE", "IDLE"])
        .style(Style::default().add_modifier(Modifier::BOLD));
    let rows = picker.rows.iter().map(|(host, s)| {
        let label = state.list.host(*host).map_or("", |h| h.label.as_str());
        let command = if s.command == dockyard_client::exec_session::default_shell() {
            "shell".to_string()
        } else {
            printable(&s.command.join(" "))
        };
        let st = match s.clients {
            0 => "detached".to_string(),
            n => format!("attached ({n})"),
        };
        Row::new([
            Cell::from(s.id.clone()),
            Cell::from(printable(label)),
            Cell::from(printable(&s.container_name)),
            Cell::from(command),
            Cell::from(st),
            Cell::from(human_duration(std::time::Duration::from_secs(
                s.idle_seconds,
            ))),
        ])
    });
    let widths = [
        Constraint::Length(13),
        Constraint::Length(16),
        Constraint::Length(22),
        Constraint::Fill(1),
        Constraint::Length(13),
        Constraint::Length(16),
    ];
    picker_table(
        f,
        area,
        Table::new(rows, widths).header(header).block(block),
        picker.selected,
    );
}

pub fn draw_quit(f: &mut Frame, state: &State, count: usize) {
    let keys = |a| {
        let key = state.keymap.key_for(Context::QuitDialog, a);
        key.unwrap_or_default()
    };
    let text = format!(
        "{count} pane{} run{} a session on a remote agent.\n\n{}: keep them running; the next `dockyard` brings the panes back\n{}: end them\n{}: don't quit",
        if count == 1 { "" } else { "s" },
        if count == 1 { "s" } else { "" },
        keys(Action::KeepSessions),
        keys(Action::EndSessions),
        keys(Action::Cancel),
    );
    quit_dialog(f, text, 8);
}

/// Quitting with shells on the local engine, which end with the TUI.
pub fn draw_quit_local(f: &mut Frame, state: &State, count: usize) {
    let yes = state
        .keymap
        .key_for(Context::Confirm, Action::Yes)
        .unwrap_or_default();
    let text = format!(
        "{count} shell{} on the local engine end{} with dockyard (its agent runs in this process).\n\n{yes}: quit and end {}    any other key: stay",
        if count == 1 { "" } else { "s" },
        if count == 1 { "s" } else { "" },
        if count == 1 { "it" } else { "them" },
    );
    quit_dialog(f, text, 7);
}

/// The quit question, `height` rows, over what is drawn.
fn quit_dialog(f: &mut Frame, text: String, height: u16) {
    let area = centered(f.area(), 70, height);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Quit ")
                .border_style(Style::default().fg(Color::Yellow)),
        ),
        area,
    );
}

pub fn draw_recordings(f: &mut Frame, state: &State, picker: &RecordingsPicker) {
    let area = centered(f.area(), 100, 16);
    f.render_widget(Clear, area);
    let dir = state
        .recordings_dir
        .as_ref()
        .map_or(String::new(), |d| d.display().to_string());
    let block = Block::bordered()
        .title(format!(" Recordings in {} ", printable(&dir)))
        .title_bottom(format!(
            " {} play in a pane · {} close ",
            state.keymap.keys_for(Context::Picker, Action::Open),
            state.keymap.keys_for(Context::Picker, Action::Close)
        ))
        .border_style(Style::default().fg(Color::Cyan));
    let files = match &picker.files {
        None => return f.render_widget(Paragraph::new("…").block(block), area),
        Some(files) if files.is_empty() => {
            let text = picker.error.clone().unwrap_or_else(|| {
                "No recordings yet: Ctrl-a r records the focused pane.".to_string()
            });
            let para = Paragraph::new(printable(&text)).wrap(Wrap { trim: false });
            return f.render_widget(para.block(block), area);
        }
        Some(files) => files,
    };
    let rows = files.iter().map(|r| {
        let name = r
            .path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        Row::new([
            Cell::from(printable(&name)),
            Cell::from(dockyard_client::stats::human_size(r.bytes)),
            Cell::from(r.ago()),
        ])
    });
    let header =
        Row::new(["FILE", "SIZE", "RECORDED"]).style(Style::default().add_modifier(Modifier::BOLD));
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(10),
        Constraint::Length(24),
    ];
    picker_table(
        f,
        area,
        Table::new(rows, widths).header(header).block(block),
        picker.selected,
    );
}

/// A picker's table, its selected row shown reversed.
fn picker_table(f: &mut Frame, area: ratatui::layout::Rect, table: Table, selected: usize) {
    let table = table.row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut ts = TableState::default().with_selected(Some(selected));
    f.render_stateful_widget(table, area, &mut ts);
}
