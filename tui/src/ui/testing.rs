//! For the panels' snapshot tests: states built through `update` (as the
//! real loop builds them), and a frame rendered to text with its styles
//! listed, so a snapshot shows colours and the cursor too.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use dockyard_client::pb::ContainerInfo;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Style;

use crate::input::{Keymap, parse_leader};
use crate::msg::{Effect, HostEvent, Msg, SessionEvent};
use crate::state::hosts::HostName;
use crate::state::panes::PaneId;
use crate::state::{Focus, State};
use crate::update::update;

pub const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

pub struct Harness {
    pub state: State,
}

pub fn key(code: KeyCode, m: KeyModifiers) -> Msg {
    Msg::Terminal(Event::Key(KeyEvent::new(code, m)))
}

pub fn typed(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.send(key(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

pub fn running(name: &str) -> ContainerInfo {
    ContainerInfo {
        id: format!("id-{name}"),
        name: name.into(),
        image: "dockyard-test:latest".into(),
        state: "running".into(),
        status: "Up 5 minutes".into(),
        ..Default::default()
    }
}

impl Harness {
    pub fn new(labels: &[&str], w: u16, h: u16) -> Self {
        let keymap = Keymap::new(parse_leader("ctrl-a").expect("leader"));
        let mut h2 = Harness {
            state: State::new(labels.iter().map(|l| HostName::from(*l)).collect(), keymap),
        };
        h2.send(Msg::Terminal(Event::Resize(w, h)));
        h2
    }

    pub fn send(&mut self, msg: Msg) -> Vec<Effect> {
        update(&mut self.state, msg)
    }

    pub fn host_up(&mut self, host: usize, list: Vec<ContainerInfo>) {
        self.send(Msg::Host {
            host,
            ev: HostEvent::Up(list),
        });
    }

    pub fn feed(&mut self, pane: PaneId, text: &str) {
        self.send(Msg::Session {
            pane,
            ev: SessionEvent::Output(text.as_bytes().to_vec().into()),
        });
    }

    pub fn started(&mut self, pane: PaneId) {
        self.send(Msg::Session {
            pane,
            ev: SessionEvent::Started {
                session_id: String::new(),
                node: String::new(),
            },
        });
    }

    pub fn scroll(&mut self, pane: PaneId, lines: isize) {
        if let Some(p) = self.state.panes.get_mut(pane) {
            p.term.scroll(lines);
        }
    }

    pub fn focus_pane(&mut self, pane: PaneId) {
        self.state.focus = Focus::Pane(pane);
    }
}

pub fn state_with_containers(w: u16, h: u16, names: &[&str]) -> Harness {
    let mut s = Harness::new(&["local"], w, h);
    s.host_up(0, names.iter().map(|n| running(n)).collect());
    s
}

/// `n` shell panes, opened with Enter, Ctrl-a |, Ctrl-a - ... as a user
/// would; each started.
pub fn state_with_panes(w: u16, h: u16, n: usize) -> Harness {
    let mut s = state_with_containers(w, h, &["web", "db", "worker"]);
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    for i in 1..n {
        s.send(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
        let split = if i % 2 == 1 { '|' } else { '-' };
        s.send(key(KeyCode::Char(split), KeyModifiers::NONE));
    }
    for pane in 1..=n as PaneId {
        s.started(pane);
    }
    s
}

/// Two hosts down (one unreachable, one without its engine) and one up,
/// with engine text full of terminal controls everywhere it shows.
pub fn hostile_state(w: u16, h: u16) -> Harness {
    let evil = "x\x1b]0;owned\x07\x1b[2J\u{9b}1m\u{202e}y";
    let mut s = Harness::new(&["up", "down", "noengine"], w, h);
    s.host_up(
        0,
        vec![
            ContainerInfo {
                id: "1".into(),
                name: format!("n{evil}"),
                image: format!("i{evil}"),
                state: format!("s{evil}"),
                status: format!("t{evil}"),
                ..Default::default()
            },
            running("plain"),
        ],
    );
    s.send(key(KeyCode::Char('a'), KeyModifiers::NONE));
    s.send(Msg::Host {
        host: 1,
        ev: HostEvent::Down {
            reason: format!("r{evil}"),
            retry_in: 4,
            engine_down: false,
        },
    });
    s.send(Msg::Host {
        host: 2,
        ev: HostEvent::Down {
            reason: "Docker engine unavailable at unix:///var/run/docker.sock: gone".into(),
            retry_in: 8,
            engine_down: true,
        },
    });
    s.send(Msg::Notice {
        text: format!("e{evil}"),
        error: true,
    });
    s
}

/// The frame as text, then the cursor, then every run of styled cells
/// (row, columns, style), so colours are part of what is compared.
pub fn render(state: &State, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| crate::ui::draw(f, state)).expect("draw");
    let backend = term.backend();
    let cursor = backend.cursor_visible().then(|| backend.cursor_position());
    let buf = backend.buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    match cursor {
        Some(p) => out.push_str(&format!("cursor: {},{}\n", p.x, p.y)),
        None => out.push_str("cursor: hidden\n"),
    }
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let style = buf[(x, y)].style();
            let start = x;
            while x < w && buf[(x, y)].style() == style {
                x += 1;
            }
            if style
                != Style::default()
                    .fg(ratatui::style::Color::Reset)
                    .bg(ratatui::style::Color::Reset)
                && style != Style::default()
            {
                out.push_str(&format!("{y}:{start}-{} {}\n", x - 1, style_text(style)));
            }
        }
    }
    out
}

fn style_text(s: Style) -> String {
    let mut parts = vec![];
    if let Some(fg) = s.fg {
        parts.push(format!("fg={fg}"));
    }
    if let Some(bg) = s.bg {
        parts.push(format!("bg={bg}"));
    }
    if !s.add_modifier.is_empty() {
        parts.push(format!("{:?}", s.add_modifier));
    }
    parts.join(" ")
}

pub fn bottom_line(screen: &str) -> String {
    let text = screen.split("cursor:").next().unwrap_or("");
    text.lines().last().unwrap_or("").to_string()
}
