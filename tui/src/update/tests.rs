//! `update` without a terminal or an agent: messages in, state and
//! effects out.

use crossterm::event::{Event, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::input::{Keymap, Override, parse_leader};
use crate::msg::{Effect, HostEvent, Lifecycle, Msg};
use crate::state::{Focus, Mode};
use crate::ui::testing::{Harness, key, running, state_with_containers, state_with_panes, typed};

fn shown_names(s: &Harness) -> Vec<String> {
    s.state
        .list
        .rows()
        .iter()
        .map(|r| r.container.name.clone())
        .collect()
}

fn selected(s: &Harness) -> Option<String> {
    s.state.list.selected().map(|(_, c)| c.name.clone())
}

/// What typing `bytes` into a pane asks for.
fn typed_into(pane: u64, bytes: &[u8]) -> Vec<Effect> {
    vec![Effect::Input {
        pane,
        data: bytes.to_vec().into(),
    }]
}

fn ctrl(c: char) -> Msg {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn selection_follows_a_container_when_one_sorts_above_it() {
    let mut s = state_with_containers(80, 24, &["b", "c", "d"]);
    s.send(key(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(selected(&s).as_deref(), Some("c"));
    s.send(Msg::Host {
        host: 0,
        ev: HostEvent::List(["a", "b", "c", "d"].iter().map(|n| running(n)).collect()),
    });
    assert_eq!(selected(&s).as_deref(), Some("c"));
    // Enter opens c, not the row that used to be second.
    let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    assert!(
        matches!(&fx[0], Effect::OpenSession { container, .. } if container == "c"),
        "{fx:?}"
    );
}

#[test]
fn click_lands_on_the_row_under_the_pointer_when_scrolled() {
    let names: Vec<String> = (0..20).map(|i| format!("c{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    // 9 rows: a list of 8 (5 table rows) above the status line.
    let mut s = state_with_containers(80, 9, &refs);
    s.state.list.select_index(15);
    let list = s.state.frame().list.expect("list");
    assert_eq!(s.state.list_offset(list), 11);
    s.send(Msg::Terminal(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: 2,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(selected(&s).as_deref(), Some("c11"));
}

#[test]
fn filter_narrows_and_selects_the_first_match() {
    let names: Vec<String> = (0..12).map(|i| format!("c{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut s = state_with_containers(80, 24, &refs);
    s.state.list.select_index(5);
    s.send(ch('/'));
    typed(&mut s, "c1");
    assert_eq!(shown_names(&s), vec!["c10", "c11"]);
    assert_eq!(selected(&s).as_deref(), Some("c10"));
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(s.state.mode, Mode::Normal);
    assert_eq!(s.state.list.filter(), "c1");
    s.send(key(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(shown_names(&s).len(), 12);
}

#[test]
fn leader_twice_sends_it_and_leader_q_quits() {
    let mut s = state_with_panes(80, 24, 1);
    s.send(ctrl('a'));
    assert_eq!(s.state.mode, Mode::Leader);
    let fx = s.send(ctrl('a'));
    assert_eq!(fx, typed_into(1, b"\x01"));
    s.send(ctrl('a'));
    s.send(ch('q'));
    assert!(s.state.quit);
}

#[test]
fn focus_and_zoom_survive_another_pane_closing() {
    let mut s = state_with_panes(120, 40, 3);
    // Focus on pane 2, zoomed.
    s.state.focus = Focus::Pane(2);
    s.send(ctrl('a'));
    s.send(ch('z'));
    assert_eq!(s.state.panes.zoomed(), Some(2));
    // Pane 3 ends and is closed from elsewhere (its own Enter).
    s.state.focus = Focus::Pane(3);
    s.send(Msg::Session {
        pane: 3,
        ev: crate::msg::SessionEvent::Exited {
            code: 0,
            message: String::new(),
            cause: dockyard_client::Cause::Unspecified,
        },
    });
    let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    assert!(fx.contains(&Effect::CloseSession { pane: 3 }), "{fx:?}");
    // Zoom and a focus elsewhere are untouched by the close.
    assert_eq!(s.state.panes.zoomed(), Some(2));
    s.state.focus = Focus::Pane(2);
    s.send(ctrl('a'));
    s.send(ch('x'));
    assert_eq!(s.state.panes.zoomed(), None);
    assert_eq!(s.state.focus, Focus::Pane(1));
    assert_eq!(s.state.panes.order(), vec![1]);
}

#[test]
fn closing_an_unfocused_pane_keeps_the_focus() {
    let mut s = state_with_panes(120, 40, 3);
    s.state.focus = Focus::Pane(1);
    crate::update::panes::close(&mut s.state, 2, &mut Vec::new());
    assert_eq!(s.state.focus, Focus::Pane(1));
}

#[test]
fn keymap_overrides_take_effect() {
    let mut s = state_with_containers(80, 24, &["web"]);
    s.state.keymap = Keymap::with_overrides(
        parse_leader("ctrl-b").expect("leader"),
        &[Override {
            context: "list".into(),
            action: "stop".into(),
            keys: vec!["x".into()],
        }],
    )
    .expect("keymap");
    s.send(key(KeyCode::Char('S'), KeyModifiers::SHIFT));
    assert_eq!(s.state.mode, Mode::Normal, "S no longer stops");
    s.send(ch('x'));
    assert!(matches!(s.state.mode, Mode::Confirm(_)));
    let fx = s.send(ch('y'));
    assert!(
        matches!(&fx[..], [Effect::Lifecycle { name, op: Lifecycle::Stop, .. }] if name == "web"),
        "{fx:?}"
    );
    // The new leader works, the old one is typed into the pane.
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    s.started(1);
    let fx = s.send(ctrl('a'));
    assert_eq!(fx, typed_into(1, b"\x01"));
    s.send(ctrl('b'));
    assert_eq!(s.state.mode, Mode::Leader);
}

#[test]
fn a_stopped_container_is_not_opened() {
    let mut s = state_with_containers(80, 24, &[]);
    let mut c = running("gone");
    c.state = "exited".into();
    s.host_up(0, vec![c]);
    s.send(ch('a'));
    let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    assert!(fx.is_empty());
    let notice = s.state.notice.clone().expect("a notice");
    assert_eq!(notice.text, "gone is exited, not running");
}

#[test]
fn panes_get_their_areas_and_remote_ttys_hear_of_changes() {
    let mut s = state_with_panes(100, 30, 1);
    let size = s.state.panes.get(1).expect("pane").term.size();
    let fx = s.send(ctrl('a'));
    assert!(fx.is_empty());
    let fx = s.send(ch('|'));
    // The first pane shrank to make room: its TTY is told.
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Resize { pane: 1, cols, .. } if *cols < size.1)),
        "{fx:?}"
    );
    let fx = s.send(Msg::Terminal(Event::Resize(60, 20)));
    assert!(fx.iter().all(|e| matches!(e, Effect::Resize { .. })));
    assert_eq!(
        fx.len(),
        2,
        "both panes, the starting one too, are told: {fx:?}"
    );
}

/// Space marks (and moves down), Enter opens a pane per marked container
/// as one group, and with broadcast on a key goes to every pane of the
/// group, each encoded for its own program's modes, not to a pane outside
/// it; zooming does not stop it.
#[test]
fn marks_open_a_group_and_broadcast_types_into_it() {
    let mut s = state_with_containers(120, 40, &["a", "b", "c"]);
    s.send(ch(' '));
    s.send(ch(' '));
    assert_eq!(s.state.list.marks(), 2);
    let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    let opened: Vec<&str> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::OpenSession { container, .. } => Some(container.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(opened, vec!["a", "b"]);
    assert_eq!(s.state.list.marks(), 0, "marks are cleared once opened");
    // A third pane, outside the group: c, opened on its own.
    s.send(ctrl('a'));
    s.send(ch('c'));
    s.send(key(KeyCode::Down, KeyModifiers::NONE));
    s.send(key(KeyCode::Down, KeyModifiers::NONE));
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    let order = s.state.panes.order();
    assert_eq!(order.len(), 3);
    for pane in order.clone() {
        s.send(Msg::Session {
            pane,
            ev: crate::msg::SessionEvent::Started {
                session_id: String::new(),
                node: String::new(),
            },
        });
    }
    let (first, outside) = (order[0], order[2]);
    // One pane's program asked for application cursor keys.
    s.feed(first, "\x1b[?1h");
    s.focus_pane(first);
    assert_eq!(s.send(ch('x')).len(), 1, "broadcast is off");
    s.send(ctrl('a'));
    s.send(ch('s'));
    assert!(s.state.broadcast.is_some());
    let fx = s.send(key(KeyCode::Up, KeyModifiers::NONE));
    let mut sent: Vec<(u64, Vec<u8>)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Input { pane, data } => Some((*pane, data.to_vec())),
            _ => None,
        })
        .collect();
    sent.sort();
    assert_eq!(sent.len(), 2, "{fx:?}");
    assert_eq!(sent[0], (first, b"\x1bOA".to_vec()));
    assert_eq!(sent[1].1, b"\x1b[A".to_vec());
    assert!(sent.iter().all(|(p, _)| *p != outside));
    s.send(ctrl('a'));
    s.send(ch('z'));
    assert_eq!(s.send(ch('y')).len(), 2, "zoomed, still broadcasting");
    s.send(ctrl('a'));
    s.send(ch('z'));
    // Typed in the pane outside the group: that pane alone.
    s.focus_pane(outside);
    assert_eq!(s.send(ch('y')).len(), 1);
    s.send(ctrl('a'));
    s.send(ch('s'));
    s.focus_pane(first);
    assert_eq!(s.send(ch('y')).len(), 1, "broadcast off");
}

fn mouse(kind: MouseEventKind, column: u16, row: u16, modifiers: KeyModifiers) -> Msg {
    Msg::Terminal(Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers,
    }))
}

/// What went to the clipboard.
fn clipboard(fx: &[Effect]) -> Option<String> {
    fx.iter().find_map(|e| match e {
        Effect::Clipboard(t) => Some(t.clone()),
        _ => None,
    })
}

/// The screen position of a pane's inner top-left corner.
fn origin(s: &Harness, pane: u64) -> (u16, u16) {
    let (_, outer) = s
        .state
        .frame()
        .panes
        .into_iter()
        .find(|(p, _)| *p == pane)
        .expect("pane shown");
    (outer.x + 1, outer.y + 1)
}

#[test]
fn copy_mode_selects_a_line_copies_it_and_pastes_it_elsewhere() {
    let mut s = state_with_panes(120, 40, 2);
    let (first, second) = (1, 2);
    s.feed(first, "$ echo copy-me-77\r\ncopy-me-77\r\n$ ");
    s.focus_pane(first);
    s.send(ctrl('a'));
    s.send(ch('['));
    assert!(s.state.panes.get(first).is_some_and(|p| p.copy.is_some()));
    // Typing in copy mode reaches no program.
    assert_eq!(s.send(ch('k')), vec![]);
    s.send(ch('V'));
    let fx = s.send(ch('y'));
    assert_eq!(clipboard(&fx).as_deref(), Some("copy-me-77"));
    assert!(s.state.panes.get(first).is_some_and(|p| p.copy.is_none()));
    // Pasted into the other pane, bracketed as its program asked.
    s.feed(second, "\x1b[?2004h");
    s.focus_pane(second);
    s.send(ctrl('a'));
    let fx = s.send(ch(']'));
    assert_eq!(fx, typed_into(second, b"\x1b[200~copy-me-77\x1b[201~"));
}

#[test]
fn copy_mode_search_finds_an_old_line_and_shows_it() {
    let mut s = state_with_panes(100, 30, 1);
    s.feed(1, "needle-5000\r\n");
    for i in 0..5000 {
        s.feed(1, &format!("line {i}\r\n"));
    }
    s.focus_pane(1);
    s.send(ctrl('a'));
    s.send(ch('['));
    s.send(ch('?'));
    typed(&mut s, "needle-5000");
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    let p = s.state.panes.get(1).expect("pane");
    let cursor = p.copy.as_ref().expect("in copy mode").cursor;
    assert_eq!(cursor.line, p.term.first_line());
    assert!(p.term.top_line() <= cursor.line && cursor.line <= p.term.bottom_line());
    let shown = crate::ui::testing::render(&s.state, 100, 30);
    assert!(shown.contains("needle-5000"), "{shown}");
    // q leaves, back to the live screen.
    s.send(ch('q'));
    let p = s.state.panes.get(1).expect("pane");
    assert!(p.copy.is_none());
    assert_eq!(p.term.back(), 0);
}

#[test]
fn a_drag_selects_in_its_own_pane_only_and_copies_on_release() {
    let mut s = state_with_panes(120, 30, 2);
    s.feed(1, "left-one left-two\r\n");
    s.feed(2, "right-one right-two\r\n");
    let (x1, y1) = origin(&s, 1);
    let (x2, _) = origin(&s, 2);
    assert!(x2 > x1 + 10, "side by side");
    let none = KeyModifiers::NONE;
    s.send(mouse(MouseEventKind::Down(MouseButton::Left), x1, y1, none));
    // Across the border, into the neighbour and beyond.
    s.send(mouse(
        MouseEventKind::Drag(MouseButton::Left),
        x2 + 5,
        y1,
        none,
    ));
    let fx = s.send(mouse(
        MouseEventKind::Up(MouseButton::Left),
        x2 + 5,
        y1,
        none,
    ));
    assert_eq!(clipboard(&fx).as_deref(), Some("left-one left-two"));
    assert_eq!(s.state.paste_buffer.as_deref(), Some("left-one left-two"));
    assert!(s.state.panes.get(1).is_some_and(|p| p.copy.is_none()));
    // A plain click copies nothing.
    s.send(mouse(MouseEventKind::Down(MouseButton::Left), x2, y1, none));
    let fx = s.send(mouse(MouseEventKind::Up(MouseButton::Left), x2, y1, none));
    assert_eq!(clipboard(&fx), None);
}

#[test]
fn double_and_triple_clicks_select_a_word_and_a_line() {
    let mut s = state_with_panes(100, 30, 1);
    s.feed(1, "alpha beta-gamma delta\r\n");
    let (x, y) = origin(&s, 1);
    let none = KeyModifiers::NONE;
    let click = |s: &mut Harness| {
        s.send(mouse(
            MouseEventKind::Down(MouseButton::Left),
            x + 7,
            y,
            none,
        ));
        s.send(mouse(MouseEventKind::Up(MouseButton::Left), x + 7, y, none))
    };
    click(&mut s);
    let fx = click(&mut s);
    assert_eq!(clipboard(&fx).as_deref(), Some("beta"));
    let fx = click(&mut s);
    assert_eq!(clipboard(&fx).as_deref(), Some("alpha beta-gamma delta"));
}

#[test]
fn shift_drag_selects_over_a_program_that_takes_the_mouse() {
    let mut s = state_with_panes(100, 30, 1);
    // The program asks for button events (as vi with mouse=a does).
    s.feed(1, "\x1b[?1002hpick me\r\n");
    let (x, y) = origin(&s, 1);
    let fx = s.send(mouse(
        MouseEventKind::Down(MouseButton::Left),
        x,
        y,
        KeyModifiers::NONE,
    ));
    assert!(
        matches!(&fx[..], [Effect::Input { .. }]),
        "the program gets it: {fx:?}"
    );
    s.send(mouse(
        MouseEventKind::Up(MouseButton::Left),
        x,
        y,
        KeyModifiers::NONE,
    ));
    let shift = KeyModifiers::SHIFT;
    s.send(mouse(MouseEventKind::Down(MouseButton::Left), x, y, shift));
    s.send(mouse(
        MouseEventKind::Drag(MouseButton::Left),
        x + 3,
        y,
        shift,
    ));
    let fx = s.send(mouse(
        MouseEventKind::Up(MouseButton::Left),
        x + 3,
        y,
        shift,
    ));
    assert_eq!(clipboard(&fx).as_deref(), Some("pick"));
}

#[test]
fn a_logs_pane_has_copy_mode_and_search_too() {
    let mut s = state_with_containers(100, 30, &["web"]);
    s.send(ch('l'));
    s.started(1);
    assert!(s.state.panes.get(1).is_some_and(|p| p.is_logs()));
    for i in 0..300 {
        s.feed(1, &format!("GET /item/{i} 200\r\n"));
    }
    s.focus_pane(1);
    // The logs pane's own search, back from the bottom.
    s.send(ch('/'));
    typed(&mut s, "item/17 ");
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    let shown = crate::ui::testing::render(&s.state, 100, 30);
    assert!(shown.contains("GET /item/17 200"), "{shown}");
    // Copy mode from there: the line found, copied.
    s.send(ctrl('a'));
    s.send(ch('['));
    s.send(ch('?'));
    typed(&mut s, "item/17 ");
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    s.send(ch('V'));
    let fx = s.send(ch('y'));
    assert_eq!(clipboard(&fx).as_deref(), Some("GET /item/17 200"));
    // Nothing to paste into: a log takes no input.
    s.send(ctrl('a'));
    assert_eq!(s.send(ch(']')), vec![]);
    assert!(s.state.notice.as_ref().is_some_and(|n| n.error));
}

#[test]
fn a_double_click_on_nothing_leaves_no_copy_mode_behind() {
    let mut s = state_with_panes(100, 30, 1);
    s.feed(1, "word\r\n");
    let (x, y) = origin(&s, 1);
    let none = KeyModifiers::NONE;
    // Far right of the text, then on an empty row.
    for (cx, cy) in [(x + 40, y), (x, y + 5)] {
        for _ in 0..2 {
            s.send(mouse(MouseEventKind::Down(MouseButton::Left), cx, cy, none));
            let fx = s.send(mouse(MouseEventKind::Up(MouseButton::Left), cx, cy, none));
            assert_eq!(clipboard(&fx), None);
        }
        assert!(s.state.panes.get(1).is_some_and(|p| p.copy.is_none()));
        // Wait out the double click before the next place.
        s.state.last_click = None;
    }
    // Keys still reach the shell.
    assert_eq!(s.send(ch('x')), typed_into(1, b"x"));
}

#[test]
fn esc_clears_a_selection_first_and_q_leaves_at_once() {
    let mut s = state_with_panes(100, 30, 1);
    s.feed(1, "some text\r\n");
    s.focus_pane(1);
    let copying = |s: &Harness| s.state.panes.get(1).is_some_and(|p| p.copy.is_some());
    s.send(ctrl('a'));
    s.send(ch('['));
    s.send(ch('v'));
    s.send(key(KeyCode::Esc, KeyModifiers::NONE));
    assert!(copying(&s), "Esc cleared the selection only");
    s.send(key(KeyCode::Esc, KeyModifiers::NONE));
    assert!(!copying(&s));
    s.send(ctrl('a'));
    s.send(ch('['));
    s.send(ch('v'));
    s.send(ch('q'));
    assert!(!copying(&s), "q leaves with a selection");
}

#[test]
fn a_press_whose_release_never_came_is_forgotten() {
    let mut s = state_with_panes(120, 30, 2);
    s.feed(1, "left text\r\n");
    s.feed(2, "\x1b[?1002h");
    let (x1, y1) = origin(&s, 1);
    let (x2, y2) = origin(&s, 2);
    let none = KeyModifiers::NONE;
    s.send(mouse(MouseEventKind::Down(MouseButton::Left), x1, y1, none));
    // The release happened outside the window; then a click in the other
    // pane, whose program takes the mouse: its drag is the program's.
    s.send(mouse(MouseEventKind::Down(MouseButton::Left), x2, y2, none));
    let fx = s.send(mouse(
        MouseEventKind::Drag(MouseButton::Left),
        x2 + 2,
        y2,
        none,
    ));
    assert!(matches!(&fx[..], [Effect::Input { pane: 2, .. }]), "{fx:?}");
    assert!(s.state.panes.get(1).is_some_and(|p| p.copy.is_none()));
}

/// A host that is a cluster's entry: the list shows and sorts by node,
/// and the launch form offers its nodes (→), launching on the one chosen.
#[test]
fn a_cluster_entry_lists_nodes_and_launches_on_the_chosen_one() {
    let mut s = Harness::new(&["entry"], 120, 30);
    let on = |name: &str, node: &str| dockyard_client::pb::ContainerInfo {
        node: node.into(),
        ..running(name)
    };
    s.host_up(0, vec![on("web", "n1"), on("db", "n2"), on("cache", "n3")]);
    assert!(s.state.list.several_nodes());
    let screen = crate::ui::testing::render(&s.state, 120, 30);
    assert!(screen.contains("NODE"), "{screen}");
    // A node that stops answering is named with why.
    s.send(Msg::Host {
        host: 0,
        ev: HostEvent::NodesDown(vec![("n4".into(), "connection refused".into())]),
    });
    let screen = crate::ui::testing::render(&s.state, 120, 30);
    assert!(
        screen.contains("entry: node n4: connection refused"),
        "{screen}"
    );
    // o cycles the sort keys, Node among them.
    for _ in 0..5 {
        s.send(key(KeyCode::Char('o'), KeyModifiers::NONE));
    }
    assert_eq!(s.state.list.sort(), crate::state::list::SortKey::Node);
    assert_eq!(shown_names(&s), ["web", "db", "cache"]);

    s.send(key(KeyCode::Char('L'), KeyModifiers::SHIFT));
    for c in "busybox".chars() {
        s.send(key(KeyCode::Char(c), KeyModifiers::NONE));
    }
    // The host itself, then its nodes n1, n2.
    s.send(key(KeyCode::Right, KeyModifiers::NONE));
    s.send(key(KeyCode::Right, KeyModifiers::NONE));
    let screen = crate::ui::testing::render(&s.state, 120, 30);
    assert!(screen.contains("entry node n2"), "{screen}");
    let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Launch { host: 0, node: Some(n), .. } if n == "n2")),
        "{fx:?}"
    );
}

/// Quitting with a shell on the local engine (the embedded agent) asks
/// first: it ends with the TUI. Any other key stays; y quits. With no
/// local shell, q quits at once.
#[test]
fn quitting_with_local_shells_asks_first() {
    use crate::state::hosts::{HostName, Reach};
    let mut s = Harness::new(&[], 120, 30);
    let keymap = s.state.keymap.clone();
    s.state = crate::state::State::new(
        vec![HostName {
            label: "local".into(),
            reach: Reach::Embedded,
        }],
        keymap,
    );
    s.send(Msg::Terminal(Event::Resize(120, 30)));
    s.host_up(0, vec![running("web")]);
    s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    let pane = s.state.focused_pane().expect("a pane");
    s.send(Msg::Session {
        pane,
        ev: crate::msg::SessionEvent::Started {
            session_id: String::new(),
            node: String::new(),
        },
    });
    s.send(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
    s.send(key(KeyCode::Char('q'), KeyModifiers::NONE));
    assert_eq!(s.state.mode, Mode::QuitLocal { count: 1 });
    let screen = crate::ui::testing::render(&s.state, 120, 30);
    assert!(
        screen.contains("1 shell on the local engine ends with dockyard"),
        "{screen}"
    );
    s.send(key(KeyCode::Char('x'), KeyModifiers::NONE));
    assert!(!s.state.quit && s.state.mode == Mode::Normal);
    s.send(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
    s.send(key(KeyCode::Char('q'), KeyModifiers::NONE));
    s.send(key(KeyCode::Char('y'), KeyModifiers::NONE));
    assert!(s.state.quit);

    let mut plain = state_with_containers(80, 24, &["web"]);
    plain.send(key(KeyCode::Char('q'), KeyModifiers::NONE));
    assert!(plain.state.quit, "nothing to lose: q quits");
}

/// Splitting from a replay pane (no container) or a logs pane opens a
/// shell in the list's selected container, or says why it cannot.
#[test]
fn splitting_from_a_replay_or_logs_pane_opens_the_selected_container() {
    let mut s = state_with_containers(120, 30, &["web"]);
    let mut fx = Vec::new();
    crate::update::panes::open_replay(&mut s.state, "/tmp/x.cast".into(), &mut fx);
    let fx = s.send(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
    assert!(fx.is_empty());
    let fx = s.send(key(KeyCode::Char('|'), KeyModifiers::NONE));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::OpenSession { container, .. } if container == "web")),
        "{fx:?}"
    );
    // With nothing selected: said, nothing opened.
    let mut s = Harness::new(&["h"], 120, 30);
    s.host_up(0, vec![]);
    let mut fx = Vec::new();
    crate::update::panes::open_replay(&mut s.state, "/tmp/x.cast".into(), &mut fx);
    s.send(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
    let fx = s.send(key(KeyCode::Char('|'), KeyModifiers::NONE));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::OpenSession { .. })),
        "{fx:?}"
    );
    let notice = s
        .state
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("no container is selected"), "{notice}");
}

#[test]
fn a_shell_pane_on_an_image_without_a_shell_becomes_a_debug_pane() {
    use crate::state::panes::PaneKind;
    let mut s = state_with_containers(80, 24, &["distroless"]);
    s.state.debug_image = "tools:1".into();
    let fx = s.send(key(KeyCode::Enter, KeyModifiers::NONE));
    let Some(Effect::OpenSession { pane, .. }) = fx.first().cloned() else {
        panic!("{fx:?}");
    };
    let exited = |cause| Msg::Session {
        pane,
        ev: crate::msg::SessionEvent::Exited {
            code: 127,
            message: String::new(),
            cause,
        },
    };
    // The runtime found no /bin/sh: a debug shell, in the same pane.
    let fx = s.send(exited(dockyard_client::Cause::CommandNotFound));
    assert!(
        matches!(&fx[..], [Effect::OpenSession { pane: p, kind: PaneKind::Debug { image }, container, .. }]
            if *p == pane && image == "tools:1" && container == "distroless"),
        "{fx:?}"
    );
    let p = s.state.panes.get(pane).expect("the pane");
    assert!(p.title().contains("debug"), "{}", p.title());
    // A debug shell that exits 127 stays ended; so does a shell whose
    // program exited 127 itself.
    let fx = s.send(exited(dockyard_client::Cause::CommandNotFound));
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn d_opens_a_debug_shell_with_the_configured_toolbox() {
    use crate::state::panes::PaneKind;
    let mut s = state_with_containers(80, 24, &["web"]);
    s.state.debug_image = "tools:2".into();
    let fx = s.send(ch('d'));
    assert!(
        matches!(&fx[..], [Effect::OpenSession { kind: PaneKind::Debug { image }, container, .. }]
            if image == "tools:2" && container == "web"),
        "{fx:?}"
    );
}
