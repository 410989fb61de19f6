//! Property tests: arbitrary byte streams, sizes and keys never panic the
//! pane renderer or the key encoder, and a paste can never end its own
//! bracketing early. Besides made-up bytes, the renderer gets real sessions
//! (`tui/corpus/*.out`, recorded by `tui/corpus/record.sh` from sh, vi, top
//! and less in the test image) cut at random points, spliced with random
//! escape sequences and resized midway. (CI runs the default 256 cases per
//! property; run with PROPTEST_CASES=100000 for a longer search.)

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::term::encode::{Modes, encode_key, encode_paste};
use crate::term::screen::TermScreen;
use crate::term::view::{TermView, cursor_position};

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

/// Real terminal output, recorded through `dockyard exec -it` at 24x80.
const CORPUS: &[(&str, &[u8])] = &[
    ("shell", include_bytes!("../corpus/shell.out")),
    ("vi", include_bytes!("../corpus/vi.out")),
    ("top", include_bytes!("../corpus/top.out")),
    ("less", include_bytes!("../corpus/less.out")),
    ("colours", include_bytes!("../corpus/colours.out")),
];

fn screen_text(pane: &TermScreen) -> String {
    pane.terminal().text()
}

/// Cuts `data` at the given points (each taken modulo its length).
fn cut(data: &[u8], points: &[prop::sample::Index]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = points.iter().map(|i| i.index(data.len() + 1)).collect();
    at.push(0);
    at.push(data.len());
    at.sort_unstable();
    at.windows(2).map(|w| data[w[0]..w[1]].to_vec()).collect()
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
        let mut pane = TermScreen::new(rows, cols);
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
        TermView::new(&pane).render(area, &mut buf);
        if let Some(p) = cursor_position(&pane, area.intersection(buf_area)) {
            prop_assert!(buf_area.contains(p));
        }
    }

    /// A recording fed in arbitrary pieces draws exactly what it draws fed
    /// whole: escape sequences and UTF-8 split across reads (as network
    /// reads split them) change nothing.
    #[test]
    fn a_real_session_cut_anywhere_draws_the_same(
        which in 0..CORPUS.len(),
        points in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let (_, data) = CORPUS[which];
        let mut whole = TermScreen::new(24, 80);
        let _ = whole.feed(data);
        let mut pieces = TermScreen::new(24, 80);
        for chunk in cut(data, &points) {
            let _ = pieces.feed(&chunk);
        }
        prop_assert_eq!(screen_text(&pieces), screen_text(&whole));
        prop_assert_eq!(pieces.terminal().cursor(), whole.terminal().cursor());
    }

    /// Real sessions, mutated: random escape-heavy bytes spliced in at the
    /// cut points and the pane resized between pieces, then drawn.
    #[test]
    fn a_real_session_mutated_and_resized_renders(
        which in 0..CORPUS.len(),
        points in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        splices in prop::collection::vec(prop::collection::vec(
            prop_oneof![4 => any::<u8>(), 2 => Just(0x1bu8), 1 => Just(b'['), 1 => b'0'..=b'9', 1 => Just(b';')],
            0..64), 0..8),
        sizes in prop::collection::vec(prop::option::of((1u16..100, 1u16..250)), 0..8),
    ) {
        let (_, data) = CORPUS[which];
        let mut pane = TermScreen::new(24, 80);
        for (i, chunk) in cut(data, &points).iter().enumerate() {
            let _ = pane.feed(chunk);
            if let Some(s) = splices.get(i) {
                let _ = pane.feed(s);
            }
            if let Some(Some((r, c))) = sizes.get(i) {
                pane.resize(*r, *c);
            }
        }
        let area = Rect::new(0, 0, 120, 60);
        let mut buf = Buffer::empty(area);
        TermView::new(&pane).render(area, &mut buf);
        if let Some(p) = cursor_position(&pane, area) {
            prop_assert!(area.contains(p));
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

/// The recordings are what they claim: each draws its program's screen.
#[test]
fn the_corpus_draws_its_programs() {
    let expect = [
        ("shell", "red"),
        ("top", "PID  PPID USER"),
        ("less", "nobody:x:65534"),
    ];
    for (name, needle) in expect {
        let (_, data) = CORPUS.iter().find(|(n, _)| *n == name).expect("in corpus");
        let mut pane = TermScreen::new(24, 80);
        let _ = pane.feed(data);
        let text = screen_text(&pane);
        assert!(text.contains(needle), "{name}: no {needle:?} in\n{text}");
    }
    // vi draws on the alternate screen and leaves it on quitting.
    let (_, vi) = CORPUS[1];
    let leave = vi
        .windows(8)
        .rposition(|w| w == b"\x1b[?1049l")
        .expect("vi leaves");
    let mut pane = TermScreen::new(24, 80);
    let _ = pane.feed(&vi[..leave]);
    assert!(pane.terminal().alternate_screen());
    let text = screen_text(&pane);
    assert!(text.starts_with("helloroot:x:0:0"), "{text}");
    let _ = pane.feed(&vi[leave..]);
    assert!(!pane.terminal().alternate_screen());
}
