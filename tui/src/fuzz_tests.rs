//! Property tests: arbitrary byte streams, sizes and keys never panic the
//! pane renderer or the key encoder, and a paste can never end its own
//! bracketing early. (CI runs the default 256 cases per property; run with
//! PROPTEST_CASES=100000 for a longer search.)

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::keys::{Modes, encode_key, encode_paste};
use crate::pane::Pane;
use crate::term_view::{TermView, cursor_position};

/// Bytes biased towards escape sequences, which is where parsers break.
fn term_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<u8>(),
            2 => Just(0x1b),
            1 => Just(b'['),
            1 => Just(b';'),
            1 => b'0'..=b'9',
            1 => Just(b'?'),
        ],
        0..2048,
    )
}

fn key_code() -> impl Strategy<Value = KeyCode> {
    prop_oneof![
        any::<char>().prop_map(KeyCode::Char),
        any::<u8>().prop_map(KeyCode::F),
        Just(KeyCode::Enter),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::Backspace),
        Just(KeyCode::Esc),
        Just(KeyCode::Up),
        Just(KeyCode::Down),
        Just(KeyCode::Left),
        Just(KeyCode::Right),
        Just(KeyCode::Home),
        Just(KeyCode::End),
        Just(KeyCode::PageUp),
        Just(KeyCode::PageDown),
        Just(KeyCode::Insert),
        Just(KeyCode::Delete),
        Just(KeyCode::Null),
    ]
}

proptest! {
    #[test]
    fn any_bytes_any_sizes_render(
        chunks in prop::collection::vec(term_bytes(), 1..4),
        rows in 1u16..80, cols in 1u16..200,
        area_w in 0u16..220, area_h in 0u16..90,
        x in 0u16..20, y in 0u16..20,
        resize in prop::option::of((1u16..80, 1u16..200)),
        scroll in -50isize..50,
    ) {
        let mut pane = Pane::new(1, "h".into(), "c".into(), rows, cols);
        for c in &chunks {
            let _ = pane.feed(c);
        }
        if let Some((r, c)) = resize {
            pane.resize(r, c);
        }
        pane.scroll(scroll);
        let buf_area = Rect::new(0, 0, 120, 60);
        let mut buf = Buffer::empty(buf_area);
        let area = Rect::new(x, y, area_w, area_h);
        TermView::new(pane.parser.screen()).render(area, &mut buf);
        if let Some(p) = cursor_position(pane.parser.screen(), area.intersection(buf_area)) {
            prop_assert!(buf_area.contains(p));
        }
    }

    #[test]
    fn any_key_encodes_without_panic(code in key_code(), bits in 0u8..16, app in any::<bool>()) {
        let m = KeyModifiers::from_bits_truncate(bits);
        let modes = Modes { application_cursor: app, ..Default::default() };
        let _ = encode_key(KeyEvent::new(code, m), modes);
    }

    #[test]
    fn a_paste_stays_inside_its_brackets(text in "(\\PC|\\x1b|\\[|2|0|1|~){0,200}") {
        let modes = Modes { bracketed_paste: true, ..Default::default() };
        let out = encode_paste(&text, modes);
        let body = &out[6..out.len() - 6];
        prop_assert!(!body.windows(6).any(|w| w == b"\x1b[201~"));
    }
}
