//! The terminal UI end to end: the real `dockyard` binary in a
//! pseudo-terminal against a real agent and engine, driven by keys, its
//! screen read back with vt100.

use std::time::Duration;

use dockyard_tests::pty::Pty;
use dockyard_tests::{
    RemoveOnDrop, TEST_IMAGE, TestAgent, TestContainer, dockyard_bin, unique_name,
};

const WAIT: Duration = Duration::from_secs(20);
const CTRL_A: &[u8] = b"\x01";

fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

/// Ctrl-a q with shells open on a remote agent: the TUI asks whether to
/// keep their sessions; `e` ends them.
fn quit_ending_sessions(pty: &mut Pty) {
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"q");
    pty.wait_for_text("e: end them", WAIT);
    pty.type_bytes(b"e");
}

/// Types `stty size` in the focused pane and checks the answer against the
/// pane's box on screen.
fn check_size(pty: &mut Pty, title: &str) {
    pty.type_bytes(b"clear; stty size\r");
    pty.wait_for("stty's answer", WAIT, |_| {
        let Some((rows, cols)) = pty.box_inner_size(title) else {
            return false;
        };
        let want = format!("{rows} {cols}");
        pty.rows().iter().any(|r| r.contains(&want))
    });
}

#[test]
fn browse_open_panes_type_resize_launch_and_quit() {
    let agent = TestAgent::start();
    let a = TestContainer::start("tuia");
    let b = TestContainer::start("tuib");
    let launched = unique_name("tuilaunch");
    let _cleanup = RemoveOnDrop(launched.clone());
    // A shell around dockyard reports the terminal mode after it quits.
    let script = format!(
        "'{}' --host {}; echo tui-exit=$?; stty -a | grep -o -- '-\\?icanon' | head -1",
        dockyard_bin().display(),
        agent.addr
    );
    let mut pty = Pty::spawn(std::path::Path::new("/bin/sh"), &["-c", &script], 40, 140);

    // The list shows both test containers.
    pty.wait_for_text(&a.name, WAIT);
    pty.wait_for_text(&b.name, WAIT);

    // Filter down to `a` and open a shell into it.
    pty.type_bytes(b"/");
    pty.type_bytes(a.name.as_bytes());
    pty.type_bytes(b"\r");
    pty.wait_for("the filter to hide b", WAIT, |s| {
        s.contains(&a.name) && !s.contains(&b.name)
    });
    pty.type_bytes(b"\r");
    let title_a = format!("/{}", a.name);
    pty.wait_for("a's pane with a prompt", WAIT, |s| {
        s.contains(&title_a) && s.contains("/ #")
    });
    pty.type_bytes(b"echo $((6*7))\r");
    pty.wait_for_text("42", WAIT);
    check_size(&mut pty, &title_a);
    pty.type_bytes(b"echo marker-$((1+1))-a\r");
    pty.wait_for_text("marker-2-a", WAIT);

    // A second pane into `b`: back to the list, filter, open.
    let prompts = pty.contents().matches("/ #").count();
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"c");
    pty.type_bytes(b"/");
    pty.type_bytes(b.name.as_bytes());
    pty.type_bytes(b"\r\r");
    let title_b = format!("/{}", b.name);
    pty.wait_for("b's pane", WAIT, |s| {
        s.contains(&title_b) && s.contains(&title_a)
    });
    pty.wait_for("b's prompt", WAIT, |s| s.matches("/ #").count() > prompts);
    pty.type_bytes(b"echo from-b-$((2*3))\r");
    pty.wait_for_text("from-b-6", WAIT);
    // Both panes keep their own output.
    assert!(
        pty.contents().contains("marker-2-a"),
        "pane a lost its output:\n{}",
        pty.contents()
    );
    check_size(&mut pty, &title_b);
    // Pane a was resized by the split; its TTY followed.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"h");
    settle();
    check_size(&mut pty, &title_a);
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"l");
    settle();

    // A full-screen program in pane b.
    pty.type_bytes(b"vi /tmp/tui-note\r");
    pty.wait_for("vi", WAIT, |s| s.matches('~').count() >= 5);
    pty.type_bytes(b"ihello-from-vi");
    pty.wait_for_text("hello-from-vi", WAIT);
    pty.type_bytes(b"\x1b");
    settle();
    pty.type_bytes(b":wq\r");
    pty.wait_for("vi to quit", WAIT, |s| s.matches('~').count() < 5);
    pty.type_bytes(b"clear; cat /tmp/tui-note\r");
    pty.wait_for_text("hello-from-vi", WAIT);

    // The outer terminal shrinks: the remote TTY follows.
    pty.resize(30, 100);
    settle();
    check_size(&mut pty, &title_b);

    // Launch a container from the form; it appears in the list.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"c");
    pty.type_bytes(b"\x1b"); // clear the filter
    settle();
    pty.type_bytes(b"L");
    pty.wait_for_text("Launch a container", WAIT);
    for (i, field) in [
        TEST_IMAGE,
        &launched,
        "sleep 1000000",
        "",
        "",
        "dockyard.test=1",
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            pty.type_bytes(b"\t");
        }
        pty.type_bytes(field.as_bytes());
    }
    pty.type_bytes(b"\r");
    pty.wait_for_text(&format!("launched {launched}"), WAIT);
    // Narrow columns may cut the name; its first 20 characters are unique.
    let shown = &launched[..20];
    pty.wait_for("the launched container in the list", WAIT, |s| {
        s.lines()
            .any(|l| l.contains(shown) && l.contains("running"))
    });

    // Ctrl-a q quits (ending the shells' sessions) and gives the
    // terminal back as it was.
    quit_ending_sessions(&mut pty);
    pty.wait_for_text("tui-exit=0", WAIT);
    pty.wait_for("the terminal mode", WAIT, |s| {
        s.lines().any(|l| l.trim() == "icanon")
    });
    assert!(!pty.contents().contains("-icanon"), "terminal left raw");
    let raw = pty.raw_output();
    let tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(4096)..]).into_owned();
    assert!(tail.contains("\x1b[?1049l"), "alternate screen not left");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn an_agent_that_goes_away_is_shown_and_reconnected() {
    let mut agent = TestAgent::start();
    let c = TestContainer::start("tuire");
    let addr = agent.addr.clone();
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &addr], 30, 120);
    pty.wait_for_text(&c.name, WAIT);
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt", WAIT, |s| s.contains("/ #"));

    agent.kill();
    // The host's row says so; the pane tries to attach its session again.
    pty.wait_for("the host marked unreachable", WAIT, |s| {
        s.contains("unreachable")
    });
    pty.wait_for_text("[reconnecting]", WAIT);

    // Back on the same address: the list comes back by itself. The row is
    // matched by name and image together: the ended pane's title also
    // carries the name. A new agent has none of the old one's sessions:
    // the pane says its session is gone.
    let _agent2 = TestAgent::start_on(&addr, &[], &[]);
    pty.wait_for("the host's list back", Duration::from_secs(40), |s| {
        !s.contains("unreachable")
            && s.lines()
                .any(|l| l.contains(&c.name) && l.contains("dockyard-test"))
    });
    pty.wait_for("the pane ended", WAIT, |s| {
        s.contains("[failed]") && s.contains("the session is gone")
    });
    // And a new shell opens with the first Enter.
    let prompts = pty.contents().matches("/ #").count();
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"c");
    pty.type_bytes(b"\r");
    let title = format!("/{} ", c.name);
    pty.wait_for("a second pane", WAIT, |s| s.matches(&title).count() >= 2);
    pty.wait_for("the new pane's prompt", WAIT, |s| {
        s.matches("/ #").count() > prompts
    });
    pty.type_bytes(b"echo back-$((20+22))\r");
    pty.wait_for_text("back-42", WAIT);
    quit_ending_sessions(&mut pty);
    assert_eq!(pty.wait_exit(WAIT), 0);
}

/// The STATUS column ages with the clock, as `docker ps` words it then,
/// with no new list from the agent (it sends one on events, or every
/// 30 s): "Up 2 seconds" becomes "Up 6 seconds" on its own.
#[test]
fn the_status_column_ages() {
    let agent = TestAgent::start();
    let c = TestContainer::start("tuiage");
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 30, 140);
    pty.wait_for_text(&c.name, WAIT);
    pty.wait_for("the row aged to 6 seconds", WAIT, |s| {
        line_with(s, &c.name, "Up 6 seconds")
    });
    pty.wait_for("the row aged to 8 seconds", WAIT, |s| {
        line_with(s, &c.name, "Up 8 seconds")
    });
    // Stopped: the exit is worded and ages too.
    let stop = std::process::Command::new("docker")
        .args(["stop", "-t", "0", &c.name])
        .output()
        .expect("docker stop");
    assert!(stop.status.success());
    pty.type_bytes(b"a");
    pty.wait_for("the exit aged", WAIT, |s| {
        line_with(s, &c.name, "Exited (137) 3 sec")
    });
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

/// The row of the list (or any line) holding both words.
fn line_with(screen: &str, a: &str, b: &str) -> bool {
    screen.lines().any(|l| l.contains(a) && l.contains(b))
}

#[test]
fn logs_beside_a_shell_stats_inspect_and_pause() {
    let agent = TestAgent::start();
    let script = "echo log-line-77; echo err-line-78 >&2; exec sleep 1000000";
    let c = TestContainer::start_custom("tuilogs", &["sh", "-c", script], |b| {
        b.env = Some(vec!["SHOWN_AT_LAUNCH=env-77".into()]);
    });
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 40, 160);
    pty.wait_for_text(&c.name, WAIT);
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a shell pane", WAIT, |s| s.contains("/ #"));

    // Its logs beside the shell.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"c");
    pty.type_bytes(b"l");
    let logs_title = format!("/{} logs", c.name);
    pty.wait_for("a logs pane beside the shell", WAIT, |s| {
        s.contains(&logs_title)
            && s.contains("log-line-77")
            && s.contains("err-line-78")
            && s.contains("/ #")
    });
    // The list's CPU and MEM columns fill in from the stats stream.
    pty.wait_for("stats in the list", WAIT, |s| {
        s.lines()
            .any(|l| l.contains(&c.name) && l.contains("running") && l.contains("iB"))
    });

    // Its configuration, then the JSON.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"c");
    pty.type_bytes(b"i");
    pty.wait_for_text("SHOWN_AT_LAUNCH=env-77", WAIT);
    pty.type_bytes(b"r");
    pty.wait_for_text("\"Path\": \"sh\",", WAIT);
    // Down the JSON a page at a time to the environment.
    let mut pages = 0;
    while !pty.contents().contains("\"SHOWN_AT_LAUNCH=env-77\"") {
        assert!(pages < 20, "no env in the JSON:\n{}", pty.contents());
        pty.type_bytes(b" ");
        settle();
        pages += 1;
    }
    pty.type_bytes(b"q");
    pty.wait_for("the inspect view closed", WAIT, |s| {
        !s.contains("SHOWN_AT_LAUNCH")
    });

    // Pause and unpause from the list.
    pty.type_bytes(b"P");
    pty.wait_for("paused in the list", WAIT, |s| {
        line_with(s, &c.name, "paused")
    });
    let state = std::process::Command::new("docker")
        .args(["inspect", "-f", "{{.State.Status}}", &c.name])
        .output()
        .expect("docker inspect");
    assert_eq!(String::from_utf8_lossy(&state.stdout).trim(), "paused");
    pty.type_bytes(b"P");
    pty.wait_for("running again", WAIT, |s| line_with(s, &c.name, "running"));

    // A search in the logs pane finds the line; a missing word says so.
    pty.type_bytes(b"\t");
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"l");
    pty.type_bytes(b"/log-line\r");
    settle();
    pty.type_bytes(b"/no-such-words\r");
    pty.wait_for_text("'no-such-words' not found", WAIT);

    quit_ending_sessions(&mut pty);
    assert_eq!(pty.wait_exit(WAIT), 0);
}

/// Three marked containers opened together, broadcast on: one line typed
/// reaches all three shells, and not a fourth pane outside the group.
#[test]
fn broadcast_types_into_the_marked_group_only() {
    let agent = TestAgent::start();
    let mut cs: Vec<TestContainer> = (0..4).map(|_| TestContainer::start("bcast")).collect();
    // The list sorts by name: the first three rows are the first three
    // names (not necessarily the first three made: "…-10-" < "…-9-").
    cs.sort_by(|a, b| a.name.cmp(&b.name));
    // Their names share "dyt-bcast-<pid>-": a filter that shows just them.
    let common = format!("dyt-bcast-{}-", std::process::id());
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 50, 200);
    for c in &cs {
        pty.wait_for_text(&c.name, WAIT);
    }
    pty.type_bytes(b"/");
    pty.type_bytes(common.as_bytes());
    pty.type_bytes(b"\r");
    pty.type_bytes(b"   ");
    pty.wait_for_text("3 marked", WAIT);
    pty.type_bytes(b"\r");
    pty.wait_for("three prompts", WAIT, |s| s.matches("/ #").count() >= 3);
    // The fourth, on its own (the selection moved down with each mark).
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"c");
    pty.type_bytes(b"\r");
    pty.wait_for("four prompts", WAIT, |s| s.matches("/ #").count() >= 4);
    // To a pane of the group, then broadcast on.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"n");
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"s");
    pty.wait_for_text("[broadcast]", WAIT);
    pty.type_bytes(b"echo $HOSTNAME > /tmp/bc\r");
    let has_file = |c: &TestContainer| {
        std::process::Command::new("docker")
            .args(["exec", &c.name, "test", "-f", "/tmp/bc"])
            .status()
            .is_ok_and(|s| s.success())
    };
    for c in &cs[..3] {
        assert!(
            dockyard_tests::eventually(WAIT, || has_file(c)),
            "{} did not get the line:\n{}",
            c.name,
            pty.contents()
        );
    }
    settle();
    assert!(!has_file(&cs[3]), "the pane outside the group got it");
    quit_ending_sessions(&mut pty);
    assert_eq!(pty.wait_exit(WAIT), 0);
}
