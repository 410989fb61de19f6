//! Durable sessions: TTY execs that outlive their client, listed, attached
//! again with their screen, shared, detached on purpose, ended; and only
//! by the identity that started them. The real agent and `dockyard` in
//! pseudo-terminals, against the real engine.

use std::process::Stdio;
use std::time::Duration;

use dockyard_tests::pty::Pty;
use dockyard_tests::{
    TestAgent, TestContainer, dockyard_bin, eventually, run, running_in, stderr_str, stdout_str,
    wait_started,
};

const WAIT: Duration = Duration::from_secs(15);

fn in_pty(agent: &TestAgent, args: &[&str], rows: u16, cols: u16) -> Pty {
    let mut full = vec!["--host", agent.addr.as_str()];
    full.extend_from_slice(args);
    Pty::spawn(&dockyard_bin(), &full, rows, cols)
}

/// `dockyard sessions --format json` through `agent`, with extra flags
/// (a token).
fn sessions(agent: &TestAgent, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = extra.to_vec();
    args.extend(["sessions", "--format", "json"]);
    let o = run(agent.dockyard(&args));
    assert!(o.status.success(), "sessions: {}", stderr_str(&o));
    serde_json::from_str(&stdout_str(&o)).expect("sessions json")
}

fn only_session(agent: &TestAgent) -> serde_json::Value {
    let list = sessions(agent, &[]);
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

#[test]
fn vi_survives_a_killed_client_and_comes_back_as_it_was() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("durable"));
    let mut first = in_pty(&agent, &["exec", "-it", &c.name, "sh"], 24, 80);
    first.wait_for("a prompt", WAIT, |s| s.contains('#'));
    first.type_bytes(b"export X=durable\r");
    first.type_bytes(b"printf 'line one\\nline two\\n' > /tmp/notes; vi /tmp/notes\r");
    first.wait_for_text("line two", WAIT);
    // Some typing in insert mode, left there: the cursor sits after it.
    first.type_bytes(b"Goadded before the kill");
    first.wait_for_text("the kill", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let before = first.state();
    assert!(before.alternate, "vi runs on the alternate screen");
    first.kill_hard();

    let s = only_session(&agent);
    assert_eq!(s["state"], "detached", "{s}");
    assert_eq!(s["container"], c.name.as_str());
    assert_eq!(s["command"], serde_json::json!(["sh"]));
    let id = s["id"].as_str().expect("id").to_string();

    let mut back = in_pty(&agent, &["attach", &id], 24, 80);
    back.wait_for_text("the kill", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let after = back.state();
    assert_eq!(after.text, before.text);
    assert_eq!(after.cells, before.cells, "colours and attributes");
    assert_eq!(after.cursor, before.cursor);
    assert_eq!(
        (
            after.alternate,
            after.application_cursor,
            after.bracketed_paste
        ),
        (
            before.alternate,
            before.application_cursor,
            before.bracketed_paste
        )
    );
    assert_eq!(only_session(&agent)["state"], "attached");
    // Still the same vi, still in insert mode: typing goes on where it was.
    back.type_bytes(b" and after");
    back.wait_for_text("the kill and after", WAIT);
    // Escape alone, as a person types it: busybox vi reads an escape
    // followed at once by more keys as one (unknown) key sequence.
    back.type_bytes(b"\x1b");
    std::thread::sleep(Duration::from_millis(300));
    back.type_bytes(b":q!\r");
    // The shell's lines from before vi are back under it: the redraw
    // brought the main screen as well as vi's.
    back.wait_for("the shell's earlier lines", WAIT, |s| {
        s.contains("export X=durable")
    });
    assert!(!back.state().alternate);
    back.type_bytes(b"echo X=$X\r");
    back.wait_for_text("X=durable", WAIT);
    back.type_bytes(b"exit 3\r");
    assert_eq!(back.wait_exit(WAIT), 3);
    assert!(sessions(&agent, &[]).is_empty());
}

#[test]
fn detached_ttl_ends_a_forgotten_session() {
    let agent = TestAgent::start_with(&["--detached-ttl", "2s"], &[]);
    let c = TestContainer::start("ttl");
    let mut child = agent
        .dockyard(&["exec", "-t", &c.name, "sleep", "4245"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_started(&agent, &c, "sleep 4245");
    child.kill().expect("kill -9 the client");
    child.wait().expect("reap");
    assert!(
        eventually(Duration::from_secs(15), || !running_in(
            &agent,
            &c,
            "sleep 4245"
        )),
        "a detached session outlived its time to live; agent log:\n{}",
        agent.log()
    );
    assert!(
        agent
            .log()
            .contains("detached for longer than --detached-ttl")
    );
    assert!(sessions(&agent, &[]).is_empty());
}

#[test]
fn two_clients_share_a_session_and_one_detaches() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("pair"));
    let mut one = in_pty(&agent, &["exec", "-it", &c.name, "sh"], 24, 80);
    one.wait_for("a prompt", WAIT, |s| s.contains('#'));
    let id = only_session(&agent)["id"].as_str().expect("id").to_string();
    // A bigger terminal joins: the smallest size wins, as in tmux.
    let mut two = in_pty(
        &agent,
        &["attach", "--detach-keys", "ctrl-x,x", &id],
        30,
        100,
    );
    two.wait_for("a prompt", WAIT, |s| s.contains('#'));
    assert_eq!(only_session(&agent)["state"], "attached");
    assert_eq!(only_session(&agent)["clients"], 2);
    one.type_bytes(b"echo from-one-$((1+1)); stty size\r");
    for p in [&one, &two] {
        p.wait_for_text("from-one-2", WAIT);
        p.wait_for_text("24 80", WAIT);
    }
    two.type_bytes(b"echo from-two-$((2+2))\r");
    for p in [&one, &two] {
        p.wait_for_text("from-two-4", WAIT);
    }
    // Ctrl-X alone is held, then sent when x does not follow it.
    two.type_bytes(b"echo held\x18");
    two.type_bytes(b"y\r");
    one.wait_for_text("held", WAIT);
    // The detach keys: the second client leaves, the session runs on.
    two.type_bytes(b"\x18x");
    assert_eq!(two.wait_exit(WAIT), 0);
    assert_eq!(only_session(&agent)["clients"], 1);
    one.type_bytes(b"echo still-$((3+3))\r");
    one.wait_for_text("still-6", WAIT);
    one.type_bytes(b"exit\r");
    assert_eq!(one.wait_exit(WAIT), 0);
}

#[test]
fn only_the_identity_that_started_a_session_sees_it() {
    let pki = dockyard_tests::certs::TestPki::new();
    let tokens = pki.file(
        "tokens",
        "# two people\nalice alice-0123456789abcdef\nbob bob-0123456789abcdef\n",
    );
    let agent = TestAgent::start_with(&["--token-file", dockyard_tests::certs::path(&tokens)], &[]);
    let c = TestContainer::start("owner");
    let alice = ["--token", "alice-0123456789abcdef"];
    let bob = ["--token", "bob-0123456789abcdef"];
    let mut args = alice.to_vec();
    args.extend(["exec", "-t", &c.name, "sleep", "4246"]);
    let child = agent
        .dockyard(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(eventually(WAIT, || docker_ps_has(&c, "sleep 4246")));
    let mine = sessions(&agent, &alice);
    assert_eq!(mine.len(), 1, "{mine:?}");
    let id = mine[0]["id"].as_str().expect("id").to_string();
    assert!(sessions(&agent, &bob).is_empty());
    for attempt in [vec!["attach", &id], vec!["sessions", "rm", &id]] {
        let mut args = bob.to_vec();
        args.extend(attempt.iter().copied());
        let o = run(agent.dockyard(&args));
        assert_eq!(o.status.code(), Some(125), "{attempt:?}");
        assert_eq!(
            stderr_str(&o),
            format!("dockyard: No such session: {id}\n"),
            "{attempt:?}"
        );
    }
    assert!(docker_ps_has(&c, "sleep 4246"));
    // Its owner ends it: the client that started it gets the exit status.
    let mut args = alice.to_vec();
    args.extend(["sessions", "rm", &id]);
    let o = run(agent.dockyard(&args));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(stdout_str(&o), format!("{id}\n"));
    let o = child.wait_with_output().expect("client");
    assert_eq!(o.status.code(), Some(137), "{}", stderr_str(&o));
    assert!(!docker_ps_has(&c, "sleep 4246"));
    assert!(agent.log().contains("token alice"), "{}", agent.log());
}

/// Asked of the engine directly: this agent wants a token.
fn docker_ps_has(c: &TestContainer, needle: &str) -> bool {
    let o = std::process::Command::new("docker")
        .args(["exec", &c.name, "ps", "-o", "args"])
        .output()
        .expect("docker exec ps");
    String::from_utf8_lossy(&o.stdout).contains(needle)
}

const CTRL_A: &[u8] = b"\x01";

/// The TUI on `host`, its state (workspace, log) under `state_dir`.
fn tui(host: &str, state_dir: &std::path::Path) -> Pty {
    Pty::spawn_env(
        &dockyard_bin(),
        &["--host", host],
        &[("XDG_STATE_HOME", state_dir.to_str().expect("utf-8 path"))],
        40,
        140,
    )
}

/// Filters the list down to `name` and opens a shell into it.
fn open_shell(pty: &mut Pty, name: &str, prompts: usize) {
    pty.wait_for_text(name, WAIT);
    pty.type_bytes(b"/");
    pty.type_bytes(name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt in the pane", WAIT, |s| {
        s.matches("/ #").count() >= prompts
    });
}

fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(dockyard_tests::unique_name(prefix));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The screen row holding `needle`, if any.
fn row_of(pty: &Pty, needle: &str) -> Option<usize> {
    pty.rows().iter().position(|r| r.contains(needle))
}

#[test]
fn tui_quit_keeping_sessions_brings_the_panes_back() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("keep"));
    let dir = temp_dir("keep-state");
    let mut first = tui(&agent.addr, &dir);
    open_shell(&mut first, &c.name, 1);
    first.type_bytes(b"export P=left; echo pane-$((1+0))-left\r");
    first.wait_for_text("pane-1-left", WAIT);
    // The left shell's prompt after its output first, so that it is not
    // taken for the new pane's.
    first.wait_for("the left prompt back", WAIT, |s| {
        s.matches("/ #").count() >= 2
    });
    // Another shell beside it (its prompt is one more on the screen).
    let prompts = first.contents().matches("/ #").count();
    first.type_bytes(CTRL_A);
    first.type_bytes(b"|");
    first.wait_for("a second prompt", WAIT, |s| {
        s.matches("/ #").count() > prompts
    });
    first.type_bytes(b"export P=right; echo pane-$((1+1))-right\r");
    first.wait_for_text("pane-2-right", WAIT);
    let (l, r) = (
        row_of(&first, "pane-1-left"),
        row_of(&first, "pane-2-right"),
    );
    assert_eq!(l, r, "side by side:\n{}", first.contents());

    first.type_bytes(CTRL_A);
    first.type_bytes(b"q");
    first.wait_for_text("keep them running", WAIT);
    first.type_bytes(b"k");
    assert_eq!(first.wait_exit(WAIT), 0);
    let kept = sessions(&agent, &[]);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.iter().all(|s| s["state"] == "detached"), "{kept:?}");
    assert!(dir.join("dockyard/workspace.json").exists());

    // The next run: both panes back, side by side, with what they showed.
    let mut second = tui(&agent.addr, &dir);
    second.wait_for("both panes restored", WAIT, |s| {
        s.contains("pane-1-left") && s.contains("pane-2-right")
    });
    let (l2, r2) = (
        row_of(&second, "pane-1-left"),
        row_of(&second, "pane-2-right"),
    );
    assert_eq!(l2, r2, "side by side again:\n{}", second.contents());
    assert!(!dir.join("dockyard/workspace.json").exists());
    assert!(eventually(WAIT, || {
        sessions(&agent, &[])
            .iter()
            .all(|s| s["state"] == "attached")
    }));
    // The focused (first) pane is the left shell, with its state.
    second.type_bytes(b"echo P=$P\r");
    second.wait_for_text("P=left", WAIT);
    // Quit ending them this time: nothing is left.
    second.type_bytes(CTRL_A);
    second.type_bytes(b"q");
    second.wait_for_text("keep them running", WAIT);
    second.type_bytes(b"e");
    assert_eq!(second.wait_exit(WAIT), 0);
    assert!(
        eventually(WAIT, || sessions(&agent, &[]).is_empty()),
        "{:?}",
        sessions(&agent, &[])
    );
    assert!(!dir.join("dockyard/workspace.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tui_pane_survives_a_network_cut() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("cut"));
    let proxy = dockyard_tests::tcp_proxy::TcpProxy::start(&agent.addr);
    let dir = temp_dir("cut-state");
    let mut pty = tui(&proxy.addr, &dir);
    open_shell(&mut pty, &c.name, 1);
    pty.type_bytes(b"export Y=kept; echo before-$((2*3))-cut\r");
    pty.wait_for_text("before-6-cut", WAIT);
    proxy.cut();
    pty.wait_for_text("[reconnecting]", WAIT);
    // Typed while the link is down: held, and sent once it is back.
    pty.type_bytes(b"echo typed-$((4*5))-blind\r");
    std::thread::sleep(Duration::from_secs(10));
    proxy.restore();
    pty.wait_for("the pane back", Duration::from_secs(30), |s| {
        !s.contains("[reconnecting]") && !s.contains("[failed]")
    });
    // Same screen, same shell.
    assert!(
        pty.contents().contains("before-6-cut"),
        "{}",
        pty.contents()
    );
    pty.wait_for_text("typed-20-blind", WAIT);
    pty.type_bytes(b"echo Y=$Y\r");
    pty.wait_for_text("Y=kept", WAIT);
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"x");
    assert!(
        eventually(WAIT, || sessions(&agent, &[]).is_empty()),
        "closing the pane ends its session"
    );
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pane tries to reconnect for as long as the agent keeps the session
/// (its --detached-ttl, which it tells the client), not a fixed time.
#[test]
fn tui_reconnects_for_as_long_as_the_agent_keeps_the_session() {
    let agent = TestAgent::start_with(&["--detached-ttl", "3s"], &[]);
    let c = TestContainer::start("ttl-cut");
    let proxy = dockyard_tests::tcp_proxy::TcpProxy::start(&agent.addr);
    let dir = temp_dir("ttl-cut-state");
    let mut pty = tui(&proxy.addr, &dir);
    open_shell(&mut pty, &c.name, 1);
    pty.type_bytes(b"echo up-$((5*5))\r");
    pty.wait_for_text("up-25", WAIT);
    proxy.cut();
    pty.wait_for_text("[reconnecting]", WAIT);
    // Well under the 15 minutes a pane waited before it knew.
    pty.wait_for_text("[failed]", Duration::from_secs(30));
    assert!(
        eventually(WAIT, || sessions(&agent, &[]).is_empty()),
        "{}",
        agent.log()
    );
    // The failed pane closes, then the TUI quits.
    pty.type_bytes(b"q");
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tui_detach_and_the_sessions_picker() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("picker"));
    let dir = temp_dir("picker-state");
    let mut pty = tui(&agent.addr, &dir);
    open_shell(&mut pty, &c.name, 1);
    pty.type_bytes(b"echo detach-$((3+4))-me\r");
    pty.wait_for_text("detach-7-me", WAIT);
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"d");
    pty.wait_for_text("detached session", WAIT);
    assert_eq!(only_session(&agent)["state"], "detached");
    // The picker lists it; Enter attaches it in a pane with its screen.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"S");
    pty.wait_for_text("Enter attach", WAIT);
    // Its row, not the status line's "detached session": Enter on a
    // picker still asking would attach nothing.
    let id = only_session(&agent)["id"].as_str().expect("id").to_string();
    pty.wait_for_text(&id[..12], WAIT);
    pty.type_bytes(b"\r");
    pty.wait_for_text("detach-7-me", WAIT);
    assert!(eventually(WAIT, || only_session(&agent)["state"] == "attached"));
    pty.type_bytes(b"exit\r");
    pty.wait_for_text("[exited 0]", WAIT);
    assert!(sessions(&agent, &[]).is_empty());
    pty.type_bytes(b"q");
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(WAIT), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_terminal_leaves_the_session_as_it_was() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("hangup"));
    let mut first = in_pty(&agent, &["exec", "-it", &c.name, "sh"], 24, 80);
    first.wait_for("a prompt", WAIT, |s| s.contains('#'));
    first.type_bytes(b"export Z=alive\r");
    first.type_bytes(b"echo set-$((2+3))\r");
    first.wait_for_text("set-5", WAIT);
    // The terminal hangs up: the client leaves, the session runs on with
    // nothing typed into it (an end of input would be Ctrl-D to the shell).
    first.hang_up();
    assert_eq!(first.wait_exit(WAIT), 128 + 1);
    assert!(
        eventually(WAIT, || sessions(&agent, &[])
            .first()
            .is_some_and(|s| s["state"] == "detached")),
        "{}",
        agent.log()
    );
    let id = only_session(&agent)["id"].as_str().expect("id").to_string();
    let mut back = in_pty(&agent, &["attach", &id], 24, 80);
    back.wait_for_text("set-5", WAIT);
    back.type_bytes(b"echo Z=$Z\r");
    back.wait_for_text("Z=alive", WAIT);
    back.type_bytes(b"exit\r");
    assert_eq!(back.wait_exit(WAIT), 0);
}

/// The agent's copy of a session's screen rewraps at a new width: a
/// terminal half as wide that attaches sees a long line on two rows, its
/// end included, not cut at the new width.
#[test]
fn a_session_attached_narrower_shows_its_lines_rewrapped() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("rewrap"));
    let mut first = in_pty(&agent, &["exec", "-it", &c.name, "sh"], 24, 120);
    first.wait_for("a prompt", WAIT, |s| s.contains('#'));
    first.type_bytes(b"seq -s - 1 40\r");
    first.wait_for_text("38-39-40", WAIT);
    first.kill_hard();
    let id = only_session(&agent)["id"].as_str().expect("id").to_string();
    let mut back = in_pty(&agent, &["attach", &id], 24, 60);
    back.wait_for_text("38-39-40", WAIT);
    let line = (1..=40)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("-");
    let rows = back.rows();
    let at = rows
        .iter()
        .position(|r| r.starts_with("1-2-3-"))
        .expect("the line's start");
    assert_eq!(format!("{}{}", rows[at], rows[at + 1]).trim_end(), line);
    back.type_bytes(b"exit\r");
    assert_eq!(back.wait_exit(WAIT), 0);
}

/// A client whose terminal stops reading does not hold up a shared
/// session: the other runs a flood far larger than every buffer on the
/// way (about 21 MB: the agent's queue, the HTTP/2 windows, the socket
/// buffers, the pty) to its end, and the stalled one, read again, is
/// caught up to the same screen. (The client runs on, as over a stalled
/// link: one stopped with SIGSTOP answers no keepalive ping and is rightly
/// dropped after 40 s, which a slow machine's flood can outlast.)
#[test]
fn a_stalled_client_does_not_hold_up_the_others() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("stalled"));
    let mut live = in_pty(&agent, &["exec", "-it", &c.name, "sh"], 24, 80);
    live.wait_for("a prompt", WAIT, |s| s.contains('#'));
    let id = only_session(&agent)["id"].as_str().expect("id").to_string();
    let mut stalled = in_pty(&agent, &["attach", &id], 24, 80);
    stalled.wait_for("a prompt", WAIT, |s| s.contains('#'));
    assert_eq!(only_session(&agent)["clients"], 2);
    stalled.pause_reading();
    live.type_bytes(b"seq 1 3000000; echo flood-$((40+2))\r");
    live.wait_for_text("flood-42", Duration::from_secs(300));
    stalled.resume_reading();
    let same = eventually(Duration::from_secs(60), || {
        stalled.contents() == live.contents()
    });
    assert!(
        same,
        "the stalled client's screen:\n{}\nthe live one's:\n{}",
        stalled.contents(),
        live.contents()
    );
    assert!(live.contents().contains("3000000\nflood-42"));
    assert_eq!(stalled.state().cursor, live.state().cursor);
    assert!(
        agent.log().contains("client fell behind"),
        "{}",
        agent.log()
    );
    live.type_bytes(b"exit\r");
    assert_eq!(live.wait_exit(WAIT), 0);
    assert_eq!(stalled.wait_exit(WAIT), 0);
}

/// `--max-detached` counts per identity: alice's third detached session
/// ends her oldest, and bob's detached session is not pushed out by hers.
#[test]
fn max_detached_counts_per_identity() {
    use dockyard_client::{DialOptions, ExecSession};

    let pki = dockyard_tests::certs::TestPki::new();
    let tokens = pki.file(
        "tokens",
        "alice alice-0123456789abcdef\nbob bob-0123456789abcdef\n",
    );
    let agent = TestAgent::start_with(
        &[
            "--token-file",
            dockyard_tests::certs::path(&tokens),
            "--max-detached",
            "2",
        ],
        &[],
    );
    let c = TestContainer::start("cap");
    let rt = dockyard_tests::runtime();
    let detached = |token: &str| -> String {
        let opts = DialOptions {
            token: Some(token.into()),
            ..Default::default()
        };
        let mut client = agent.client(&rt, &opts);
        let start = dockyard_tests::tty_shell(&c.name);
        let id = rt.block_on(async {
            let s = ExecSession::start(&mut client, start).await.expect("start");
            let id = s.session_id().to_string();
            s.input().detach().await.expect("detach");
            id
        });
        // Detached at the agent before the next one starts: the cap ends
        // the one detached longest, and each session's detach is handled
        // by its own task.
        let listed = || {
            sessions(&agent, &["--token", token])
                .iter()
                .any(|s| s["id"] == id.as_str() && s["state"] == "detached")
        };
        assert!(eventually(WAIT, listed), "{id} never showed as detached");
        id
    };
    let ids = |token: &str| -> Vec<String> {
        sessions(&agent, &["--token", token])
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect()
    };
    let bob = detached("bob-0123456789abcdef");
    let first = detached("alice-0123456789abcdef");
    let second = detached("alice-0123456789abcdef");
    let third = detached("alice-0123456789abcdef");
    assert!(
        eventually(WAIT, || !ids("alice-0123456789abcdef").contains(&first)),
        "alice's oldest outlived the cap: {:?}",
        ids("alice-0123456789abcdef")
    );
    let alice_now = ids("alice-0123456789abcdef");
    assert!(
        alice_now.contains(&second) && alice_now.contains(&third),
        "{alice_now:?}"
    );
    assert_eq!(
        ids("bob-0123456789abcdef"),
        [bob],
        "bob's session was pushed out"
    );
}
