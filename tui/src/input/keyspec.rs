//! Keys as people write them (`ctrl-a`, `shift-pgup`, `S`, `|`, `f5`) and
//! as the help shows them (`Ctrl-a`, `Shift-PgUp`, `↑`). A key press is
//! compared by [`normalize`]d form, so `S` matches however the terminal
//! reports the shift that made it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The form keys are compared in: a typed character carries its shift in
/// itself (`S`, `|`), so SHIFT is dropped for characters and Shift-Tab.
pub fn normalize(key: KeyEvent) -> KeyEvent {
    let mut m = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    if matches!(key.code, KeyCode::Char(_) | KeyCode::BackTab) {
        m.remove(KeyModifiers::SHIFT);
    }
    KeyEvent::new(key.code, m)
}

const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
];

/// Parses `[ctrl-|alt-|shift-]...KEY`. KEY is one character (case
/// matters: `S` is shift-s) or a name (`enter`, `pgup`, `f5`, ...; any
/// case). `shift-tab` is `backtab`.
pub fn parse(spec: &str) -> Result<KeyEvent, String> {
    let bad = |why: &str| format!("invalid key '{}': {why}", spec.escape_debug());
    let mut mods = KeyModifiers::NONE;
    let mut rest = spec.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        let (m, len) = if lower.starts_with("ctrl-") {
            (KeyModifiers::CONTROL, 5)
        } else if lower.starts_with("alt-") {
            (KeyModifiers::ALT, 4)
        } else if lower.starts_with("shift-") {
            (KeyModifiers::SHIFT, 6)
        } else {
            break;
        };
        if rest.len() == len {
            break;
        }
        mods |= m;
        rest = &rest[len..];
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (None, _) => return Err(bad("no key after the modifiers")),
        (Some(c), None) if mods.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(c.to_ascii_lowercase())
        }
        (Some(c), None) => KeyCode::Char(c),
        _ => {
            let lower = rest.to_ascii_lowercase();
            if let Some((_, code)) = NAMES.iter().find(|(n, _)| *n == lower) {
                *code
            } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
                && (1..=12).contains(&n)
            {
                KeyCode::F(n)
            } else {
                return Err(bad(
                    "use a character, a name like enter, pgup, f5, or ctrl-/alt-/shift- before one",
                ));
            }
        }
    };
    let code = if code == KeyCode::Tab && mods.contains(KeyModifiers::SHIFT) {
        KeyCode::BackTab
    } else {
        code
    };
    Ok(normalize(KeyEvent::new(code, mods)))
}

/// How the help and docs/keys.md show a key.
pub fn display(key: KeyEvent) -> String {
    let mut out = String::new();
    for (m, name) in [
        (KeyModifiers::CONTROL, "Ctrl-"),
        (KeyModifiers::ALT, "Alt-"),
        (KeyModifiers::SHIFT, "Shift-"),
    ] {
        if key.modifiers.contains(m) {
            out.push_str(name);
        }
    }
    let name = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    out.push_str(&name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn parses_what_people_write() {
        let ctrl = KeyModifiers::CONTROL;
        assert_eq!(parse("ctrl-a"), Ok(key(KeyCode::Char('a'), ctrl)));
        assert_eq!(parse("Ctrl-B"), Ok(key(KeyCode::Char('b'), ctrl)));
        assert_eq!(parse("S"), Ok(key(KeyCode::Char('S'), KeyModifiers::NONE)));
        assert_eq!(parse("|"), Ok(key(KeyCode::Char('|'), KeyModifiers::NONE)));
        assert_eq!(parse("-"), Ok(key(KeyCode::Char('-'), KeyModifiers::NONE)));
        assert_eq!(parse("ctrl--"), Ok(key(KeyCode::Char('-'), ctrl)));
        assert_eq!(
            parse("shift-PgUp"),
            Ok(key(KeyCode::PageUp, KeyModifiers::SHIFT))
        );
        assert_eq!(
            parse("shift-tab"),
            Ok(key(KeyCode::BackTab, KeyModifiers::NONE))
        );
        assert_eq!(parse("f12"), Ok(key(KeyCode::F(12), KeyModifiers::NONE)));
        assert_eq!(
            parse("space"),
            Ok(key(KeyCode::Char(' '), KeyModifiers::NONE))
        );
        for bad in ["", "ctrl-", "f13", "pgupp", "ctrl-shift-"] {
            let e = parse(bad).expect_err(bad);
            assert!(e.starts_with("invalid key '"), "{e}");
        }
    }

    #[test]
    fn a_typed_capital_matches_its_spec() {
        let typed = key(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(normalize(typed), parse("S").expect("S"));
    }

    #[test]
    fn displays() {
        for (spec, shown) in [
            ("ctrl-a", "Ctrl-a"),
            ("up", "↑"),
            ("shift-pgup", "Shift-PgUp"),
            ("enter", "Enter"),
            ("|", "|"),
            ("backtab", "Shift-Tab"),
        ] {
            assert_eq!(display(parse(spec).expect(spec)), shown);
        }
    }
}
