//! Recordings: `exec -it --record` writes asciicast v2 that asciinema
//! itself plays back byte for byte; split and invalid UTF-8 still make
//! valid JSON; `dockyard replay` plays Dockyard's files and asciinema's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, dockyard_bin, run, stderr_str, unique_name};

const WAIT: Duration = Duration::from_secs(20);

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let d = std::env::temp_dir().join(unique_name("rec"));
        std::fs::create_dir_all(&d).expect("temp dir");
        TempDir(d)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every line of a recording, as JSON (each must parse).
fn lines(file: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .expect("read the recording")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// What `asciinema cat` prints for a file: the output as a player has it.
fn asciinema_cat(file: &Path) -> Vec<u8> {
    let o = Command::new("asciinema")
        .args(["cat", path(file)])
        .output()
        .expect("asciinema (pip install asciinema==2.4.0)");
    assert!(
        o.status.success(),
        "asciinema cat: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn exec_record_is_asciicast_that_asciinema_plays_byte_for_byte() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("rec"));
    let dir = TempDir::new();
    let cast = dir.file("session.cast");
    let args = [
        "--host",
        agent.addr.as_str(),
        "exec",
        "-it",
        "--record",
        path(&cast),
        &c.name,
        "sh",
    ];
    let mut pty = Pty::spawn(&dockyard_bin(), &args, 24, 80);
    pty.wait_for("a prompt", WAIT, |s| s.contains('#'));
    pty.type_bytes(b"echo rec-$((40+2))\r");
    pty.wait_for_text("rec-42", WAIT);
    pty.resize(30, 100);
    pty.type_bytes(b"clear; stty size\r");
    pty.wait_for_text("30 100", WAIT);
    pty.type_bytes(b"exit\r");
    assert_eq!(pty.wait_exit(WAIT), 0);

    let all = lines(&cast);
    let header = &all[0];
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(80), Some(24))
    );
    assert!(
        header["timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000)
    );
    assert_eq!(header["command"], "sh");
    assert_eq!(header["title"], format!("{}/{}", agent.addr, c.name));
    assert_eq!(header["env"]["TERM"], "xterm-256color");
    let events = &all[1..];
    let times: Vec<f64> = events
        .iter()
        .map(|e| e[0].as_f64().expect("time"))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times go back: {times:?}"
    );
    assert!(
        events.iter().any(|e| e[1] == "r" && e[2] == "100x30"),
        "no resize event"
    );
    // Typed keys are not recorded unless asked (passwords).
    assert!(events.iter().all(|e| e[1] != "i"));
    let played = asciinema_cat(&cast);
    assert_eq!(
        String::from_utf8_lossy(&played),
        String::from_utf8_lossy(&pty.raw_output()),
        "asciinema's playback differs from what the terminal got"
    );
    assert!(played.windows(6).any(|w| w == b"rec-42"));
}

#[test]
fn split_and_invalid_utf8_still_record_valid_json() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("recutf"));
    let dir = TempDir::new();
    let cast = dir.file("utf8.cast");
    // é cut in two across reads, then bytes that are not UTF-8 at all.
    let script = "printf 'caf\\303'; sleep 0.5; printf '\\251 \\377\\376 end\\n'";
    let o = run(agent.dockyard(&[
        "exec",
        "-t",
        "--record",
        path(&cast),
        "--record-input",
        &c.name,
        "sh",
        "-c",
        script,
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(o.stdout, b"caf\xc3\xa9 \xff\xfe end\r\n");
    let all = lines(&cast);
    let shown: String = all[1..]
        .iter()
        .filter(|e| e[1] == "o")
        .map(|e| e[2].as_str().expect("text"))
        .collect();
    assert_eq!(shown, String::from_utf8_lossy(&o.stdout));
    assert!(
        all[1..]
            .iter()
            .any(|e| e[2].as_str().is_some_and(|t| t.contains("é"))),
        "é was split"
    );
    assert_eq!(
        asciinema_cat(&cast),
        String::from_utf8_lossy(&o.stdout).as_bytes()
    );
}

#[test]
fn replay_plays_ours_and_asciinemas_with_speed_idle_limit_and_quit() {
    let dir = TempDir::new();
    // A recording by hand: a minute of silence between two lines.
    let slow = dir.file("slow.cast");
    std::fs::write(
        &slow,
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"first-line\\r\\n\"]\n[60.0, \"o\", \"after-a-minute\\r\\n\"]\n",
    )
    .expect("write");
    for args in [["--speed", "100"], ["--idle-limit", "0.2"]] {
        let mut full = vec!["replay"];
        full.extend(args);
        full.push(path(&slow));
        let mut pty = Pty::spawn(&dockyard_bin(), &full, 24, 80);
        pty.wait_for_text("after-a-minute", WAIT);
        assert_eq!(pty.wait_exit(WAIT), 0, "{args:?}");
    }
    // q quits in the middle of the minute.
    let mut pty = Pty::spawn(&dockyard_bin(), &["replay", path(&slow)], 24, 80);
    pty.wait_for_text("first-line", WAIT);
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    assert!(!pty.contents().contains("after-a-minute"));

    // asciinema's own recording.
    let theirs = dir.file("asciinema.cast");
    let rec = "printf 'from-asciinema-%s\\n' 77";
    let mut pty = Pty::spawn(
        Path::new("asciinema"),
        &["rec", "-q", "-c", rec, path(&theirs)],
        24,
        80,
    );
    assert_eq!(pty.wait_exit(WAIT), 0);
    let mut pty = Pty::spawn(&dockyard_bin(), &["replay", path(&theirs)], 24, 80);
    pty.wait_for_text("from-asciinema-77", WAIT);
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn bad_recordings_and_flags_are_one_line_errors() {
    let dir = TempDir::new();
    let text = dir.file("notes.txt");
    std::fs::write(&text, "hello\n").expect("write");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["replay", "/nonexistent/x.cast"],
            "cannot open /nonexistent/x.cast",
        ),
        (vec!["replay", path(&text)], "not JSON"),
        (
            vec!["exec", "--record", "/tmp/x.cast", "c", "true"],
            "--record needs -t",
        ),
        (
            vec!["replay", "--speed", "0", path(&text)],
            "not a positive number",
        ),
    ];
    for (args, want) in cases {
        let o = run({
            let mut c = Command::new(dockyard_bin());
            c.args(&args)
                .env("DOCKYARD_CONFIG", "/nonexistent/dockyard.toml");
            c
        });
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        let err = stderr_str(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

fn casts_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the recording dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "cast"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_agent_records_tty_sessions_and_audits_every_exec() {
    let dir = TempDir::new();
    let (records, log, tokens) = (
        dir.file("casts"),
        dir.file("audit.jsonl"),
        dir.file("tokens"),
    );
    std::fs::write(&tokens, "alice alice-0123456789abcdef\n").expect("tokens");
    let agent = TestAgent::start_with(
        &[
            "--token-file",
            path(&tokens),
            "--record-dir",
            path(&records),
            "--audit-log",
            path(&log),
        ],
        &[],
    );
    let c = TestContainer::start("audit");
    let alice = ["--token", "alice-0123456789abcdef"];
    let mut args = alice.to_vec();
    args.extend([
        "exec",
        "-t",
        &c.name,
        "sh",
        "-c",
        "echo audited-$((1+1)); exit 3",
    ]);
    let o = run(agent.dockyard(&args));
    assert_eq!(o.status.code(), Some(3), "{}", stderr_str(&o));
    let mut args = alice.to_vec();
    args.extend(["exec", "-i", &c.name, "sh", "-c", "cat; exit 4"]);
    let o = dockyard_tests::run_with_input(agent.dockyard(&args), b"secret\n");
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(o.stdout, b"secret\n");

    // One recording, of the TTY session only, naming who and ending with
    // the exit code.
    let casts = casts_in(&records);
    assert_eq!(casts.len(), 1, "{casts:?}");
    let all = lines(&casts[0]);
    let who = &all[0]["dockyard"];
    assert_eq!(who["who"], "token alice");
    assert_eq!(who["token"], "alice");
    assert_eq!(who["container"], c.name.as_str());
    assert_eq!(who["command"][0], "sh");
    let last = all.last().expect("events");
    assert_eq!(
        (last[1].as_str(), last[2].as_str()),
        (Some("m"), Some("exit 3"))
    );
    assert!(String::from_utf8_lossy(&asciinema_cat(&casts[0])).contains("audited-2"));

    // The audit log: a start and an end line per exec, never the input.
    let text = std::fs::read_to_string(&log).expect("audit log");
    assert!(!text.contains("secret"), "stdin leaked into the audit log");
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(entries.len(), 4, "{text}");
    let end_of = |tty: bool| {
        entries
            .iter()
            .find(|e| e["event"] == "end" && e["tty"] == tty)
            .unwrap_or_else(|| panic!("no end line for tty={tty}: {text}"))
    };
    let plain = end_of(false);
    assert_eq!(plain["exit_code"], 4);
    assert_eq!(
        (plain["bytes_in"].as_u64(), plain["bytes_out"].as_u64()),
        (Some(7), Some(7))
    );
    assert_eq!(plain["who"], "token alice");
    assert_eq!(plain["container"], c.name.as_str());
    assert!(plain["duration_ms"].as_u64().is_some() && plain["time"].as_str().is_some());
    assert_eq!(end_of(true)["exit_code"], 3);
    assert!(
        entries
            .iter()
            .all(|e| e["host"].as_str().is_some_and(|h| !h.is_empty()))
    );
}

#[test]
fn recording_caps_stop_a_file_and_evict_the_oldest() {
    let dir = TempDir::new();
    let records = dir.file("casts");
    let agent = TestAgent::start_with(
        &[
            "--record-dir",
            path(&records),
            "--record-max-file",
            "1K",
            "--record-max-dir",
            "3K",
        ],
        &[],
    );
    let c = TestContainer::start("reccap");
    for i in 0..4 {
        let script = format!("echo session-{i}; yes x | head -c 3000 | tr -d '\\n'; echo");
        let o = run(agent.dockyard(&["exec", "-t", &c.name, "sh", "-c", &script]));
        assert!(o.status.success(), "{}", stderr_str(&o));
    }
    let casts = casts_in(&records);
    let total: u64 = casts
        .iter()
        .map(|p| std::fs::metadata(p).expect("meta").len())
        .sum();
    assert!(casts.len() < 4, "nothing was evicted: {casts:?}");
    let sizes: Vec<u64> = casts
        .iter()
        .map(|p| std::fs::metadata(p).expect("meta").len())
        .collect();
    // Each file stops at the event that reaches 1 KiB (an event is at
    // most a 3 000-byte line here); before a file is made, the directory
    // is brought under 3 KiB less one file's cap.
    assert!(sizes.iter().all(|s| *s < 1024 + 4096), "{sizes:?}");
    assert!(total <= 3 * 1024 + 4096, "{total} bytes kept: {sizes:?}");
    let newest = std::fs::read_to_string(casts.last().expect("a recording")).expect("read");
    assert!(newest.contains("session-3"));
    assert!(newest.contains("recording stopped: over --record-max-file"));
    let oldest_kept = std::fs::read_to_string(&casts[0]).expect("read");
    assert!(
        !oldest_kept.contains("session-0"),
        "the oldest was not removed first"
    );
    assert!(
        agent.log().contains("oldest recording removed"),
        "{}",
        agent.log()
    );
}

/// The TUI in a 30-row terminal, its data and state under `dir`.
fn tui(dir: &TempDir, args: &[&str], cols: u16) -> Pty {
    let (data, state) = (dir.file("data"), dir.file("state"));
    let env = [
        ("XDG_DATA_HOME", path(&data)),
        ("XDG_STATE_HOME", path(&state)),
    ];
    Pty::spawn_env(&dockyard_bin(), args, &env, 30, cols)
}

/// Records a pane, then plays the file from the recordings picker.
#[test]
fn the_tui_records_a_pane_with_ctrl_a_r() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("tuirec"));
    let dir = TempDir::new();
    let data = dir.file("data");
    let mut pty = tui(&dir, &["--host", &agent.addr], 160);
    pty.wait_for_text(&c.name, WAIT);
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt", WAIT, |s| s.contains("/ #"));
    pty.type_bytes(b"\x01r");
    pty.wait_for_text("● REC", WAIT);
    pty.wait_for_text("recording to", WAIT);
    pty.type_bytes(b"echo tui-rec-$((5*5))\r");
    pty.wait_for_text("tui-rec-25", WAIT);
    pty.type_bytes(b"\x01r");
    pty.wait_for_text("recording saved to", WAIT);
    assert!(!pty.contents().contains("● REC"));
    let recordings = data.join("dockyard/recordings");
    let casts = casts_in(&recordings);
    assert_eq!(casts.len(), 1, "{casts:?}");
    let name = casts[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.ends_with(&format!("{}.cast", c.name)), "{name}");
    let all = lines(&casts[0]);
    assert_eq!(all[0]["title"], format!("{}/{}", agent.addr, c.name));
    assert!(String::from_utf8_lossy(&asciinema_cat(&casts[0])).contains("tui-rec-25"));
    // The recordings picker lists it; Enter plays it in a pane.
    pty.type_bytes(b"\x01R");
    pty.wait_for_text("Recordings in", WAIT);
    pty.wait_for_text(&name[..30], WAIT);
    pty.type_bytes(b"\r");
    pty.wait_for_text(&format!("replay {}", &name[..30]), WAIT);
    pty.wait_for("the replay's output", WAIT, |s| {
        s.matches("tui-rec-25").count() >= 2
    });
    pty.type_bytes(b"q");
    pty.wait_for("the replay pane closed", WAIT, |s| !s.contains("replay "));
    pty.type_bytes(b"\x01q");
    pty.wait_for_text("e: end them", WAIT);
    pty.type_bytes(b"e");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn replay_in_a_tui_pane_pauses_seeks_and_changes_speed() {
    let agent = TestAgent::start();
    let dir = TempDir::new();
    let cast = dir.file("seek.cast");
    std::fs::write(
        &cast,
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n\
         [0.2, \"o\", \"early-line\\r\\n\"]\n\
         [30.0, \"o\", \"late-line\\r\\n\"]\n",
    )
    .expect("write");
    let mut pty = tui(
        &dir,
        &["--host", &agent.addr, "replay", "--tui", path(&cast)],
        120,
    );
    pty.wait_for_text("early-line", WAIT);
    pty.wait_for_text("replay seek.cast ▶", WAIT);
    // Space pauses; + doubles the speed.
    pty.type_bytes(b" ");
    pty.wait_for_text("⏸", WAIT);
    pty.type_bytes(b"+");
    pty.wait_for_text("x2", WAIT);
    // Forward past the late line: it shows at once, and the end is reached.
    pty.type_bytes(&b"\x1b[C".repeat(7));
    pty.wait_for_text("late-line", WAIT);
    pty.wait_for_text("■ 0:30/0:30", WAIT);
    // Back to the start: the screen starts over.
    pty.type_bytes(&b"\x1b[D".repeat(7));
    pty.wait_for("the late line gone", WAIT, |s| !s.contains("late-line"));
    pty.type_bytes(b"q");
    pty.wait_for("the pane closed", WAIT, |s| !s.contains("replay seek.cast"));
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(WAIT), 0);
}
