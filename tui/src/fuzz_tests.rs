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
use dockyard_term::{Attrs, Limits, Line};

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

/// A cell as drawn: its text (a blank as a space), attributes, and
/// whether it is a wide character or the second half of one.
type Drawn = (String, Attrs, bool, bool);

/// Row 0 of a vt100 screen (scrolled to some line of its scrollback).
fn vt100_row(screen: &vt100::Screen, cols: u16) -> Vec<Drawn> {
    (0..cols)
        .map(|c| match screen.cell(0, c) {
            Some(cell) if cell.is_wide_continuation() => {
                (String::new(), Attrs::of(cell), false, true)
            }
            Some(cell) => (
                if cell.has_contents() {
                    cell.contents().to_string()
                } else {
                    " ".to_string()
                },
                Attrs::of(cell),
                cell.is_wide(),
                cell.is_wide_continuation(),
            ),
            None => (" ".to_string(), Attrs::default(), false, false),
        })
        .collect()
}

/// A kept line as drawn over `cols` columns.
fn history_row(line: &Line, cols: u16) -> Vec<Drawn> {
    let mut row: Vec<Drawn> = (0..cols)
        .map(|_| (" ".to_string(), Attrs::default(), false, false))
        .collect();
    for cell in line.cells() {
        let c = usize::from(cell.col);
        if c < row.len() {
            row[c] = (cell.text.to_string(), cell.attrs, cell.wide, false);
        }
        if cell.wide && c + 1 < row.len() {
            row[c + 1] = (String::new(), cell.attrs, false, true);
        }
    }
    row
}

fn screen_text(pane: &TermScreen) -> String {
    pane.screen().contents()
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
        prop_assert_eq!(pieces.screen().cursor_position(), whole.screen().cursor_position());
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

    /// The compact history keeps exactly what vt100 would have kept in
    /// its own scrollback: for real sessions (repeated, so they scroll)
    /// fed in arbitrary pieces at any size, every line that scrolled off
    /// draws the same cells (text, colours, attributes, wide characters)
    /// and wraps the same, and the screen is the same.
    #[test]
    fn the_history_keeps_what_vt100_would(
        which in 0..CORPUS.len(),
        points in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        rows in 1u16..40,
        cols in 1u16..160,
        times in 1usize..4,
    ) {
        let (_, data) = CORPUS[which];
        let data = data.repeat(times);
        let nz = |v: u16| std::num::NonZeroU16::new(v).expect("non-zero");
        let mut reference = vt100::Parser::new(nz(rows), nz(cols), usize::MAX);
        reference.process(&data);
        let limits = Limits { lines: usize::MAX, bytes: usize::MAX };
        let mut ours = TermScreen::with_limits(rows, cols, limits);
        for chunk in cut(&data, &points) {
            let _ = ours.feed(&chunk);
        }
        let screen = reference.screen_mut();
        let kept = screen.scrollback_len();
        prop_assert_eq!(ours.end_line() - ours.first_line(), kept + usize::from(rows));
        for i in 0..kept {
            screen.set_scrollback(kept - i);
            let line = ours.line(ours.first_line() + i).expect("a kept line");
            prop_assert_eq!(history_row(&line, cols), vt100_row(screen, cols), "line {}", i);
            prop_assert_eq!(line.wrapped, screen.row_wrapped(0), "line {} wraps", i);
        }
        screen.set_scrollback(0);
        prop_assert_eq!(ours.screen().contents_formatted(), screen.contents_formatted());
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
    assert!(pane.screen().alternate_screen());
    let text = screen_text(&pane);
    assert!(text.starts_with("helloroot:x:0:0"), "{text}");
    let _ = pane.feed(&vi[leave..]);
    assert!(!pane.screen().alternate_screen());
}
