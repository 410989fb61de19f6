//! Turning key presses, pastes and mouse events into the bytes a terminal
//! would send, honouring the modes the program in the pane asked for
//! (application cursor keys, bracketed paste, mouse reporting).

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

pub use dockyard_term::{Modes, Mouse, MouseEncoding};

/// xterm's modifier parameter: 1 + shift + 2*alt + 4*ctrl.
fn modifier_param(m: KeyModifiers) -> u8 {
    1 + u8::from(m.contains(KeyModifiers::SHIFT))
        + 2 * u8::from(m.contains(KeyModifiers::ALT))
        + 4 * u8::from(m.contains(KeyModifiers::CONTROL))
}

/// CSI/SS3 key with a final letter (arrows, Home, End, F1-F4).
fn letter_key(letter: char, m: KeyModifiers, ss3: bool) -> Vec<u8> {
    let p = modifier_param(m);
    if p > 1 {
        format!("\x1b[1;{p}{letter}").into_bytes()
    } else if ss3 {
        format!("\x1bO{letter}").into_bytes()
    } else {
        format!("\x1b[{letter}").into_bytes()
    }
}

/// CSI number ~ keys (Insert, Delete, PgUp, PgDn, F5-F12).
fn tilde_key(n: u8, m: KeyModifiers) -> Vec<u8> {
    let p = modifier_param(m);
    if p > 1 {
        format!("\x1b[{n};{p}~").into_bytes()
    } else {
        format!("\x1b[{n}~").into_bytes()
    }
}

pub fn encode_key(key: KeyEvent, modes: Modes) -> Option<Vec<u8>> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let m = key.modifiers;
    let alt = m.contains(KeyModifiers::ALT);
    let ctrl = m.contains(KeyModifiers::CONTROL);
    let mut out = match key.code {
        KeyCode::Char(c) => {
            let mut bytes = if ctrl {
                match c.to_ascii_lowercase() {
                    c @ 'a'..='z' => vec![c as u8 & 0x1f],
                    '@' | ' ' | '2' => vec![0],
                    '[' | '3' => vec![0x1b],
                    '\\' | '4' => vec![0x1c],
                    ']' | '5' => vec![0x1d],
                    '^' | '6' => vec![0x1e],
                    '_' | '-' | '7' => vec![0x1f],
                    '?' | '8' => vec![0x7f],
                    other => other.to_string().into_bytes(),
                }
            } else {
                c.to_string().into_bytes()
            };
            if alt {
                bytes.insert(0, 0x1b);
            }
            return Some(bytes);
        }
        KeyCode::Enter => vec![b'\r'],
        KeyCode::Tab => vec![b'\t'],
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Backspace => vec![if ctrl { 0x08 } else { 0x7f }],
        KeyCode::Esc => vec![0x1b],
        KeyCode::Up => letter_key('A', m, modes.application_cursor),
        KeyCode::Down => letter_key('B', m, modes.application_cursor),
        KeyCode::Right => letter_key('C', m, modes.application_cursor),
        KeyCode::Left => letter_key('D', m, modes.application_cursor),
        KeyCode::Home => letter_key('H', m, modes.application_cursor),
        KeyCode::End => letter_key('F', m, modes.application_cursor),
        KeyCode::Insert => tilde_key(2, m),
        KeyCode::Delete => tilde_key(3, m),
        KeyCode::PageUp => tilde_key(5, m),
        KeyCode::PageDown => tilde_key(6, m),
        KeyCode::F(n @ 1..=4) => letter_key((b'P' + n - 1) as char, m, true),
        KeyCode::F(n @ 5..=12) => {
            let code = [15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)];
            tilde_key(code, m)
        }
        _ => return None,
    };
    // Alt on keys without a modifier form of their own (Enter, Tab,
    // Backspace, Esc) is the ESC prefix.
    if alt && out.len() == 1 {
        out.insert(0, 0x1b);
    }
    Some(out)
}

/// A paste: wrapped in bracketed-paste markers when the program asked for
/// them (an end marker inside the text is dropped, so a paste cannot break
/// out), otherwise sent as typed, newlines as Enter.
pub fn encode_paste(text: &str, modes: Modes) -> Vec<u8> {
    if modes.bracketed_paste {
        // Removing one end marker can join the pieces of another
        // ("\x1b[20\x1b[201~1~"), so repeat until none is left.
        let mut body = text.to_string();
        while body.contains("\x1b[201~") {
            body = body.replace("\x1b[201~", "");
        }
        let mut v = Vec::with_capacity(body.len() + 12);
        v.extend_from_slice(b"\x1b[200~");
        v.extend_from_slice(body.as_bytes());
        v.extend_from_slice(b"\x1b[201~");
        v
    } else {
        text.replace("\r\n", "\r").replace('\n', "\r").into_bytes()
    }
}

/// A mouse event at (col, row) inside the pane, if the program asked for
/// this kind of event; `None` means the pane handles it (wheel scrolling).
pub fn encode_mouse(ev: MouseEvent, col: u16, row: u16, modes: Modes) -> Option<Vec<u8>> {
    use Mouse as Mode;
    let (mut button, press) = match ev.kind {
        MouseEventKind::Down(b) => (button_code(b), true),
        MouseEventKind::Up(b) => (button_code(b), false),
        MouseEventKind::Drag(b) => (button_code(b) + 32, true),
        MouseEventKind::Moved => (3 + 32, true),
        MouseEventKind::ScrollUp => (64, true),
        MouseEventKind::ScrollDown => (65, true),
        _ => return None,
    };
    let wanted = match modes.mouse {
        Mode::None => false,
        Mode::Press => matches!(
            ev.kind,
            MouseEventKind::Down(_) | MouseEventKind::ScrollUp | MouseEventKind::ScrollDown
        ),
        Mode::PressRelease => !matches!(ev.kind, MouseEventKind::Drag(_) | MouseEventKind::Moved),
        Mode::ButtonMotion => !matches!(ev.kind, MouseEventKind::Moved),
        Mode::AnyMotion => true,
    };
    if !wanted {
        return None;
    }
    if ev.modifiers.contains(KeyModifiers::SHIFT) {
        button += 4;
    }
    if ev.modifiers.contains(KeyModifiers::ALT) {
        button += 8;
    }
    if ev.modifiers.contains(KeyModifiers::CONTROL) {
        button += 16;
    }
    let (x, y) = (u32::from(col) + 1, u32::from(row) + 1);
    Some(match modes.mouse_encoding {
        MouseEncoding::Sgr => {
            format!("\x1b[<{button};{x};{y}{}", if press { 'M' } else { 'm' }).into_bytes()
        }
        _ => {
            // X10/normal encoding: release is button 3; coordinates past
            // 223 cannot be expressed and are clamped.
            let b = if press { button } else { 3 + (button & !3) };
            let enc = |v: u32| (v.min(223) + 32) as u8;
            vec![0x1b, b'[', b'M', b + 32, enc(x), enc(y)]
        }
    })
}

fn button_code(b: MouseButton) -> u8 {
    match b {
        MouseButton::Left => 0,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    }
}

/// The sequence that puts `text` on the terminal's clipboard (OSC 52,
/// base64, "c" for the clipboard selection).
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    fn enc(code: KeyCode, m: KeyModifiers, app: bool) -> Vec<u8> {
        let modes = Modes {
            application_cursor: app,
            ..Default::default()
        };
        encode_key(key(code, m), modes).expect("encodes")
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;

    #[test]
    fn arrows_follow_cursor_mode() {
        assert_eq!(enc(KeyCode::Up, NONE, false), b"\x1b[A");
        assert_eq!(enc(KeyCode::Up, NONE, true), b"\x1bOA");
        assert_eq!(enc(KeyCode::Left, NONE, true), b"\x1bOD");
        assert_eq!(enc(KeyCode::Home, NONE, false), b"\x1b[H");
        assert_eq!(enc(KeyCode::End, NONE, true), b"\x1bOF");
        // Modified arrows use the CSI form in either mode.
        assert_eq!(
            enc(KeyCode::Right, KeyModifiers::CONTROL, true),
            b"\x1b[1;5C"
        );
        assert_eq!(
            enc(KeyCode::Up, KeyModifiers::SHIFT | KeyModifiers::ALT, false),
            b"\x1b[1;4A"
        );
    }

    #[test]
    fn control_and_alt() {
        assert_eq!(enc(KeyCode::Char('c'), KeyModifiers::CONTROL, false), [3]);
        assert_eq!(enc(KeyCode::Char('A'), KeyModifiers::CONTROL, false), [1]);
        assert_eq!(enc(KeyCode::Char(' '), KeyModifiers::CONTROL, false), [0]);
        assert_eq!(
            enc(KeyCode::Char(']'), KeyModifiers::CONTROL, false),
            [0x1d]
        );
        assert_eq!(enc(KeyCode::Char('x'), KeyModifiers::ALT, false), b"\x1bx");
        assert_eq!(
            enc(
                KeyCode::Char('x'),
                KeyModifiers::ALT | KeyModifiers::CONTROL,
                false
            ),
            [0x1b, 0x18]
        );
        assert_eq!(
            enc(KeyCode::Backspace, KeyModifiers::ALT, false),
            [0x1b, 0x7f]
        );
        assert_eq!(enc(KeyCode::Char('é'), NONE, false), "é".as_bytes());
    }

    #[test]
    fn editing_and_function_keys() {
        assert_eq!(enc(KeyCode::Enter, NONE, false), b"\r");
        assert_eq!(enc(KeyCode::Backspace, NONE, false), [0x7f]);
        assert_eq!(enc(KeyCode::BackTab, KeyModifiers::SHIFT, false), b"\x1b[Z");
        assert_eq!(enc(KeyCode::Delete, NONE, false), b"\x1b[3~");
        assert_eq!(enc(KeyCode::PageUp, NONE, false), b"\x1b[5~");
        assert_eq!(
            enc(KeyCode::PageDown, KeyModifiers::CONTROL, false),
            b"\x1b[6;5~"
        );
        assert_eq!(enc(KeyCode::F(1), NONE, false), b"\x1bOP");
        assert_eq!(enc(KeyCode::F(4), KeyModifiers::SHIFT, false), b"\x1b[1;2S");
        assert_eq!(enc(KeyCode::F(5), NONE, false), b"\x1b[15~");
        assert_eq!(enc(KeyCode::F(12), NONE, false), b"\x1b[24~");
    }

    #[test]
    fn paste_bracketed_or_typed() {
        let mut modes = Modes::default();
        assert_eq!(encode_paste("a\nb\r\nc", modes), b"a\rb\rc");
        modes.bracketed_paste = true;
        assert_eq!(encode_paste("a\nb", modes), b"\x1b[200~a\nb\x1b[201~");
        assert_eq!(
            encode_paste("x\x1b[201~rm -rf /\n", modes),
            b"\x1b[200~xrm -rf /\n\x1b[201~"
        );
    }

    #[test]
    fn mouse_only_when_asked() {
        let ev = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 0,
            row: 0,
            modifiers: NONE,
        };
        let mut modes = Modes::default();
        assert_eq!(encode_mouse(ev, 4, 2, modes), None);
        modes.mouse = Mouse::PressRelease;
        modes.mouse_encoding = MouseEncoding::Sgr;
        assert_eq!(encode_mouse(ev, 4, 2, modes).expect("sgr"), b"\x1b[<0;5;3M");
        modes.mouse_encoding = MouseEncoding::Default;
        assert_eq!(
            encode_mouse(ev, 4, 2, modes).expect("x10"),
            [0x1b, b'[', b'M', 32, 37, 35]
        );
    }
}
