//! A terminal's input modes (what a program asked for: application cursor
//! keys and keypad, bracketed paste, mouse reporting), which decide the
//! bytes a key or a click becomes, and the sequences that put them back.
//! A program that dies (or a session that is left) can leave any of them
//! on, and a terminal left so sends arrows as `ESC O A` or mouse moves as
//! text to whatever runs next.

/// Which mouse events the program asked to be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mouse {
    #[default]
    None,
    /// Presses only (X10, `?9`).
    Press,
    /// Presses and releases (`?1000`).
    PressRelease,
    /// Also moves with a button held (`?1002`).
    ButtonMotion,
    /// Every move (`?1003`).
    AnyMotion,
}

/// How mouse events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MouseEncoding {
    /// `ESC [ M` and three bytes.
    #[default]
    Default,
    /// The same, coordinates as UTF-8 (`?1005`).
    Utf8,
    /// `ESC [ < b ; x ; y M/m` (`?1006`).
    Sgr,
}

/// The input modes of the program on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modes {
    pub application_cursor: bool,
    pub application_keypad: bool,
    pub bracketed_paste: bool,
    pub mouse: Mouse,
    pub mouse_encoding: MouseEncoding,
}

impl Modes {
    pub(crate) fn of(screen: &vt100::Screen) -> Self {
        Modes {
            application_cursor: screen.application_cursor(),
            application_keypad: screen.application_keypad(),
            bracketed_paste: screen.bracketed_paste(),
            mouse: match screen.mouse_protocol_mode() {
                vt100::MouseProtocolMode::None => Mouse::None,
                vt100::MouseProtocolMode::Press => Mouse::Press,
                vt100::MouseProtocolMode::PressRelease => Mouse::PressRelease,
                vt100::MouseProtocolMode::ButtonMotion => Mouse::ButtonMotion,
                vt100::MouseProtocolMode::AnyMotion => Mouse::AnyMotion,
            },
            mouse_encoding: match screen.mouse_protocol_encoding() {
                vt100::MouseProtocolEncoding::Default => MouseEncoding::Default,
                vt100::MouseProtocolEncoding::Utf8 => MouseEncoding::Utf8,
                vt100::MouseProtocolEncoding::Sgr => MouseEncoding::Sgr,
            },
        }
    }
}

/// Turns off every input mode a program may have set (vt100 writes only
/// the modes that differ from a fresh terminal, so a redraw starts from
/// here).
macro_rules! reset_input_modes {
    () => {
        "\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l"
    };
}

pub const RESET_INPUT_MODES: &str = reset_input_modes!();

/// Leaves a terminal as a shell expects it after a full-screen program:
/// the main screen, every input mode off, the cursor shown, no colours.
pub const RESTORE: &str = concat!("\x1b[?1049l", reset_input_modes!(), "\x1b[?25h\x1b[0m");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_read_off_the_screen() {
        let mut t = crate::Terminal::new(crate::Size::new(5, 20), crate::Limits::NONE);
        t.feed(b"\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h");
        let want = Modes {
            application_cursor: true,
            application_keypad: true,
            bracketed_paste: true,
            mouse: Mouse::ButtonMotion,
            mouse_encoding: MouseEncoding::Sgr,
        };
        assert_eq!(t.modes(), want);
        t.feed(b"\x1b[?1003h\x1b[?1005h");
        assert_eq!(t.modes().mouse, Mouse::AnyMotion);
        assert_eq!(t.modes().mouse_encoding, MouseEncoding::Utf8);
    }

    #[test]
    fn restore_turns_off_what_programs_turn_on() {
        let mut t = crate::Terminal::new(crate::Size::new(5, 20), crate::Limits::NONE);
        t.feed(b"\x1b[?1049h\x1b[?1h\x1b=\x1b[?2004h\x1b[?1003h\x1b[?1006h\x1b[?25l\x1b[31m");
        t.feed(RESTORE.as_bytes());
        assert!(!t.alternate_screen() && !t.cursor_hidden());
        assert_eq!(t.modes(), Modes::default());
    }
}
