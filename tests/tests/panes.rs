//! Panes as good as tmux, end to end: the real `dockyard` in a
//! pseudo-terminal against a real agent and engine. Copy mode copies to
//! the outer terminal's clipboard (OSC 52, read back from the bytes the
//! TUI wrote) and pastes into another pane; a search reaches 5 000 lines
//! back; a mouse drag across the border of two panes copies only its own
//! pane's text.

use std::time::Duration;

use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, dockyard_bin};

const WAIT: Duration = Duration::from_secs(20);
const CTRL_A: &[u8] = b"\x01";

/// The TUI on `agent`, a shell pane open on `c`, its prompt showing.
fn tui_with_a_shell(agent: &TestAgent, c: &TestContainer) -> Pty {
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 40, 160);
    pty.wait_for_text(&c.name, WAIT);
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt", WAIT, |s| s.contains("/ #"));
    pty
}

fn quit(pty: &mut Pty) {
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"q");
    pty.wait_for_text("e: end them", WAIT);
    pty.type_bytes(b"e");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

/// Whether a pane shows a line that is exactly `text` (a pane's rows start
/// with its border, plain or thick when focused).
fn shows_line(pty: &Pty, text: &str) -> bool {
    pty.rows()
        .iter()
        .any(|r| r.contains(&format!("│{text} ")) || r.contains(&format!("┃{text} ")))
}

/// Searches the focused pane's history back for the line `needle` in
/// copy mode; how many lines back the view then is.
fn search_back(pty: &mut Pty, needle: &str) -> usize {
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"[");
    pty.wait_for_text("[copy]", WAIT);
    pty.type_bytes(format!("?{needle}\r").as_bytes());
    pty.wait_for("the found line in view", WAIT, |_| shows_line(pty, needle));
    lines_back(pty)
}

/// How many lines back the focused pane's view is (its "[+N]" marker).
fn lines_back(pty: &Pty) -> usize {
    pty.rows()
        .iter()
        .find_map(|r| {
            let at = r.find("[+")?;
            r[at + 2..].split(']').next()?.parse().ok()
        })
        .expect("the scrolled-back marker")
}

/// The screen row and column where `needle` first shows.
fn position(pty: &Pty, needle: &str) -> Option<(u16, u16)> {
    pty.rows().iter().enumerate().find_map(|(y, r)| {
        let x = r.find(needle)?;
        Some((r[..x].chars().count() as u16, y as u16))
    })
}

#[test]
fn copy_mode_copies_a_line_to_the_clipboard_and_pastes_it_in_another_pane() {
    let agent = TestAgent::start();
    let c = TestContainer::start("copy");
    let mut pty = tui_with_a_shell(&agent, &c);
    pty.type_bytes(b"echo copy-me-77\r");
    pty.wait_for("the output line", WAIT, |s| {
        s.matches("copy-me-77").count() >= 2
    });
    // Copy mode, up one line from the prompt to the output, the line, y.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"[");
    pty.wait_for_text("[copy]", WAIT);
    pty.type_bytes(b"kVy");
    pty.wait_for_text("copied 10 characters", WAIT);
    assert_eq!(pty.clipboard(), vec!["copy-me-77".to_string()]);
    // Another shell beside it; Ctrl-a ] types it there.
    let prompts = pty.contents().matches("/ #").count();
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"|");
    pty.wait_for("a second prompt", WAIT, |s| {
        s.matches("/ #").count() > prompts
    });
    pty.type_bytes(b"echo pasted-");
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"]");
    pty.type_bytes(b"\r");
    pty.wait_for("the pasted command's output", WAIT, |_| {
        shows_line(&pty, "pasted-copy-me-77")
    });
    quit(&mut pty);
}

#[test]
fn search_finds_a_line_5000_lines_back_and_shows_it() {
    let agent = TestAgent::start();
    let c = TestContainer::start("search");
    let mut pty = tui_with_a_shell(&agent, &c);
    pty.type_bytes(b"echo needle-4242; seq 5000\r");
    pty.wait_for("seq's last line", WAIT, |_| shows_line(&pty, "5000"));
    // The view is 5 000 lines back: the marker says how far.
    let back = search_back(&mut pty, "needle-4242");
    // The found line at the top of a ~30-row view: the rest below it.
    assert!(back > 4900, "{back} lines back");
    pty.type_bytes(b"q");
    pty.wait_for("the live screen", WAIT, |s| !s.contains("[+"));
    quit(&mut pty);
}

/// A pane without the focus keeps every line of a flood (taken in large
/// pieces, most lines kept without the parser): a search finds the line
/// before it 9 000 lines back.
#[test]
fn a_pane_without_the_focus_keeps_every_line_of_a_flood() {
    let agent = TestAgent::start();
    let c = TestContainer::start("sideflood");
    let mut pty = tui_with_a_shell(&agent, &c);
    // The flood starts once the split beside it has the focus.
    pty.type_bytes(b"sleep 2; echo needle-4343; seq 9000\r");
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"|");
    pty.wait_for("two prompts", WAIT, |s| s.matches("/ #").count() >= 2);
    pty.wait_for("the flood's end in the left pane", WAIT, |_| {
        shows_line(&pty, "9000")
    });
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"h");
    let back = search_back(&mut pty, "needle-4343");
    assert!(back > 8900, "{back} lines back");
    pty.type_bytes(b"q");
    quit(&mut pty);
}

#[test]
fn a_drag_across_two_panes_copies_the_first_panes_text_only() {
    let agent = TestAgent::start();
    let c = TestContainer::start("drag");
    let mut pty = tui_with_a_shell(&agent, &c);
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"|");
    pty.wait_for("two prompts", WAIT, |s| s.matches("/ #").count() >= 2);
    pty.type_bytes(b"echo right-side-text-and-more\r");
    pty.wait_for("the right output", WAIT, |_| {
        shows_line(&pty, "right-side-text-and-more")
    });
    // Back to the left pane: its output on a row of its own.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"h");
    pty.type_bytes(b"clear; echo left-side-text\r");
    pty.wait_for("the left output", WAIT, |_| {
        shows_line(&pty, "left-side-text")
    });
    let (x, y) = position(&pty, "┃left-side-text ").expect("on screen");
    let (right_x, _) = position(&pty, "right-side-text-and-more").expect("on screen");
    // Press on the first letter, drag far into the right pane, release.
    pty.mouse(0, x + 1, y, true);
    pty.mouse(32, x + 5, y, true);
    pty.mouse(32, right_x + 10, y + 1, true);
    pty.mouse(0, right_x + 10, y + 1, false);
    pty.wait_for("the copy", WAIT, |_| !pty.clipboard().is_empty());
    let copied = pty.clipboard().pop().expect("copied");
    assert!(copied.starts_with("left-side-text"), "{copied:?}");
    assert!(
        !copied.contains("right"),
        "the neighbour's text: {copied:?}"
    );
    quit(&mut pty);
}

/// A pane narrowed by a split keeps its text: its long line rewraps (the
/// end is still shown), and when the split closes, the pane as wide as
/// before, it is one line again.
#[test]
fn a_split_rewraps_a_pane_and_closing_it_gives_the_line_back() {
    let agent = TestAgent::start();
    let c = TestContainer::start("reflow");
    let mut pty = tui_with_a_shell(&agent, &c);
    let line = (1..=40)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("-");
    pty.type_bytes(b"seq -s - 1 40\r");
    pty.wait_for("the whole line", WAIT, |_| shows_line(&pty, &line));
    let prompts = pty.contents().matches("/ #").count();
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"|");
    pty.wait_for("a second prompt", WAIT, |s| {
        s.matches("/ #").count() > prompts
    });
    // Half as wide: the line goes on onto the next row, its end shown.
    pty.wait_for("the line rewrapped", WAIT, |s| {
        s.contains("38-39-40") && !shows_line(&pty, &line)
    });
    // The new pane closes: the first is as wide as before, the line whole.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"x");
    pty.wait_for("the line whole again", WAIT, |_| shows_line(&pty, &line));
    quit(&mut pty);
}
