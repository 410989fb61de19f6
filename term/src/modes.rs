//! The sequences that put a terminal's input modes back: application
//! cursor keys and keypad, bracketed paste, every mouse reporting mode.
//! A program that dies (or a session that is left) can leave any of them
//! on, and a terminal left so sends arrows as `ESC O A` or mouse moves as
//! text to whatever runs next.

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
    fn restore_turns_off_what_programs_turn_on() {
        let mut t = crate::Terminal::new(crate::Size::new(5, 20), crate::Limits::NONE);
        t.feed(b"\x1b[?1049h\x1b[?1h\x1b=\x1b[?2004h\x1b[?1003h\x1b[?1006h\x1b[?25l\x1b[31m");
        t.feed(RESTORE.as_bytes());
        let s = t.screen();
        assert!(!s.alternate_screen() && !s.application_cursor() && !s.application_keypad());
        assert!(!s.bracketed_paste() && !s.hide_cursor());
        assert_eq!(s.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
        assert_eq!(
            s.mouse_protocol_encoding(),
            vt100::MouseProtocolEncoding::Default
        );
    }
}
