//! The stats view: a container's last minute of CPU, memory and network
//! as sparklines, with the latest figures in docker's units.

use dockyard_client::stats::{bytes_size, human_size, percent};
use dockyard_client::text::printable;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Clear, Paragraph, Sparkline};

use super::centered;
use crate::state::State;
use crate::state::hosts::ContainerKey;

pub fn draw(f: &mut Frame, state: &State, container: &ContainerKey, name: &str) {
    let area = centered(f.area(), 90, 16);
    f.render_widget(Clear, area);
    let block = Block::bordered()
        .title(format!(" {} — the last minute ", printable(name)))
        .title_bottom(" any key closes ")
        .border_style(Style::default().fg(Color::Cyan));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(h) = state.stats.get(container) else {
        f.render_widget(Paragraph::new("waiting for the first sample…"), inner);
        return;
    };
    let s = &h.latest;
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .split(inner);
    let label = |text: String| Paragraph::new(text).style(Style::default().fg(Color::Yellow));
    f.render_widget(label(format!("CPU {}", percent(s.cpu_percent))), rows[0]);
    let cpu: Vec<u64> = h.cpu.iter().map(|c| (c * 10.0) as u64).collect();
    let cpu_max = cpu.iter().copied().max().unwrap_or(0).max(1000);
    f.render_widget(
        Sparkline::default()
            .data(&cpu)
            .max(cpu_max)
            .style(Style::default().fg(Color::Green)),
        rows[1],
    );
    f.render_widget(
        label(format!(
            "MEM {} / {} ({})",
            bytes_size(s.memory_usage),
            bytes_size(s.memory_limit),
            percent(s.memory_percent)
        )),
        rows[2],
    );
    let mem: Vec<u64> = h.memory.iter().copied().collect();
    f.render_widget(
        Sparkline::default()
            .data(&mem)
            .style(Style::default().fg(Color::Magenta)),
        rows[3],
    );
    let rate = |q: &std::collections::VecDeque<u64>| q.back().copied().unwrap_or(0);
    f.render_widget(
        label(format!(
            "NET in {}/s (total {})",
            human_size(rate(&h.rx_rate)),
            human_size(s.net_rx)
        )),
        rows[4],
    );
    let rx: Vec<u64> = h.rx_rate.iter().copied().collect();
    f.render_widget(
        Sparkline::default()
            .data(&rx)
            .style(Style::default().fg(Color::Cyan)),
        rows[5],
    );
    f.render_widget(
        label(format!(
            "NET out {}/s (total {})",
            human_size(rate(&h.tx_rate)),
            human_size(s.net_tx)
        )),
        rows[6],
    );
    let tx: Vec<u64> = h.tx_rate.iter().copied().collect();
    f.render_widget(
        Sparkline::default()
            .data(&tx)
            .style(Style::default().fg(Color::Blue)),
        rows[7],
    );
    f.render_widget(
        Paragraph::new(format!(
            "BLOCK I/O {} / {} · PIDS {}",
            human_size(s.block_read),
            human_size(s.block_write),
            s.pids
        )),
        rows[8],
    );
}

#[cfg(test)]
mod tests {
    use dockyard_client::pb::ContainerStats;

    use crate::msg::Msg;
    use crate::ui::testing::{SIZES, key, render, state_with_containers};
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn stats_view_and_columns() {
        for (w, h) in SIZES {
            let mut s = state_with_containers(w, h, &["web", "db"]);
            let id = s.state.list.selected().expect("selected").1.id.clone();
            s.send(key(KeyCode::Char('s'), KeyModifiers::NONE));
            for t in 1..=30u64 {
                s.send(Msg::Stats {
                    host: 0,
                    stats: vec![ContainerStats {
                        id: id.clone(),
                        cpu_percent: (t % 10) as f64 * 10.0,
                        memory_usage: 10 * 1024 * 1024 + t * 100_000,
                        memory_limit: 1024 * 1024 * 1024,
                        memory_percent: 1.2,
                        net_rx: t * 5_000,
                        net_tx: t * 1_000,
                        pids: 3,
                        read_unix_nanos: (t * 1_000_000_000) as i64,
                        ..Default::default()
                    }],
                });
            }
            let view = render(&s.state, w, h);
            assert!(view.contains("CPU 0.00%"), "{view}");
            assert!(view.contains("NET in 5kB/s"), "{view}");
            s.send(key(KeyCode::Esc, KeyModifiers::NONE));
            let list = render(&s.state, w, h);
            assert!(list.contains("12.86MiB"), "{list}");
            insta::assert_snapshot!(format!("stats_{w}x{h}"), format!("{view}\n{list}"));
        }
    }
}
