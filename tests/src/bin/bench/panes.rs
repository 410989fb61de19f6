//! Panes against tmux, in the same run: the memory 10 000 lines of
//! history cost a pane (Dockyard's TUI process against the tmux server,
//! `history-limit 10000`), keystroke echo in a pane while four others
//! run `yes` or `cat` (and the CPU the UI takes meanwhile), and how fast a
//! pane without the focus shows a `cat` (both showing shells reached
//! through the same container).

use std::process::Command;
use std::time::{Duration, Instant};

use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, dockyard_bin};

use crate::process::{cpu_seconds, find_pid, rss_kib};
use crate::table::{Table, median, pct};
use crate::tui::{CTRL_A, echo_samples, quit_ending_sessions, tui_with_panes, typical_output};

const WAIT: Duration = Duration::from_secs(60);

/// A tmux server of its own (its socket named for this run), torn down
/// on drop.
struct Tmux {
    socket: String,
    conf: std::path::PathBuf,
    /// The server's socket file, which it leaves behind when killed.
    path: String,
}

impl Tmux {
    fn start(name: &str, cols: u16, rows: u16, first: &str) -> Tmux {
        let socket = format!("dyt-bench-{name}-{}", std::process::id());
        let conf = std::env::temp_dir().join(format!("{socket}.conf"));
        std::fs::write(&conf, "set -g history-limit 10000\nset -g status off\n")
            .expect("tmux config");
        let mut t = Tmux {
            socket,
            conf,
            path: String::new(),
        };
        let (x, y) = (cols.to_string(), rows.to_string());
        let conf = t.conf.to_string_lossy().into_owned();
        t.run(&["-f", &conf, "new-session", "-d", "-x", &x, "-y", &y, first]);
        t.path = t
            .run(&["display-message", "-p", "#{socket_path}"])
            .trim()
            .to_string();
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).args(args);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let o = self.cmd(args).output().expect("tmux");
        assert!(
            o.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn server_pid(&self) -> u32 {
        self.run(&["display-message", "-p", "#{pid}"])
            .trim()
            .parse()
            .expect("tmux server pid")
    }

    fn pane_text(&self, target: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", target])
    }

    fn wait_for(&self, target: &str, what: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.pane_text(target).contains(what) {
            assert!(Instant::now() < deadline, "tmux never showed {what:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).output();
        let _ = std::fs::remove_file(&self.conf);
        if !self.path.is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// 10 000 lines of typical shell output (prompts, `ls -l` with colours,
/// log lines, a progress line with a wide character), ending in a line
/// that says so, copied into the container.
fn put_lines(c: &TestContainer) -> &'static str {
    let mut data = Vec::new();
    for line in typical_output(4 * 1024 * 1024)
        .split(|b| *b == b'\n')
        .take(9_999)
    {
        data.extend_from_slice(line);
        data.push(b'\n');
    }
    data.extend_from_slice(b"the-10000th-line\n");
    put_file(c, "/tmp/lines.txt", &data);
    "the-10000th-line"
}

/// Copies `data` into the container at `path`.
fn put_file(c: &TestContainer, path: &str, data: &[u8]) {
    let local = std::env::temp_dir().join(format!("dyt-put-{}", std::process::id()));
    std::fs::write(&local, data).expect("a local copy");
    let st = Command::new("docker")
        .args([
            "cp",
            &local.to_string_lossy(),
            &format!("{}:{path}", c.name),
        ])
        .status()
        .expect("docker cp");
    let _ = std::fs::remove_file(&local);
    assert!(st.success(), "docker cp to {path}");
}

/// RSS growth (KiB) of the TUI process with one 80x23 pane printing the
/// 10 000 lines.
fn dockyard_growth(agent: &TestAgent, c: &TestContainer, last: &str) -> u64 {
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 26, 82);
    // The list's name column is narrower than the name at 82 columns.
    pty.wait_for_text("dyt-bench", WAIT);
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt", WAIT, |s| s.contains("/ #"));
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"z");
    std::thread::sleep(Duration::from_secs(1));
    let pid = find_pid(&agent.addr).expect("the TUI's pid");
    let before = rss_kib(pid);
    pty.type_bytes(b"cat /tmp/lines.txt\r");
    pty.wait_for("the last line", WAIT, |s| {
        s.contains(&format!("\n{last}")) || s.contains(&format!("┃{last}"))
    });
    std::thread::sleep(Duration::from_secs(1));
    let after = rss_kib(pid);
    quit_ending_sessions(&mut pty);
    after.saturating_sub(before)
}

/// RSS growth (KiB) of a tmux server with one 80x23 pane printing them.
fn tmux_growth(c: &TestContainer, last: &str, round: usize) -> u64 {
    let shell = format!("docker exec -it {} sh", c.name);
    let tmux = Tmux::start(&format!("mem{round}"), 80, 23, &shell);
    tmux.wait_for("0", "/ #");
    std::thread::sleep(Duration::from_secs(1));
    let pid = tmux.server_pid();
    let before = rss_kib(pid);
    tmux.run(&["send-keys", "-t", "0", "cat /tmp/lines.txt", "Enter"]);
    tmux.wait_for("0", last);
    std::thread::sleep(Duration::from_secs(1));
    rss_kib(pid).saturating_sub(before)
}

pub fn history_memory(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let last = put_lines(c);
    let (mut ours, mut theirs) = (vec![], vec![]);
    for round in 0..rounds {
        ours.push(dockyard_growth(agent, c, last) as f64);
        theirs.push(tmux_growth(c, last, round) as f64);
    }
    let (o, m) = (median(&ours), median(&theirs));
    t.note(
        "pane history, 10 000 lines, RSS growth",
        format!(
            "Dockyard {:.0} KiB vs tmux (history-limit 10000) {:.0} KiB = {:.2}x (goal <= 1.0x; {} rounds, medians)",
            o,
            m,
            o / m.max(1.0),
            rounds
        ),
    );
}

/// Ends every process in the container but its first, so each
/// measurement starts on a quiet machine: the engine does not end an
/// exec's processes when its client goes (tmux's `docker exec` shells
/// stay), and a flood left running would load the next run.
fn clear(c: &TestContainer) {
    let st = Command::new("docker")
        // Nothing to signal is fine too.
        .args(["exec", &c.name, "sh", "-c", "kill -9 -1; true"])
        .status()
        .expect("docker exec kill");
    assert!(st.success(), "could not clear {}", c.name);
}

/// The tmux reference for echo under floods: a 5-pane tmux session
/// (tiled, 200x50, like the TUI's) whose panes are shells in the
/// container, four running `flood`, keystrokes typed into the fifth
/// through a tmux client in a pseudo-terminal.
fn tmux_echo_under_flood(c: &TestContainer, flood: &str, n: usize) -> (Vec<f64>, f64) {
    let shell = format!("docker exec -it {} sh", c.name);
    let tmux = Tmux::start("echo", 200, 50, &shell);
    for _ in 0..4 {
        tmux.run(&["split-window", "-t", "0", &shell]);
        tmux.run(&["select-layout", "-t", "0", "tiled"]);
    }
    for p in 0..5 {
        tmux.wait_for(&format!("0.{p}"), "/ #");
    }
    let mut args = vec!["-L".to_string(), tmux.socket.clone(), "attach".to_string()];
    args.extend(["-t".to_string(), "0".to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut pty = Pty::spawn(std::path::Path::new("/usr/bin/tmux"), &argv, 50, 200);
    for p in 0..4 {
        tmux.run(&["send-keys", "-t", &format!("0.{p}"), flood, "Enter"]);
    }
    tmux.run(&["select-pane", "-t", "0.4"]);
    tmux.run(&["send-keys", "-t", "0.4", "echo typing-here", "Enter"]);
    pty.wait_for_text("typing-here", WAIT);
    std::thread::sleep(Duration::from_secs(1));
    // The UI: the server, which reads and draws the panes, and the client.
    let pids = [Some(tmux.server_pid()), pty.pid()];
    let samples = cpu_while(&pids, || echo_samples(&mut pty, n));
    for p in 0..4 {
        tmux.run(&["send-keys", "-t", &format!("0.{p}"), "C-c", ""]);
    }
    samples
}

/// What `f` gives, and the CPU the processes took meanwhile, in percent
/// of one core.
fn cpu_while<T>(pids: &[Option<u32>], f: impl FnOnce() -> T) -> (T, f64) {
    let used = || pids.iter().flatten().map(|p| cpu_seconds(*p)).sum::<f64>();
    let (before, t) = (used(), Instant::now());
    let r = f();
    (r, (used() - before) / t.elapsed().as_secs_f64() * 100.0)
}

fn dockyard_echo_under_flood(
    agent: &TestAgent,
    c: &TestContainer,
    flood: &str,
    n: usize,
) -> (Vec<f64>, f64) {
    let mut pty = tui_with_panes(agent, c, &[flood, flood, flood, flood, "echo typing-here"]);
    pty.wait_for_text("typing-here", WAIT);
    std::thread::sleep(Duration::from_secs(1));
    let samples = cpu_while(&[find_pid(&agent.addr)], || echo_samples(&mut pty, n));
    quit_ending_sessions(&mut pty);
    samples
}

/// What floods the four panes: `yes` (a line per write, thousands of
/// tiny reads a second) or `cat` of the 10 000 lines in a loop (bulk
/// output, megabytes a second).
pub enum Flood {
    Yes,
    Cat,
    /// No flood: the four other panes sleep (an idle TUI must wake for
    /// each key at once).
    Idle,
}

/// Echo in a fifth pane while four are flooded, and the UI's CPU.
pub fn echo_under_flood(
    t: &mut Table,
    agent: &TestAgent,
    c: &TestContainer,
    flood: Flood,
    runs: usize,
) {
    const KEYS: usize = 100;
    let (name, flood) = match flood {
        Flood::Yes => ("`yes`", "yes"),
        Flood::Idle => ("`sleep` (idle)", "sleep 100000"),
        Flood::Cat => {
            put_file(c, "/tmp/4mb.txt", &typical_output(4 * 1024 * 1024));
            (
                "`cat` of a 4 MB file in a loop",
                "while :; do cat /tmp/4mb.txt; done",
            )
        }
    };
    // Each run: two rounds each side, in the order ours, tmux's, tmux's,
    // ours; the goals are checked per run (p50 and p99 within 1.3x
    // tmux's, the UI's CPU at most tmux's).
    let (mut echo_met, mut cpu_met) = (0, 0);
    for run in 1..=runs {
        let (mut ours, mut theirs) = (vec![], vec![]);
        let (mut our_cpu, mut their_cpu) = (vec![], vec![]);
        for round in 0..4 {
            if round % 3 == 0 {
                let (s, cpu) = dockyard_echo_under_flood(agent, c, flood, KEYS);
                ours.extend(s);
                our_cpu.push(cpu);
            } else {
                let (s, cpu) = tmux_echo_under_flood(c, flood, KEYS);
                theirs.extend(s);
                their_cpu.push(cpu);
            }
            clear(c);
        }
        let (o50, o99, t50, t99) = (
            pct(&ours, 0.5),
            pct(&ours, 0.99),
            pct(&theirs, 0.5),
            pct(&theirs, 0.99),
        );
        let (cpu, their) = (median(&our_cpu), median(&their_cpu));
        echo_met += usize::from(o50 / t50 <= 1.3 && o99 / t99 <= 1.3);
        cpu_met += usize::from(cpu <= their);
        t.note(
            &format!("echo with 4 panes running {name}, run {run}"),
            format!(
                "Dockyard p50 {o50:.1} ms, p99 {o99:.1} ms vs tmux p50 {t50:.1} ms, p99 {t99:.1} ms: {:.2}x, {:.2}x ({} keystrokes each, rounds alternated)",
                o50 / t50,
                o99 / t99,
                2 * KEYS,
            ),
        );
        t.note(
            &format!("UI CPU with 4 panes running {name}, run {run}"),
            format!(
                "Dockyard's TUI {cpu:.0}% vs tmux (server and client) {their:.0}% of a core: {:.2}x",
                cpu / their.max(0.1),
            ),
        );
    }
    t.note(
        &format!("goals with 4 panes running {name}"),
        format!(
            "echo p50 and p99 within 1.3x tmux's in {echo_met} of {runs} runs; UI CPU at most tmux's in {cpu_met} of {runs} runs"
        ),
    );
}

/// A `cat` of 32 MB shown in a pane without the focus, from its start to
/// its last line on screen: MB/s, Dockyard (two panes, the other one
/// focused) against tmux (the same two panes).
pub fn side_pane(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let data = typical_output(32 * 1024 * 1024);
    put_file(c, "/tmp/side.txt", &data);
    let mb = data.len() as f64 / 1e6;
    let (mut ours, mut theirs, mut engine) = (vec![], vec![], vec![]);
    for round in 0..rounds * 2 {
        // Alternated: ours, tmux's, tmux's, ours, ...
        if round % 4 == 0 || round % 4 == 3 {
            ours.push(mb / dockyard_side(agent, c));
        } else {
            theirs.push(mb / tmux_side(c, round));
        }
        clear(c);
        if round % 2 == 1 {
            engine.push(mb / engine_side(c));
        }
    }
    t.add(
        "a pane without the focus shows `cat` of 32 MB (goal >= 10 MB/s)",
        &ours,
        &theirs,
        "tmux",
        "MB/s",
    );
    t.add(
        "a pane without the focus shows `cat` of 32 MB",
        &ours,
        &engine,
        "the engine alone: `docker exec -t c cat` into a pipe",
        "MB/s",
    );
}

/// Seconds for the same `cat` through the engine's TTY with nothing
/// drawing it: what the engine gives a terminal on this machine.
fn engine_side(c: &TestContainer) -> f64 {
    let (rate, n) = crate::exec::read_count(crate::exec::docker_cli(&[
        "exec",
        "-t",
        &c.name,
        "cat",
        "/tmp/side.txt",
    ]));
    n as f64 / 1e6 / rate
}

/// Waits for /tmp/go, then prints the file and a last line.
const SIDE_CAT: &str =
    "while [ ! -e /tmp/go ]; do sleep 0.05; done; cat /tmp/side.txt; echo side-done-$((6*7))";

/// Starts the side pane's `cat`; seconds until `shown` says its last line
/// is on screen.
fn side_cat(c: &TestContainer, shown: impl Fn() -> bool) -> f64 {
    let st = Command::new("docker")
        .args(["exec", &c.name, "touch", "/tmp/go"])
        .status()
        .expect("docker exec touch");
    assert!(st.success());
    let t = Instant::now();
    while !shown() {
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "the side pane never ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let secs = t.elapsed().as_secs_f64();
    let st = Command::new("docker")
        .args(["exec", &c.name, "rm", "-f", "/tmp/go"])
        .status()
        .expect("docker exec rm");
    assert!(st.success());
    secs
}

fn dockyard_side(agent: &TestAgent, c: &TestContainer) -> f64 {
    let mut pty = tui_with_panes(agent, c, &[SIDE_CAT, "echo typing-here"]);
    pty.wait_for_text("typing-here", WAIT);
    let secs = side_cat(c, || pty.contents().contains("side-done-42"));
    quit_ending_sessions(&mut pty);
    secs
}

fn tmux_side(c: &TestContainer, round: usize) -> f64 {
    let shell = format!("docker exec -it {} sh", c.name);
    let tmux = Tmux::start(&format!("side{round}"), 200, 50, &shell);
    tmux.run(&["split-window", "-h", "-t", "0", &shell]);
    for p in 0..2 {
        tmux.wait_for(&format!("0.{p}"), "/ #");
    }
    tmux.run(&["send-keys", "-t", "0.0", SIDE_CAT, "Enter"]);
    tmux.run(&["select-pane", "-t", "0.1"]);
    let argv = ["-L", tmux.socket.as_str(), "attach", "-t", "0"];
    let pty = Pty::spawn(std::path::Path::new("/usr/bin/tmux"), &argv, 50, 200);
    pty.wait_for_text("/ #", WAIT);
    side_cat(c, || pty.contents().contains("side-done-42"))
}
