//! The application state and every change to it. The UI task owns one
//! `App`; key presses, terminal events and [`AppEvent`]s become calls here,
//! each marking the screen dirty when something visible changed. Nothing
//! here draws, and nothing here waits on the network: requests are handed
//! to tasks whose results come back as events.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use dockyard_proto::Client;
use dockyard_proto::dial::status_text;
use dockyard_proto::pb::{ContainerInfo, PullRequest, RemoveRequest, StopRequest};
use ratatui::layout::{Direction, Rect};
use tokio::sync::mpsc;

use dockyard_proto::text::printable;

use crate::event::{AppEvent, HostEvent, LaunchEvent, SessionEvent};
use crate::keys::{self, Modes};
use crate::launch_form::LaunchForm;
use crate::layout::{self, Layout};
use crate::pane::{Pane, PaneId, PaneState};
use crate::session::{self, PaneInput};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStatus {
    Connecting,
    Up,
    Down {
        reason: String,
        retry_in: u64,
        engine_down: bool,
    },
}

pub struct Host {
    pub label: String,
    pub client: Option<Client>,
    pub status: HostStatus,
    pub containers: Vec<ContainerInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Host,
    Name,
    Image,
    State,
    Created,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Name,
        SortKey::Image,
        SortKey::State,
        SortKey::Created,
        SortKey::Host,
    ];

    fn next(self) -> SortKey {
        let i = Self::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Pane(PaneId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Stop {
        host: usize,
        id: String,
        name: String,
    },
    Remove {
        host: usize,
        id: String,
        name: String,
    },
}

#[derive(Debug)]
pub enum Mode {
    Normal,
    Leader,
    Filter,
    Help,
    Confirm(Confirm),
    Launch(LaunchForm),
}

/// Where everything goes on screen, computed once per change and used by
/// drawing, pane sizing and mouse hit-testing alike.
#[derive(Debug, Clone, Default)]
pub struct FrameLayout {
    pub list: Option<Rect>,
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Rect,
}

/// A pane's terminal area inside its border.
pub fn inner(outer: Rect) -> Rect {
    Rect::new(
        outer.x.saturating_add(1),
        outer.y.saturating_add(1),
        outer.width.saturating_sub(2).max(1),
        outer.height.saturating_sub(2).max(1),
    )
}

pub struct App {
    pub hosts: Vec<Host>,
    pub panes: BTreeMap<PaneId, Pane>,
    inputs: HashMap<PaneId, PaneInput>,
    pub layout: Layout,
    pub focus: Focus,
    pub mode: Mode,
    pub zoomed: Option<PaneId>,
    pub selected: usize,
    pub filter: String,
    pub sort: SortKey,
    pub show_all: bool,
    pub notice: Option<(String, bool)>,
    pub leader: KeyEvent,
    pub quit: bool,
    pub dirty: bool,
    pub area: Rect,
    next_pane: PaneId,
    events: mpsc::Sender<AppEvent>,
    /// Sessions opened since the event loop last looked; it takes their
    /// event queues into its rotation.
    pub new_sessions: Vec<(PaneId, mpsc::Receiver<SessionEvent>)>,
}

impl App {
    pub fn new(host_labels: Vec<String>, leader: KeyEvent, events: mpsc::Sender<AppEvent>) -> Self {
        App {
            hosts: host_labels
                .into_iter()
                .map(|label| Host {
                    label,
                    client: None,
                    status: HostStatus::Connecting,
                    containers: Vec::new(),
                })
                .collect(),
            panes: BTreeMap::new(),
            inputs: HashMap::new(),
            layout: Layout::default(),
            focus: Focus::List,
            mode: Mode::Normal,
            zoomed: None,
            selected: 0,
            filter: String::new(),
            sort: SortKey::Name,
            show_all: false,
            notice: None,
            leader,
            quit: false,
            dirty: true,
            area: Rect::new(0, 0, 80, 24),
            next_pane: 1,
            events,
            new_sessions: Vec::new(),
        }
    }

    // ---- the container list -------------------------------------------

    /// The rows the list shows: filtered, sorted.
    pub fn rows(&self) -> Vec<(usize, &ContainerInfo)> {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<(usize, &ContainerInfo)> = self
            .hosts
            .iter()
            .enumerate()
            .flat_map(|(h, host)| host.containers.iter().map(move |c| (h, c)))
            .filter(|(_, c)| self.show_all || c.state == "running")
            .filter(|(h, c)| {
                needle.is_empty()
                    || c.name.to_lowercase().contains(&needle)
                    || c.image.to_lowercase().contains(&needle)
                    || c.state.to_lowercase().contains(&needle)
                    || self.hosts[*h].label.to_lowercase().contains(&needle)
            })
            .collect();
        rows.sort_by(|(ha, a), (hb, b)| {
            let key = match self.sort {
                SortKey::Host => ha.cmp(hb),
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::Image => a.image.cmp(&b.image),
                SortKey::State => a.state.cmp(&b.state),
                SortKey::Created => b.created.cmp(&a.created),
            };
            key.then_with(|| a.name.cmp(&b.name))
                .then_with(|| ha.cmp(hb))
        });
        rows
    }

    fn selected_container(&self) -> Option<(usize, ContainerInfo)> {
        self.rows()
            .get(self.selected)
            .map(|(h, c)| (*h, (*c).clone()))
    }

    fn move_selection(&mut self, delta: isize) {
        let n = self.rows().len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
        self.dirty = true;
    }

    fn clamp_selection(&mut self) {
        let n = self.rows().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    // ---- layout -------------------------------------------------------

    pub fn frame_layout(&self, area: Rect) -> FrameLayout {
        let status = Rect::new(
            area.x,
            area.bottom().saturating_sub(1),
            area.width,
            1.min(area.height),
        );
        let body = Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1));
        if let Some(z) = self.zoomed.filter(|z| self.panes.contains_key(z)) {
            return FrameLayout {
                list: None,
                panes: vec![(z, body)],
                status,
            };
        }
        if self.layout.is_empty() {
            return FrameLayout {
                list: Some(body),
                panes: vec![],
                status,
            };
        }
        let want = self.rows().len() as u16 + 3 + self.hosts_down() as u16;
        let list_h = want.clamp(4, (body.height / 3).max(4)).min(body.height);
        let list = Rect::new(body.x, body.y, body.width, list_h);
        let rest = Rect::new(body.x, body.y + list_h, body.width, body.height - list_h);
        FrameLayout {
            list: Some(list),
            panes: self.layout.areas(rest),
            status,
        }
    }

    /// The first table row shown in a list drawn at `area`: the smallest
    /// scroll that keeps the selection visible. Drawing and clicking both
    /// use it, so a click lands on the row under the pointer.
    pub fn list_offset(&self, area: Rect) -> usize {
        let visible = usize::from(area.height.saturating_sub(3)).max(1);
        let selected_row = self.hosts_down() + self.selected;
        (selected_row + 1).saturating_sub(visible)
    }

    pub fn hosts_down(&self) -> usize {
        self.hosts
            .iter()
            .filter(|h| matches!(h.status, HostStatus::Down { .. }))
            .count()
    }

    /// Gives every pane the size of its area, telling remote TTYs that
    /// changed. Called after anything that moves panes.
    pub fn apply_layout(&mut self) {
        let frame = self.frame_layout(self.area);
        for (id, outer) in frame.panes {
            let r = inner(outer);
            if let Some(p) = self.panes.get_mut(&id)
                && p.resize(r.height, r.width)
                && let Some(input) = self.inputs.get(&id)
            {
                input.resize(r.height, r.width);
            }
        }
        self.dirty = true;
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.area = Rect::new(0, 0, cols, rows);
        self.apply_layout();
    }

    // ---- panes --------------------------------------------------------

    pub fn open_pane(&mut self, host: usize, container: &str, dir: Option<Direction>) {
        let Some(client) = self.hosts.get(host).and_then(|h| h.client.clone()) else {
            self.set_notice(
                format!(
                    "{} is not connected",
                    self.hosts.get(host).map_or("host", |h| h.label.as_str())
                ),
                true,
            );
            return;
        };
        let id = self.next_pane;
        self.next_pane += 1;
        self.zoomed = None;
        let target = match self.focus {
            Focus::Pane(p) if self.panes.contains_key(&p) => Some(p),
            _ => self.layout.panes().last().copied(),
        };
        let frame = self.frame_layout(self.area);
        let dir = dir.unwrap_or_else(|| {
            let target_area = target
                .and_then(|t| frame.panes.iter().find(|(id, _)| *id == t).map(|(_, r)| *r))
                .unwrap_or(self.area);
            layout::natural_split(target_area)
        });
        self.layout.insert(target, id, dir);
        let frame = self.frame_layout(self.area);
        let size = frame
            .panes
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, r)| inner(*r))
            .unwrap_or(Rect::new(0, 0, 80, 24));
        let label = self.hosts[host].label.clone();
        self.panes.insert(
            id,
            Pane::new(id, label, container.to_string(), size.height, size.width),
        );
        let (input, events) =
            session::spawn(client, container.to_string(), size.height, size.width);
        self.inputs.insert(id, input);
        self.new_sessions.push((id, events));
        self.focus = Focus::Pane(id);
        self.apply_layout();
    }

    pub fn close_pane(&mut self, id: PaneId) {
        self.inputs.remove(&id);
        self.panes.remove(&id);
        self.layout.remove(id);
        if self.zoomed == Some(id) {
            self.zoomed = None;
        }
        if self.focus == Focus::Pane(id) {
            self.focus = self
                .layout
                .panes()
                .last()
                .map_or(Focus::List, |p| Focus::Pane(*p));
        }
        self.apply_layout();
    }

    fn focused_pane(&self) -> Option<PaneId> {
        match self.focus {
            Focus::Pane(p) if self.panes.contains_key(&p) => Some(p),
            _ => None,
        }
    }

    fn send_to_pane(&mut self, id: PaneId, data: Vec<u8>) {
        if let Some(p) = self.panes.get_mut(&id) {
            if p.parser.screen().scrollback() > 0 {
                p.parser.screen_mut().set_scrollback(0);
                self.dirty = true;
            }
            if let Some(input) = self.inputs.get(&id) {
                input.send(Bytes::from(data));
            }
        }
    }

    fn cycle_pane(&mut self, delta: isize) {
        let order = self.layout.panes();
        if order.is_empty() {
            return;
        }
        let cur = self
            .focused_pane()
            .and_then(|p| order.iter().position(|x| *x == p));
        let n = order.len() as isize;
        let next = match cur {
            Some(i) => (i as isize + delta).rem_euclid(n) as usize,
            None => 0,
        };
        self.focus = Focus::Pane(order[next]);
        if self.zoomed.is_some() {
            self.zoomed = Some(order[next]);
            self.apply_layout();
        }
        self.dirty = true;
    }

    fn move_focus(&mut self, dx: i32, dy: i32) {
        let frame = self.frame_layout(self.area);
        match self.focused_pane() {
            Some(p) => {
                if let Some(n) = layout::neighbour(&frame.panes, p, dx, dy) {
                    self.focus = Focus::Pane(n);
                } else if dy < 0 && frame.list.is_some() {
                    self.focus = Focus::List;
                }
            }
            None if dy > 0 => {
                if let Some((p, _)) = frame.panes.first() {
                    self.focus = Focus::Pane(*p);
                }
            }
            None => {}
        }
        self.dirty = true;
    }

    // ---- events -------------------------------------------------------

    pub fn set_notice(&mut self, text: String, error: bool) {
        self.notice = Some((text, error));
        self.dirty = true;
    }

    pub fn on_event(&mut self, ev: AppEvent) {
        match ev {
            AppEvent::Host { host, ev } => self.on_host(host, ev),
            AppEvent::Launch(ev) => self.on_launch(ev),
            AppEvent::Notice { text, error } => self.set_notice(text, error),
        }
    }

    fn on_host(&mut self, host: usize, ev: HostEvent) {
        let Some(h) = self.hosts.get_mut(host) else {
            return;
        };
        match ev {
            HostEvent::Connected(client, list) => {
                h.client = Some(*client);
                h.status = HostStatus::Up;
                h.containers = list;
            }
            HostEvent::List(list) => h.containers = list,
            HostEvent::Down {
                reason,
                retry_in,
                engine_down,
            } => {
                h.client = None;
                h.status = HostStatus::Down {
                    reason,
                    retry_in,
                    engine_down,
                };
                h.containers.clear();
            }
        }
        self.clamp_selection();
        if self.layout.is_empty() {
            self.dirty = true;
        } else {
            // The list's height follows its rows, which moves the panes.
            self.apply_layout();
        }
    }

    pub fn on_session(&mut self, id: PaneId, ev: SessionEvent) {
        let Some(pane) = self.panes.get_mut(&id) else {
            return;
        };
        match ev {
            SessionEvent::Started => pane.state = PaneState::Running,
            SessionEvent::Output(data) => {
                if let Some(reply) = pane.feed(&data)
                    && let Some(input) = self.inputs.get(&id)
                {
                    input.send(reply);
                }
            }
            SessionEvent::Exited { code, message } => {
                pane.state = PaneState::Exited(code);
                if code < 0 && !message.is_empty() {
                    let message = printable(&message);
                    pane.feed(format!("\r\n\x1b[31m{message}\x1b[0m").as_bytes());
                }
                self.inputs.remove(&id);
            }
            SessionEvent::Failed(message) => {
                let message = printable(&message);
                pane.feed(format!("\r\n\x1b[31m{message}\x1b[0m").as_bytes());
                pane.state = PaneState::Failed(message);
                self.inputs.remove(&id);
            }
        }
        self.dirty = true;
    }

    fn on_launch(&mut self, ev: LaunchEvent) {
        let Mode::Launch(form) = &mut self.mode else {
            return;
        };
        match ev {
            LaunchEvent::Progress(p) => form.progress = Some(p),
            LaunchEvent::Done(Ok(name)) => {
                self.mode = Mode::Normal;
                self.set_notice(format!("launched {name}"), false);
            }
            LaunchEvent::Done(Err(e)) => {
                form.busy = false;
                form.progress = None;
                form.error = Some(e);
            }
        }
        self.dirty = true;
    }

    pub fn on_terminal(&mut self, ev: Event) {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Paste(text) => self.on_paste(&text),
            Event::Mouse(m) => self.on_mouse(m),
            Event::Resize(cols, rows) => self.resize(cols, rows),
            _ => {}
        }
    }

    fn on_paste(&mut self, text: &str) {
        match &mut self.mode {
            Mode::Filter => {
                self.filter.push_str(&text.replace(['\r', '\n'], ""));
                self.selected = 0;
            }
            Mode::Launch(form) => form.field_mut().push_str(&text.replace(['\r', '\n'], " ")),
            _ => {
                if let Some(p) = self.focused_pane() {
                    let modes = Modes::of(self.panes[&p].parser.screen());
                    self.send_to_pane(p, keys::encode_paste(text, modes));
                }
            }
        }
        self.dirty = true;
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        let frame = self.frame_layout(self.area);
        let at = |r: &Rect| {
            m.column >= r.x && m.column < r.right() && m.row >= r.y && m.row < r.bottom()
        };
        if let Some((id, outer)) = frame.panes.iter().find(|(_, r)| at(r)).copied() {
            let area = inner(outer);
            let modes = Modes::of(self.panes[&id].parser.screen());
            let inside = at(&area);
            if matches!(m.kind, MouseEventKind::Down(_)) && self.focus != Focus::Pane(id) {
                self.focus = Focus::Pane(id);
                self.dirty = true;
                return;
            }
            if inside
                && let Some(bytes) = keys::encode_mouse(m, m.column - area.x, m.row - area.y, modes)
            {
                self.send_to_pane(id, bytes);
                return;
            }
            if let Some(p) = self.panes.get_mut(&id) {
                match m.kind {
                    MouseEventKind::ScrollUp => p.scroll(3),
                    MouseEventKind::ScrollDown => p.scroll(-3),
                    _ => return,
                }
                self.dirty = true;
            }
            return;
        }
        if let Some(list) = frame.list.filter(at) {
            match m.kind {
                MouseEventKind::Down(MouseButton::Left) => {
                    self.focus = Focus::List;
                    // Table rows start below the border and the header;
                    // hosts that are down come first, then containers.
                    let top = list.y + 2;
                    if m.row >= top && m.row < list.bottom().saturating_sub(1) {
                        let offset = self.list_offset(list);
                        let row = offset + usize::from(m.row - top);
                        let n = self.rows().len();
                        if let Some(i) = row.checked_sub(self.hosts_down())
                            && i < n
                        {
                            self.selected = i;
                        }
                    }
                    self.dirty = true;
                }
                MouseEventKind::ScrollUp => self.move_selection(-1),
                MouseEventKind::ScrollDown => self.move_selection(1),
                _ => {}
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Help => {}
            Mode::Confirm(c) => self.on_confirm_key(key, c),
            Mode::Launch(form) => self.on_launch_key(key, form),
            Mode::Filter => self.on_filter_key(key),
            Mode::Leader => self.on_leader_key(key),
            Mode::Normal => {
                if same_key(key, self.leader) {
                    self.mode = Mode::Leader;
                    return;
                }
                match self.focused_pane() {
                    Some(p) => self.on_pane_key(p, key),
                    None => self.on_list_key(key),
                }
            }
        }
    }

    fn on_pane_key(&mut self, p: PaneId, key: KeyEvent) {
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::PageUp if shift => self.scroll_half_page(p, 1),
            KeyCode::PageDown if shift => self.scroll_half_page(p, -1),
            _ => {
                if !self.panes[&p].is_live() {
                    // An ended pane stays until closed; Enter or q closes it.
                    if matches!(key.code, KeyCode::Enter | KeyCode::Char('q')) {
                        self.close_pane(p);
                    }
                    return;
                }
                let modes = Modes::of(self.panes[&p].parser.screen());
                if let Some(bytes) = keys::encode_key(key, modes) {
                    self.send_to_pane(p, bytes);
                }
            }
        }
    }

    /// Half a screen back (+1) or forward (-1) in the pane's scrollback.
    fn scroll_half_page(&mut self, p: PaneId, sign: isize) {
        if let Some(pane) = self.panes.get_mut(&p) {
            let half = (pane.size.0 as isize / 2).max(1);
            pane.scroll(sign * half);
        }
    }

    fn on_leader_key(&mut self, key: KeyEvent) {
        if same_key(key, self.leader) {
            // The leader twice sends it through.
            if let Some(p) = self.focused_pane() {
                let modes = Modes::of(self.panes[&p].parser.screen());
                if let Some(bytes) = keys::encode_key(key, modes) {
                    self.send_to_pane(p, bytes);
                }
            }
            return;
        }
        match key.code {
            KeyCode::Char('c') => self.focus = Focus::List,
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Left | KeyCode::Char('h') => self.move_focus(-1, 0),
            KeyCode::Right | KeyCode::Char('l') => self.move_focus(1, 0),
            KeyCode::Up | KeyCode::Char('k') => self.move_focus(0, -1),
            KeyCode::Down | KeyCode::Char('j') => self.move_focus(0, 1),
            KeyCode::Tab | KeyCode::Char('n') => self.cycle_pane(1),
            KeyCode::BackTab | KeyCode::Char('p') => self.cycle_pane(-1),
            KeyCode::Char('z') => {
                if let Some(p) = self.focused_pane() {
                    self.zoomed = if self.zoomed == Some(p) {
                        None
                    } else {
                        Some(p)
                    };
                    self.apply_layout();
                }
            }
            KeyCode::Char('x') => {
                if let Some(p) = self.focused_pane() {
                    self.close_pane(p);
                }
            }
            KeyCode::Char('|') | KeyCode::Char('%') => self.split_focused(Direction::Horizontal),
            KeyCode::Char('-') | KeyCode::Char('"') => self.split_focused(Direction::Vertical),
            KeyCode::PageUp | KeyCode::Char('[') => {
                if let Some(p) = self.focused_pane() {
                    self.scroll_half_page(p, 1);
                }
            }
            _ => {}
        }
    }

    /// Another shell into the focused pane's container (or the selected
    /// one), beside or below it.
    fn split_focused(&mut self, dir: Direction) {
        let target = match self.focused_pane() {
            Some(p) => {
                let pane = &self.panes[&p];
                self.hosts
                    .iter()
                    .position(|h| h.label == pane.host)
                    .map(|h| (h, pane.container.clone()))
            }
            None => self.selected_container().map(|(h, c)| (h, c.name)),
        };
        if let Some((h, c)) = target {
            self.open_pane(h, &c, Some(dir));
        }
    }

    fn on_list_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-10),
            KeyCode::PageDown => self.move_selection(10),
            KeyCode::Home | KeyCode::Char('g') => self.move_selection(-(1 << 30)),
            KeyCode::End | KeyCode::Char('G') => self.move_selection(1 << 30),
            KeyCode::Enter => self.open_selected(None),
            KeyCode::Char('|') => self.open_selected(Some(Direction::Horizontal)),
            KeyCode::Char('-') => self.open_selected(Some(Direction::Vertical)),
            KeyCode::Char('/') => {
                self.filter.clear();
                self.selected = 0;
                self.mode = Mode::Filter;
            }
            KeyCode::Esc => {
                self.filter.clear();
                self.clamp_selection();
            }
            KeyCode::Char('o') => {
                self.sort = self.sort.next();
                self.selected = 0;
            }
            KeyCode::Char('a') => {
                self.show_all = !self.show_all;
                self.clamp_selection();
                self.apply_layout();
            }
            KeyCode::Char('L') | KeyCode::Char('N') => {
                let host = self.selected_container().map_or(0, |(h, _)| h);
                self.mode = Mode::Launch(LaunchForm::new(host));
            }
            KeyCode::Char('S') => {
                if let Some((host, c)) = self.selected_container() {
                    self.mode = Mode::Confirm(Confirm::Stop {
                        host,
                        id: c.id,
                        name: c.name,
                    });
                }
            }
            KeyCode::Char('D') => {
                if let Some((host, c)) = self.selected_container() {
                    self.mode = Mode::Confirm(Confirm::Remove {
                        host,
                        id: c.id,
                        name: c.name,
                    });
                }
            }
            KeyCode::Tab => {
                if let Some(p) = self.layout.panes().first() {
                    self.focus = Focus::Pane(*p);
                }
            }
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('q') => self.quit = true,
            _ => {}
        }
    }

    fn open_selected(&mut self, dir: Option<Direction>) {
        match self.selected_container() {
            Some((h, c)) if c.state == "running" => self.open_pane(h, &c.name, dir),
            Some((_, c)) => {
                self.set_notice(format!("{} is {}, not running", c.name, c.state), true)
            }
            None => {}
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => return,
            KeyCode::Esc => {
                self.filter.clear();
                self.clamp_selection();
                return;
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.push(c)
            }
            _ => {}
        }
        // Typing narrows the list and selects the first match.
        self.selected = 0;
        self.mode = Mode::Filter;
        self.apply_layout();
    }

    fn on_confirm_key(&mut self, key: KeyEvent, c: Confirm) {
        if !matches!(
            key.code,
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter
        ) {
            return;
        }
        let (host, id, name, remove) = match c {
            Confirm::Stop { host, id, name } => (host, id, name, false),
            Confirm::Remove { host, id, name } => (host, id, name, true),
        };
        let Some(mut client) = self.hosts.get(host).and_then(|h| h.client.clone()) else {
            self.set_notice("that host is not connected".into(), true);
            return;
        };
        let events = self.events.clone();
        self.set_notice(
            format!("{} {name}…", if remove { "removing" } else { "stopping" }),
            false,
        );
        tokio::spawn(async move {
            let r = if remove {
                client
                    .remove_container(RemoveRequest {
                        container_identifier: id,
                        force: true,
                    })
                    .await
                    .map(|_| ())
            } else {
                client
                    .stop_container(StopRequest {
                        container_identifier: id,
                        timeout_seconds: None,
                    })
                    .await
                    .map(|_| ())
            };
            let (text, error) = match r {
                Ok(()) => (
                    format!("{} {name}", if remove { "removed" } else { "stopped" }),
                    false,
                ),
                Err(s) => (format!("{name}: {}", status_text(&s)), true),
            };
            let _ = events.send(AppEvent::Notice { text, error }).await;
        });
    }

    fn on_launch_key(&mut self, key: KeyEvent, mut form: LaunchForm) {
        if form.busy {
            // Esc hides a running launch; its result still arrives as a notice.
            if key.code != KeyCode::Esc {
                self.mode = Mode::Launch(form);
            }
            return;
        }
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Tab | KeyCode::Down => form.next(),
            KeyCode::BackTab | KeyCode::Up => form.prev(),
            KeyCode::Left if self.hosts.len() > 1 => {
                form.host = (form.host + self.hosts.len() - 1) % self.hosts.len()
            }
            KeyCode::Right if self.hosts.len() > 1 => {
                form.host = (form.host + 1) % self.hosts.len()
            }
            KeyCode::Backspace => {
                form.field_mut().pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                form.field_mut().push(c)
            }
            KeyCode::Enter => self.submit_launch(&mut form),
            _ => {}
        }
        self.mode = Mode::Launch(form);
    }

    fn submit_launch(&mut self, form: &mut LaunchForm) {
        let req = match form.request() {
            Ok(r) => r,
            Err(e) => {
                form.error = Some(e);
                return;
            }
        };
        let Some(mut client) = self.hosts.get(form.host).and_then(|h| h.client.clone()) else {
            form.error = Some("that host is not connected".into());
            return;
        };
        form.error = None;
        form.busy = true;
        form.progress = Some("checking the image…".into());
        let events = self.events.clone();
        tokio::spawn(async move {
            let send = |ev| {
                let events = events.clone();
                async move {
                    let _ = events.send(AppEvent::Launch(ev)).await;
                }
            };
            let image = req.image.clone();
            let pulled = async {
                let mut s = client
                    .pull_image(PullRequest {
                        image: image.clone(),
                        only_if_missing: true,
                    })
                    .await?
                    .into_inner();
                let mut layers: HashMap<String, (u64, u64)> = HashMap::new();
                while let Some(p) = s.message().await? {
                    if p.done {
                        break;
                    }
                    if !p.layer.is_empty() {
                        let e = layers.entry(p.layer.clone()).or_default();
                        if p.total > 0 {
                            *e = (p.current, p.total);
                        }
                    }
                    let (cur, total) = layers.values().fold((0, 0), |a, l| (a.0 + l.0, a.1 + l.1));
                    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
                    send(LaunchEvent::Progress(format!(
                        "pulling {image}: {} ({:.1}/{:.1} MiB)",
                        p.status,
                        mib(cur),
                        mib(total)
                    )))
                    .await;
                }
                Ok::<_, tonic::Status>(())
            };
            if let Err(s) = pulled.await {
                send(LaunchEvent::Done(Err(status_text(&s)))).await;
                return;
            }
            send(LaunchEvent::Progress("starting…".into())).await;
            let r = client.launch_container(req).await;
            send(LaunchEvent::Done(match r {
                Ok(resp) => {
                    let r = resp.into_inner();
                    Ok(if r.name.is_empty() {
                        r.container_id.chars().take(12).collect()
                    } else {
                        r.name
                    })
                }
                Err(s) => Err(status_text(&s)),
            }))
            .await;
        });
    }
}

fn same_key(a: KeyEvent, b: KeyEvent) -> bool {
    a.code == b.code && a.modifiers == b.modifiers
}

/// Parses a leader like "ctrl-a", "ctrl-b" or "ctrl-space".
pub fn parse_leader(s: &str) -> Option<KeyEvent> {
    let s = s.trim().to_lowercase();
    let key = s.strip_prefix("ctrl-").or_else(|| s.strip_prefix("c-"))?;
    let c = match key {
        "space" => ' ',
        k if k.chars().count() == 1 => k.chars().next()?,
        _ => return None,
    };
    (c.is_ascii_lowercase() || " \\]^_".contains(c))
        .then(|| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_with(n: usize) -> App {
        let (tx, _rx) = mpsc::channel(8);
        let mut app = App::new(
            vec!["h".into()],
            parse_leader("ctrl-a").expect("leader"),
            tx,
        );
        app.hosts[0].status = HostStatus::Up;
        app.hosts[0].containers = (0..n)
            .map(|i| ContainerInfo {
                name: format!("c{i:02}"),
                state: "running".into(),
                ..Default::default()
            })
            .collect();
        app
    }

    #[test]
    fn click_lands_on_the_row_under_the_pointer_when_scrolled() {
        let mut app = app_with(20);
        // 9 rows: a list of 8 (5 table rows) above the status line.
        app.resize(80, 9);
        app.selected = 15;
        let list = app.frame_layout(app.area).list.expect("list");
        assert_eq!(app.list_offset(list), 11);
        app.on_mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 5,
            row: 2,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!(app.rows()[app.selected].1.name, "c11");
    }

    #[test]
    fn filter_narrows_and_selects_the_first_match() {
        let mut app = app_with(12);
        app.selected = 5;
        app.on_key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE));
        for c in "c1".chars() {
            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let names: Vec<String> = app.rows().iter().map(|(_, c)| c.name.clone()).collect();
        assert_eq!(names, vec!["c10", "c11"]);
        assert_eq!(app.selected, 0);
        app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert!(matches!(app.mode, Mode::Normal));
        assert_eq!(app.filter, "c1");
        app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        assert_eq!(app.rows().len(), 12);
    }

    #[test]
    fn leader_twice_and_quit() {
        let mut app = app_with(1);
        app.on_key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL));
        assert!(matches!(app.mode, Mode::Leader));
        app.on_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
        assert!(app.quit);
    }

    /// Engine text with terminal controls and bidi overrides in every
    /// field the list, a down host's row and the status line show: none
    /// of it reaches the screen raw.
    #[test]
    fn engine_text_is_drawn_escaped() {
        let evil = "x\x1b]0;owned\x07\x1b[2J\u{9b}1m\u{202e}y";
        let (tx, _rx) = mpsc::channel(8);
        let mut app = App::new(
            vec!["up".into(), "down".into()],
            parse_leader("ctrl-a").expect("leader"),
            tx,
        );
        app.show_all = true;
        app.hosts[0].status = HostStatus::Up;
        app.hosts[0].containers = vec![ContainerInfo {
            name: format!("n{evil}"),
            image: format!("i{evil}"),
            state: format!("s{evil}"),
            status: format!("t{evil}"),
            ..Default::default()
        }];
        app.hosts[1].status = HostStatus::Down {
            reason: format!("r{evil}"),
            retry_in: 1,
            engine_down: false,
        };
        app.set_notice(format!("e{evil}"), true);
        let mut term =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 20)).expect("terminal");
        term.draw(|f| crate::ui::draw(f, &app)).expect("draw");
        let buf = term.backend().buffer();
        let text: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{text}"
        );
        assert!(text.contains("\\u{1b}]0;owned"), "{text}");
    }
}
