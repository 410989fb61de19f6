//! The keymap's defaults, overrides, generated texts, and the key tables
//! in docs/keys.md.
use super::*;
use crossterm::event::{KeyCode, KeyModifiers};

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn over(context: &str, action: &str, keys: &[&str]) -> Override {
    Override {
        context: context.into(),
        action: action.into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

#[test]
fn defaults_are_consistent() {
    let map = Keymap::with_overrides(ctrl('a'), &[]).expect("defaults check out");
    assert_eq!(map.action(Context::List, ch('S')), Some(Action::Stop));
    assert_eq!(
        map.action(
            Context::List,
            KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT)
        ),
        Some(Action::Stop)
    );
    assert_eq!(map.action(Context::Leader, ch('z')), Some(Action::Zoom));
    assert_eq!(map.action(Context::List, ch('z')), None);
}

#[test]
fn overrides_take_effect_and_replace_the_default() {
    let map = Keymap::with_overrides(
        ctrl('a'),
        &[
            over("list", "stop", &["x"]),
            over("leader", "zoom", &["f", "F"]),
        ],
    )
    .expect("valid");
    assert_eq!(map.action(Context::List, ch('x')), Some(Action::Stop));
    assert_eq!(map.action(Context::List, ch('S')), None);
    assert_eq!(map.action(Context::Leader, ch('F')), Some(Action::Zoom));
    assert_eq!(map.action(Context::Leader, ch('z')), None);
    assert!(
        map.markdown()
            .contains("| `f` `F` | zoom the pane / back |")
    );
}

#[test]
fn bad_overrides_are_one_line_naming_the_key() {
    let leader = ctrl('a');
    for (o, want) in [
        (
            over("list", "stop", &["ctrl-"]),
            "keys.list.stop: invalid key 'ctrl-'",
        ),
        (
            over("list", "zoom", &["z"]),
            "keys.list.zoom: no such action in list",
        ),
        (over("lst", "stop", &["x"]), "keys.lst: no such context"),
        (
            over("leader", "zoom", &["x"]),
            "keys.leader: 'x' is bound to both zoom and close_pane",
        ),
        (
            over("list", "stop", &["ctrl-a"]),
            "keys.list.stop: 'Ctrl-a' is the leader",
        ),
        (
            over("list", "stop", &[]),
            "keys.list.stop: give at least one key",
        ),
    ] {
        let e = Keymap::with_overrides(leader, &[o]).expect_err(want);
        assert!(e.starts_with(want), "{e}");
        assert!(!e.contains('\n'));
    }
}

#[test]
fn hints_group_keys_sharing_one() {
    let map = Keymap::new(ctrl('a'));
    assert_eq!(
        map.hints(Context::Leader),
        "c list · ← → ↑ ↓ move · | - split · z zoom · x close · [ copy · ? help · q quit"
    );
}

#[test]
fn help_under_another_leader_never_says_ctrl_a() {
    let map = Keymap::new(parse_leader("ctrl-b").expect("leader"));
    let text = format!("{:?}{}", map.help_sections(), map.markdown());
    assert!(!text.contains("Ctrl-a"), "{text}");
    assert!(text.contains("Leader (Ctrl-b), then"));
    assert!(text.contains("send a literal Ctrl-b"));
}

#[test]
fn leaders() {
    assert_eq!(parse_leader("ctrl-b"), Ok(ctrl('b')));
    assert_eq!(parse_leader("ctrl-space"), Ok(ctrl(' ')));
    assert!(parse_leader("b").is_err());
    assert!(parse_leader("alt-b").is_err());
}

/// The key tables in docs/keys.md are this keymap's, word for word.
#[test]
fn docs_key_tables_match_the_keymap() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/keys.md"))
        .expect("docs/keys.md");
    let tables = Keymap::new(ctrl('a')).markdown();
    assert!(
        page.contains(&tables),
        "docs/keys.md's key tables differ from the keymap; they should read:\n\n{tables}\n"
    );
}
