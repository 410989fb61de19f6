//! The TUI's figures: vt100 and render throughput, memory per pane,
//! echo under a flood, idle CPU.

use std::time::{Duration, Instant};

use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, dockyard_bin};

use crate::process::{cpu_seconds, find_pid, rss_kib};
use crate::table::{Table, ms};

pub fn tui_figures(t: &mut Table, agent: &TestAgent, c: &TestContainer) {
    t.note(
        "TUI vt100 + render throughput",
        format!(
            "{:.0} MB/s of typical shell output",
            render_throughput(4096)
        ),
    );
    t.note(
        "TUI vt100 + render throughput, 64 KiB pieces (a flood, as the agent sends it)",
        format!(
            "{:.0} MB/s of typical shell output",
            render_throughput(64 * 1024)
        ),
    );
    let (kib, lines) = pane_memory();
    t.note(
        "TUI memory per pane",
        format!("{kib} KiB with {lines} lines of scrollback (80 columns)"),
    );
    t.note(
        "TUI idle CPU over 10 s (2 panes open)",
        format!("{:.2}%", tui_idle_cpu(agent, c)),
    );
}

/// Shell-like output: prompts, `ls -l` lines with colours, long text lines.
pub fn typical_output(bytes: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes + 200);
    let mut i = 0u64;
    while v.len() < bytes {
        i += 1;
        match i % 4 {
            0 => v.extend_from_slice(b"\x1b[1;32mroot@box\x1b[0m:\x1b[1;34m/srv/app\x1b[0m# ls -l\r\n"),
            1 => v.extend_from_slice(
                format!("-rw-r--r-- 1 root root {:>8} Nov 28 16:{:02} \x1b[01;34mfile-{i}.log\x1b[0m\r\n", i * 37, i % 60).as_bytes(),
            ),
            2 => v.extend_from_slice(format!("{} request served in {} ms, status 200, bytes {}\r\n", i, i % 97, i * 13).as_bytes()),
            _ => v.extend_from_slice("  ⏵ building target/release/dockyard — 42%  \x1b[7m progress \x1b[0m\r\n".as_bytes()),
        }
    }
    v
}

/// Output fed `piece` bytes at a time, drawn every 64 KiB.
pub fn render_throughput(piece: usize) -> f64 {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;
    let data = typical_output(64 * 1024 * 1024);
    let mut pane = dockyard_tui::term::screen::TermScreen::new(50, 180);
    let area = Rect::new(0, 0, 180, 50);
    let mut buf = Buffer::empty(area);
    let t = Instant::now();
    // A frame per 64 KiB: what the event loop's coalescing gives a flood.
    for chunk in data.chunks(64 * 1024) {
        for piece in chunk.chunks(piece) {
            pane.feed(piece);
        }
        dockyard_tui::term::view::TermView::new(&pane).render(area, &mut buf);
    }
    data.len() as f64 / t.elapsed().as_secs_f64() / 1e6
}

pub fn pane_memory() -> (u64, usize) {
    // Resident memory before and after 20 panes fill their scrollback.
    let lines = dockyard_term::Limits::default().lines;
    let before = rss_kib(std::process::id());
    let mut panes = Vec::new();
    for _ in 0..20 {
        let mut pane = dockyard_tui::term::screen::TermScreen::new(24, 80);
        for i in 0..lines + 24 {
            pane.feed(
                format!(
                    "{i:06} the quick brown fox jumps over the lazy dog 0123456789 abcdefghij\r\n"
                )
                .as_bytes(),
            );
        }
        panes.push(pane);
    }
    let after = rss_kib(std::process::id());
    drop(panes);
    ((after.saturating_sub(before)) / 20, lines)
}

pub const CTRL_A: &[u8] = b"\x01";

/// Opens panes in the TUI: `n` shells into `c`, each running `cmds[i]`.
pub fn tui_with_panes(agent: &TestAgent, c: &TestContainer, cmds: &[&str]) -> Pty {
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 50, 200);
    pty.wait_for_text(&c.name, Duration::from_secs(20));
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r");
    for (i, cmd) in cmds.iter().enumerate() {
        if i > 0 {
            pty.type_bytes(CTRL_A);
            pty.type_bytes(b"c");
        }
        pty.type_bytes(b"\r");
        std::thread::sleep(Duration::from_millis(800));
        pty.type_bytes(cmd.as_bytes());
        pty.type_bytes(b"\r");
    }
    pty
}

/// Keystroke-to-echo in the TUI's focused pane, `n` keystrokes: typed on
/// the prompt line as "%3%abc…", cleared (Ctrl-U) before it would wrap, so
/// the echo is always one unbroken run on screen. The number is the
/// round's: the line before, still on screen until the clearing is drawn,
/// can never pass for the new one.
pub fn echo_samples(pty: &mut Pty, n: usize) -> Vec<f64> {
    let mut typed = String::new();
    let mut samples = Vec::new();
    for i in 0..n {
        if i % 20 == 0 {
            typed = format!("%{}%", i / 20);
            pty.type_bytes(b"\x15");
            pty.type_bytes(typed.as_bytes());
            let t = typed.clone();
            pty.wait_for("the prompt cleared", Duration::from_secs(10), |s| {
                s.contains(&t)
            });
        }
        let ch = (b'a' + (i % 26) as u8) as char;
        typed.push(ch);
        let t = Instant::now();
        pty.type_bytes(&[ch as u8]);
        pty.wait_for("the keystroke's echo", Duration::from_secs(10), |s| {
            s.contains(&typed)
        });
        samples.push(ms(t.elapsed()));
    }
    samples
}

/// Quits a TUI whose panes hold sessions, ending them, and waits for it
/// to exit. Dropping the terminal sooner kills the TUI before it has told
/// the agent, which then keeps the sessions (their programs running) for
/// its time to live, under every measurement that follows.
pub fn quit_ending_sessions(pty: &mut Pty) {
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"q");
    pty.wait_for("the quit question", Duration::from_secs(5), |s| {
        s.contains("e: end them")
    });
    pty.type_bytes(b"e");
    pty.wait_exit(Duration::from_secs(20));
}

pub fn tui_idle_cpu(agent: &TestAgent, c: &TestContainer) -> f64 {
    let mut pty = tui_with_panes(agent, c, &["echo idle-one", "echo idle-two"]);
    pty.wait_for_text("idle-two", Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(1));
    // The TUI is the pty's child; find it by its command line.
    let pid = find_pid(&agent.addr).expect("the TUI's pid");
    let (t0, w0) = (cpu_seconds(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let (t1, w1) = (cpu_seconds(pid), w0.elapsed());
    quit_ending_sessions(&mut pty);
    (t1 - t0) / w1.as_secs_f64() * 100.0
}
