//! Dockyard side by side with `docker exec`: each pair runs alternately
//! (A B A B ...) after a warm-up, and the table gives medians, spreads and
//! the ratio Dockyard/docker. Absolute times vary on a shared machine; the
//! ratios are what we track. Run it with:
//!
//!     cargo run --release -p dockyard-tests --bin bench [-- --rounds N] [-- --only NAME]
//!
//! It sets up its own container (from the test image) and agent, and
//! removes them at the end.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockyard_tests::pty::Pty;
use dockyard_tests::{
    TestAgent, TestContainer, block_on, docker, dockyard_bin, dockyard_command, proc_status,
};
use futures::StreamExt;

struct Opts {
    rounds: usize,
    only: Option<String>,
}

fn main() {
    let mut opts = Opts {
        rounds: 10,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => opts.rounds = it.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            "--only" => opts.only = it.next().cloned(),
            other => {
                eprintln!("bench: unknown argument {other}; use --rounds N, --only NAME");
                std::process::exit(2);
            }
        }
    }
    let want = |name: &str| opts.only.as_deref().is_none_or(|o| name.contains(o));

    let engine = block_on(docker().version()).expect("engine version");
    println!(
        "# Dockyard benchmarks, {} rounds, engine {} (API {}), {} cores",
        opts.rounds,
        engine.version.unwrap_or_default(),
        engine.api_version.unwrap_or_default(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let agent = TestAgent::start();
    let c = TestContainer::start("bench");
    let mut table = Table::default();

    if want("latency") {
        exec_latency(&mut table, &agent, &c, opts.rounds);
    }
    if want("stdout") {
        stdout_throughput(&mut table, &agent, &c, opts.rounds, false);
        stdout_throughput(&mut table, &agent, &c, opts.rounds, true);
    }
    if want("stdin") {
        stdin_throughput(&mut table, &agent, &c, opts.rounds);
    }
    if want("echo") {
        echo_latency(&mut table, &agent, &c);
    }
    if want("many") {
        many_sessions(&mut table, &agent, &c, opts.rounds.min(5));
    }
    if want("tui") {
        tui_figures(&mut table, &agent, &c);
    }
}

// ---- measuring ----------------------------------------------------------

#[derive(Default)]
struct Table {
    rows: Vec<[String; 5]>,
}

impl Table {
    /// A measure with Dockyard's samples and the reference's; `unit` and
    /// whether bigger is better decide how the ratio reads.
    fn add(&mut self, measure: &str, ours: &[f64], theirs: &[f64], reference: &str, unit: &str) {
        let (m1, s1) = (median(ours), spread(ours));
        let (m2, s2) = (median(theirs), spread(theirs));
        self.push([
            measure.to_string(),
            format!("{} {unit} ({s1})", fmt(m1)),
            reference.to_string(),
            format!("{} {unit} ({s2})", fmt(m2)),
            format!("{:.2}", m1 / m2),
        ]);
    }

    fn note(&mut self, measure: &str, value: String) {
        self.push([
            measure.to_string(),
            value,
            String::new(),
            String::new(),
            String::new(),
        ]);
    }

    /// Rows are printed as they come, so a run cut short keeps its figures.
    fn push(&mut self, r: [String; 5]) {
        if self.rows.is_empty() {
            println!();
            println!(
                "| measure | Dockyard (median, p10–p90) | against | reference (median, p10–p90) | ratio |"
            );
            println!("|---|---|---|---|---|");
        }
        println!("| {} | {} | {} | {} | {} |", r[0], r[1], r[2], r[3], r[4]);
        self.rows.push(r);
    }
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s
}

fn pct(v: &[f64], p: f64) -> f64 {
    let s = sorted(v);
    if s.is_empty() {
        return f64::NAN;
    }
    s[((s.len() - 1) as f64 * p).round() as usize]
}

fn median(v: &[f64]) -> f64 {
    pct(v, 0.5)
}

fn spread(v: &[f64]) -> String {
    format!("{}–{}", fmt(pct(v, 0.1)), fmt(pct(v, 0.9)))
}

/// Runs `a` and `b` alternately, after one warm-up of each.
fn alternate(
    rounds: usize,
    mut a: impl FnMut() -> f64,
    mut b: impl FnMut() -> f64,
) -> (Vec<f64>, Vec<f64>) {
    a();
    b();
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        va.push(a());
        vb.push(b());
    }
    (va, vb)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn timed(mut cmd: Command) -> f64 {
    let t = Instant::now();
    let o = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    let d = t.elapsed();
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    ms(d)
}

fn dockyard(host: Option<&str>, args: &[&str]) -> Command {
    let mut c = dockyard_command();
    if let Some(h) = host {
        c.args(["--host", h]);
    }
    c.args(args);
    c
}

fn docker_cli(args: &[&str]) -> Command {
    let mut c = Command::new("docker");
    c.args(args);
    c
}

// ---- the measures -------------------------------------------------------

fn exec_latency(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let rounds = rounds.max(10) * 2;
    let floor = EngineFloor::new(c);
    // All four interleaved, so load on the machine falls on each alike.
    let mut samples = [vec![], vec![], vec![], vec![]];
    for round in 0..=rounds {
        let s = [
            timed(dockyard(Some(&agent.addr), &["exec", &c.name, "true"])),
            timed(dockyard(None, &["exec", &c.name, "true"])),
            timed(docker_cli(&["exec", &c.name, "true"])),
            floor.once(),
        ];
        if round > 0 {
            for (v, x) in samples.iter_mut().zip(s) {
                v.push(x);
            }
        }
    }
    let [remote, embedded, docker, floor] = samples;
    t.add(
        "exec latency, `exec c true`, remote agent",
        &remote,
        &docker,
        "docker exec",
        "ms",
    );
    t.add(
        "exec latency, remote agent vs engine floor",
        &remote,
        &floor,
        "create+start+inspect",
        "ms",
    );
    t.add(
        "exec latency, embedded (no --host)",
        &embedded,
        &docker,
        "docker exec",
        "ms",
    );
    t.add(
        "exec latency, embedded vs engine floor",
        &embedded,
        &floor,
        "create+start+inspect",
        "ms",
    );
}

/// The engine's own cost of an exec, from a warm in-process client:
/// create, start attached until the stream ends, inspect.
struct EngineFloor {
    docker: bollard::Docker,
    rt: tokio::runtime::Runtime,
    container: String,
}

impl EngineFloor {
    fn new(c: &TestContainer) -> Self {
        EngineFloor {
            docker: docker(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt"),
            container: c.name.clone(),
        }
    }

    fn once(&self) -> f64 {
        let d = &self.docker;
        self.rt.block_on(async {
            let t = Instant::now();
            let created = d
                .create_exec(
                    &self.container,
                    bollard::exec::CreateExecOptions::<String> {
                        cmd: Some(vec!["true".into()]),
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        ..Default::default()
                    },
                )
                .await
                .expect("create");
            if let bollard::exec::StartExecResults::Attached { mut output, .. } =
                d.start_exec(&created.id, None).await.expect("start")
            {
                while output.next().await.is_some() {}
            }
            d.inspect_exec(&created.id).await.expect("inspect");
            ms(t.elapsed())
        })
    }
}

const BULK: usize = 200_000_000;

/// MB/s of `head -c 200000000 /dev/zero` read to the end.
fn read_all(mut cmd: Command) -> f64 {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0usize;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => panic!("read: {e}"),
        }
    }
    assert!(child.wait().expect("wait").success());
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(n, BULK, "every byte delivered");
    BULK as f64 / secs / 1e6
}

fn stdout_throughput(
    t: &mut Table,
    agent: &TestAgent,
    c: &TestContainer,
    rounds: usize,
    tty: bool,
) {
    let bulk = BULK.to_string();
    let mut args = vec!["exec"];
    if tty {
        args.push("-t");
    }
    args.extend([c.name.as_str(), "head", "-c", &bulk, "/dev/zero"]);
    let (ours, theirs) = alternate(
        rounds,
        || read_all(dockyard(Some(&agent.addr), &args)),
        || read_all(docker_cli(&args)),
    );
    let label = if tty {
        "stdout MB/s, TTY"
    } else {
        "stdout MB/s, no TTY"
    };
    t.add(label, &ours, &theirs, "docker exec", "MB/s");
    if !tty {
        let floor = raw_stream_floor(c, rounds);
        t.add(
            "stdout MB/s, no TTY, vs engine floor",
            &ours,
            &floor,
            "engine's raw attach stream",
            "MB/s",
        );
    }
}

/// The engine's attach stream read in-process, demultiplexed, nothing more.
fn raw_stream_floor(c: &TestContainer, rounds: usize) -> Vec<f64> {
    let d = docker();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let one = || {
        rt.block_on(async {
            let created = d
                .create_exec(
                    &c.name,
                    bollard::exec::CreateExecOptions::<String> {
                        cmd: Some(vec![
                            "head".into(),
                            "-c".into(),
                            BULK.to_string(),
                            "/dev/zero".into(),
                        ]),
                        attach_stdout: Some(true),
                        ..Default::default()
                    },
                )
                .await
                .expect("create");
            let t = Instant::now();
            let mut n = 0;
            if let bollard::exec::StartExecResults::Attached { mut output, .. } =
                d.start_exec(&created.id, None).await.expect("start")
            {
                while let Some(Ok(chunk)) = output.next().await {
                    n += chunk.into_bytes().len();
                }
            }
            assert_eq!(n, BULK);
            BULK as f64 / t.elapsed().as_secs_f64() / 1e6
        })
    };
    one();
    (0..rounds).map(|_| one()).collect()
}

fn write_all(mut cmd: Command) -> f64 {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let chunk = vec![b'x'; 1 << 20];
    let mut left = BULK;
    while left > 0 {
        let k = left.min(chunk.len());
        stdin.write_all(&chunk[..k]).expect("write");
        left -= k;
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    BULK as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn stdin_throughput(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let args = ["exec", "-i", c.name.as_str(), "sh", "-c", "cat >/dev/null"];
    let (ours, theirs) = alternate(
        rounds,
        || write_all(dockyard(Some(&agent.addr), &args)),
        || write_all(docker_cli(&args)),
    );
    t.add(
        "stdin MB/s, 200 MB into `cat >/dev/null`",
        &ours,
        &theirs,
        "docker exec -i",
        "MB/s",
    );
}

/// Round trips of one byte through `-it c cat` (remote side in raw mode,
/// so cat answers each byte at once), in a pseudo-terminal.
fn echo_samples(program: &std::path::Path, args: &[&str], n: usize) -> Vec<f64> {
    let mut pty = Pty::spawn(program, args, 24, 80);
    pty.wait_for_text("ready", Duration::from_secs(20));
    let mut seen = pty.raw_output().len();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let b = b'a' + (i % 26) as u8;
        let t = Instant::now();
        pty.type_bytes(&[b]);
        loop {
            let raw = pty.raw_output();
            if let Some(pos) = raw[seen..].iter().position(|x| *x == b) {
                seen += pos + 1;
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                panic!("no echo");
            }
            std::hint::spin_loop();
        }
        samples.push(ms(t.elapsed()));
    }
    pty.type_bytes(b"\x04");
    samples
}

fn echo_latency(t: &mut Table, agent: &TestAgent, c: &TestContainer) {
    let cmd = "stty raw -echo; echo ready; exec cat";
    let n = 1000;
    let ours = echo_samples(
        &dockyard_bin(),
        &[
            "--host",
            &agent.addr,
            "exec",
            "-it",
            &c.name,
            "sh",
            "-c",
            cmd,
        ],
        n,
    );
    let theirs = echo_samples(
        std::path::Path::new("/usr/bin/docker"),
        &["exec", "-it", &c.name, "sh", "-c", cmd],
        n,
    );
    t.add(
        "TTY echo p50, `exec -it c cat`",
        &[pct(&ours, 0.5)],
        &[pct(&theirs, 0.5)],
        "docker exec -it",
        "ms",
    );
    t.add(
        "TTY echo p99",
        &[pct(&ours, 0.99)],
        &[pct(&theirs, 0.99)],
        "docker exec -it",
        "ms",
    );
}

/// Peak RSS (KiB) and thread count of a process while `f` runs.
fn watch_process<T>(pid: u32, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let sampler = std::thread::spawn(move || {
        let (mut rss, mut threads) = (0u64, 0u64);
        while !s.load(std::sync::atomic::Ordering::Relaxed) {
            rss = rss.max(rss_kib(pid));
            threads = threads.max(proc_status(pid, "Threads:"));
            std::thread::sleep(Duration::from_millis(20));
        }
        (rss, threads)
    });
    let r = f();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (rss, threads) = sampler.join().expect("sampler");
    (r, rss, threads)
}

fn rss_kib(pid: u32) -> u64 {
    proc_status(pid, "VmRSS:")
}

fn many(make: impl Fn() -> Command) -> f64 {
    let t = Instant::now();
    let children: Vec<_> = (0..100)
        .map(|_| {
            make()
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for ch in children {
        let o = ch.wait_with_output().expect("wait");
        assert!(o.status.success());
        assert_eq!(o.stdout, b"ok\n", "each session gets its own output");
    }
    ms(t.elapsed())
}

fn many_sessions(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let args = ["exec", c.name.as_str(), "sh", "-c", "sleep 1; echo ok"];
    let idle = rss_kib(agent.pid());
    let ((ours, theirs), rss, threads) = watch_process(agent.pid(), || {
        alternate(
            rounds,
            || many(|| dockyard(Some(&agent.addr), &args)),
            || many(|| docker_cli(&args)),
        )
    });
    t.add(
        "100 concurrent `sh -c 'sleep 1; echo ok'`",
        &ours,
        &theirs,
        "100 docker exec",
        "ms",
    );
    t.note(
        "agent during 100 sessions",
        format!(
            "peak RSS {rss} KiB (idle {idle} KiB, {:.0} KiB per session), peak threads {threads}",
            (rss.saturating_sub(idle)) as f64 / 100.0
        ),
    );
}

// ---- the TUI ------------------------------------------------------------

fn tui_figures(t: &mut Table, agent: &TestAgent, c: &TestContainer) {
    t.note(
        "TUI vt100 + render throughput",
        format!("{:.0} MB/s of typical shell output", render_throughput()),
    );
    let (kib, lines) = pane_memory();
    t.note(
        "TUI memory per pane",
        format!("{kib} KiB with {lines} lines of scrollback (80 columns)"),
    );
    let (p50, p99) = tui_echo_under_flood(agent, c);
    t.note(
        "TUI echo with 4 panes running `yes`",
        format!("p50 {p50:.1} ms, p99 {p99:.1} ms (50 keystrokes)"),
    );
    t.note(
        "TUI idle CPU over 10 s (2 panes open)",
        format!("{:.2}%", tui_idle_cpu(agent, c)),
    );
}

/// Shell-like output: prompts, `ls -l` lines with colours, long text lines.
fn typical_output(bytes: usize) -> Vec<u8> {
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

fn render_throughput() -> f64 {
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
        for piece in chunk.chunks(4096) {
            pane.feed(piece);
        }
        dockyard_tui::term::view::TermView::new(pane.screen()).render(area, &mut buf);
    }
    data.len() as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn pane_memory() -> (u64, usize) {
    // Resident memory before and after 20 panes fill their scrollback.
    let lines = dockyard_tui::term::screen::SCROLLBACK;
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

const CTRL_A: &[u8] = b"\x01";

/// Opens panes in the TUI: `n` shells into `c`, each running `cmds[i]`.
fn tui_with_panes(agent: &TestAgent, c: &TestContainer, cmds: &[&str]) -> Pty {
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

fn tui_echo_under_flood(agent: &TestAgent, c: &TestContainer) -> (f64, f64) {
    let mut pty = tui_with_panes(agent, c, &["yes", "yes", "yes", "yes", "echo typing-here"]);
    pty.wait_for_text("typing-here", Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(1));
    // Typed on the prompt line as "%abc…", cleared (Ctrl-U) before it
    // would wrap, so the echo is always one unbroken run on screen.
    let mut typed = String::new();
    let mut samples = Vec::new();
    for i in 0..50 {
        if i % 20 == 0 {
            pty.type_bytes(b"\x15%");
            typed = "%".into();
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
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"q");
    (pct(&samples, 0.5), pct(&samples, 0.99))
}

fn tui_idle_cpu(agent: &TestAgent, c: &TestContainer) -> f64 {
    let mut pty = tui_with_panes(agent, c, &["echo idle-one", "echo idle-two"]);
    pty.wait_for_text("idle-two", Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(1));
    // The TUI is the pty's child; find it by its command line.
    let pid = find_pid(&agent.addr).expect("the TUI's pid");
    let ticks = |pid: u32| -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    };
    let (t0, w0) = (ticks(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let (t1, w1) = (ticks(pid), w0.elapsed());
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"q");
    let hz = 100.0; // USER_HZ on Linux
    (t1 - t0) as f64 / hz / w1.as_secs_f64() * 100.0
}

fn find_pid(needle: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.starts_with(dockyard_bin().to_str()?) && cmd.contains(needle) && !cmd.contains("exec"))
            .then_some(pid)
    })
}
