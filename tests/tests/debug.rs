//! `dockyard debug`: a shell into a container whose image has none, end
//! to end (real agent, real engine), on a distroless-style target built
//! here: only a static binary, user nobody, a working directory, an
//! environment variable, a web server on its loopback only.

use std::time::Duration;

use dockyard_tests::debug::{
    FOREIGN_TOOLBOX, TARGET_DATA, TARGET_ENV, TARGET_PORT, TOOLBOX, Target,
};
use dockyard_tests::pty::Pty;
use dockyard_tests::{
    TestAgent, dockyard_bin, dockyard_command, eventually, run, stderr_str, stdout_str,
};

fn debug(agent: &TestAgent, args: &[&str]) -> std::process::Output {
    let mut full = vec!["debug", "--image", TOOLBOX];
    full.extend_from_slice(args);
    run(agent.dockyard(&full))
}

/// What a debug session sees of `t`, in one command: its file, its
/// environment, its working directory, its processes, its loopback.
const LOOK: &str = "cat data.txt; echo env=$GREETING; echo pwd=$(pwd); ps -o args; \
    wget -q -O - http://127.0.0.1:8099/data.txt; id -u";

fn assert_sees_the_target(out: &str) {
    let greeting = TARGET_ENV.split_once('=').expect("KEY=VALUE").1;
    assert!(
        out.starts_with(&format!("{TARGET_DATA}\n")),
        "its files as /: {out}"
    );
    assert!(
        out.contains(&format!("env={greeting}\n")),
        "its environment: {out}"
    );
    assert!(out.contains("pwd=/app\n"), "its working directory: {out}");
    assert!(
        out.contains(&format!("httpd -f -p 127.0.0.1:{TARGET_PORT}")),
        "its processes: {out}"
    );
    assert_eq!(
        out.matches(TARGET_DATA).count(),
        2,
        "its loopback (the file again, over HTTP): {out}"
    );
    assert!(out.ends_with("0\n"), "root in the debug shell: {out}");
}

#[test]
fn a_debug_shell_sees_the_target_and_leaves_nothing() {
    let agent = TestAgent::start();
    // Read-only and non-root: both must work, and nothing be written.
    let t = Target::start("dbg-ro", |h| h.readonly_rootfs = Some(true));
    let before = t.diff();
    let o = debug(&agent, &[&t.name, "sh", "-c", LOOK]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    assert_sees_the_target(&stdout_str(&o));
    assert_eq!(stderr_str(&o), "");

    // Exit codes as exec's: the command's own, 127 when not found.
    let o = debug(&agent, &[&t.name, "sh", "-c", "exit 42"]);
    assert_eq!(o.status.code(), Some(42));
    let o = debug(&agent, &[&t.name, "no-such-program"]);
    assert_eq!(o.status.code(), Some(127), "{}", stderr_str(&o));

    // -u: a user of the target's, the toolbox still reachable.
    let o = debug(
        &agent,
        &["-u", "nobody", &t.name, "sh", "-c", "id -u; cat data.txt"],
    );
    assert_eq!(
        stdout_str(&o),
        format!("65534\n{TARGET_DATA}\n"),
        "{}",
        stderr_str(&o)
    );

    // --toolbox-root: the toolbox's own files, the target's at /target.
    let o = debug(
        &agent,
        &[
            "--toolbox-root",
            &t.name,
            "sh",
            "-c",
            "cat /target/app/data.txt; ls /bin/busybox",
        ],
    );
    assert_eq!(
        stdout_str(&o),
        format!("{TARGET_DATA}\n/bin/busybox\n"),
        "{}",
        stderr_str(&o)
    );

    // Stdin, as exec -i.
    let o = dockyard_tests::run_with_input(
        agent.dockyard(&["debug", "--image", TOOLBOX, "-i", &t.name, "wc", "-c"]),
        b"12345",
    );
    assert_eq!(stdout_str(&o).trim(), "5");

    assert_eq!(t.diff(), before, "nothing written into the target");
    assert!(
        eventually(Duration::from_secs(10), || t.helpers().is_empty()),
        "a helper was left: {:?}",
        t.helpers()
    );
    // Helpers are not containers of the user's.
    let o = run(agent.dockyard(&["ps", "-a", "--format", "json"]));
    assert!(!stdout_str(&o).contains("dockyard.debug.helper"));
}

#[test]
fn a_debug_shell_through_the_embedded_agent() {
    let t = Target::start("dbg-local", |_| {});
    let mut cmd = dockyard_command();
    cmd.args(["debug", "--image", TOOLBOX, &t.name, "sh", "-c", LOOK]);
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    assert_sees_the_target(&stdout_str(&o));
    // DOCKYARD_DEBUG_IMAGE names the toolbox too.
    let mut cmd = dockyard_command();
    cmd.env("DOCKYARD_DEBUG_IMAGE", TOOLBOX)
        .args(["debug", &t.name, "cat", "/app/data.txt"]);
    let o = run(cmd);
    assert_eq!(
        stdout_str(&o),
        format!("{TARGET_DATA}\n"),
        "{}",
        stderr_str(&o)
    );
    assert!(eventually(Duration::from_secs(10), || t
        .helpers()
        .is_empty()));
}

#[test]
fn a_target_in_the_hosts_pid_namespace() {
    let agent = TestAgent::start();
    let t = Target::start("dbg-pidhost", |h| h.pid_mode = Some("host".into()));
    let o = debug(
        &agent,
        &[&t.name, "sh", "-c", "cat /app/data.txt; echo env=$GREETING"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    let greeting = TARGET_ENV.split_once('=').expect("KEY=VALUE").1;
    assert_eq!(stdout_str(&o), format!("{TARGET_DATA}\nenv={greeting}\n"));
}

#[test]
fn a_tty_debug_shell_is_typed_into() {
    let agent = TestAgent::start();
    let t = Target::start("dbg-tty", |_| {});
    let mut pty = Pty::spawn(
        &dockyard_bin(),
        &["--host", &agent.addr, "debug", "--image", TOOLBOX, &t.name],
        24,
        80,
    );
    pty.type_bytes(b"cat data.txt; echo typed-$((6*7))\r");
    pty.wait_for_text("typed-42", Duration::from_secs(20));
    assert!(pty.contents().contains(TARGET_DATA), "{}", pty.contents());
    pty.type_bytes(b"exit 3\r");
    assert_eq!(pty.wait_exit(Duration::from_secs(20)), 3);
    assert!(eventually(Duration::from_secs(10), || t
        .helpers()
        .is_empty()));
}

#[test]
fn bad_debug_requests_get_one_line_and_125() {
    let agent = TestAgent::start();
    let t = Target::start("dbg-bad", |_| {});
    // A toolbox that is not here and cannot be pulled.
    let o = run(agent.dockyard(&[
        "debug",
        "--image",
        "dockyard-no-such-toolbox:1",
        &t.name,
        "true",
    ]));
    assert_eq!(o.status.code(), Some(125));
    let err = stderr_str(&o);
    assert!(err.contains("--image") && err.lines().count() == 1, "{err}");
    // A toolbox for another platform.
    let o = run(agent.dockyard(&["debug", "--image", FOREIGN_TOOLBOX, &t.name, "true"]));
    assert_eq!(o.status.code(), Some(125));
    let err = stderr_str(&o);
    assert!(
        err.contains("choose a toolbox for") && err.lines().count() == 1,
        "{err}"
    );
    // A stopped target.
    let docker = dockyard_tests::docker();
    dockyard_tests::block_on(docker.stop_container(&t.name, None)).expect("stop");
    let o = debug(&agent, &[&t.name, "true"]);
    assert_eq!(o.status.code(), Some(125));
    let err = stderr_str(&o);
    assert!(
        err.contains("not running") && err.lines().count() == 1,
        "{err}"
    );
    // No such container.
    let o = debug(&agent, &["dockyard-no-such-container", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(t.helpers().is_empty(), "no helper for refused requests");
}

#[test]
fn helpers_of_a_killed_agent_are_removed_when_it_starts_again() {
    let mut agent = TestAgent::start();
    let t = Target::start("dbg-kill", |_| {});
    let mut client = agent
        .dockyard(&["debug", "--image", TOOLBOX, &t.name, "sleep", "1000"])
        .spawn()
        .expect("dockyard debug");
    assert!(
        eventually(Duration::from_secs(20), || !t.helpers().is_empty()),
        "no helper started"
    );
    agent.kill();
    let _ = client.kill();
    let _ = client.wait();
    assert!(
        !t.helpers().is_empty(),
        "the helper outlives its killed agent"
    );
    let _again = TestAgent::start();
    assert!(
        eventually(Duration::from_secs(20), || t.helpers().is_empty()),
        "the helper of the killed agent was not removed: {:?}",
        t.helpers()
    );
}

#[test]
fn the_tui_opens_a_debug_pane_with_enter_on_a_container_without_a_shell() {
    let agent = TestAgent::start();
    let t = Target::start("dbgt", |_| {});
    let mut pty = Pty::spawn_env(
        &dockyard_bin(),
        &["--host", &agent.addr],
        &[("DOCKYARD_DEBUG_IMAGE", TOOLBOX)],
        30,
        120,
    );
    let wait = Duration::from_secs(20);
    // The list's NAME column may cut a long name.
    let shown: String = t.name.chars().take(20).collect();
    pty.wait_for_text(&shown, wait);
    pty.type_bytes(b"/");
    pty.type_bytes(t.name.as_bytes());
    pty.type_bytes(b"\r");
    // Enter: a shell pane, which the image cannot give, becomes a debug
    // pane (its title says so), typed into like any other.
    pty.type_bytes(b"\r");
    let title = format!("/{} debug", t.name);
    pty.wait_for("a debug pane", wait, |s| s.contains(&title));
    pty.type_bytes(b"cat /app/data.txt; echo in-pane-$((40+2))\r");
    pty.wait_for_text("in-pane-42", wait);
    assert!(pty.contents().contains(TARGET_DATA), "{}", pty.contents());
    assert!(!pty.contents().contains("exited 127"), "{}", pty.contents());
    // Ctrl-a q, ending the session: nothing is left behind.
    pty.type_bytes(b"\x01q");
    pty.wait_for_text("e: end them", wait);
    pty.type_bytes(b"e");
    pty.wait_exit(wait);
    assert!(
        eventually(Duration::from_secs(10), || t.helpers().is_empty()),
        "a helper was left: {:?}",
        t.helpers()
    );
}

#[test]
fn a_debug_shell_is_a_durable_session() {
    let agent = TestAgent::start();
    let t = Target::start("dbg-durable", |_| {});
    let wait = Duration::from_secs(20);
    let mut first = Pty::spawn(
        &dockyard_bin(),
        &["--host", &agent.addr, "debug", "--image", TOOLBOX, &t.name],
        24,
        80,
    );
    first.type_bytes(b"export KEPT=yes-$((20+22))\r");
    first.wait_for_text("export KEPT", wait);
    std::thread::sleep(Duration::from_millis(300));
    first.kill_hard();

    // Listed, marked as a debug session, detached; the helper stays.
    let o = run(agent.dockyard(&["sessions", "--format", "json"]));
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout_str(&o)).expect("json");
    assert_eq!(list.len(), 1, "{list:?}");
    let s = &list[0];
    assert_eq!(s["debug_image"], TOOLBOX, "{s}");
    assert_eq!(s["container"], t.name.as_str(), "{s}");
    assert!(
        eventually(wait, || {
            let o = run(agent.dockyard(&["sessions", "--format", "json"]));
            stdout_str(&o).contains("\"detached\"")
        }),
        "never detached"
    );
    assert_eq!(t.helpers().len(), 1);
    let table = stdout_str(&run(agent.dockyard(&["sessions"])));
    assert!(table.contains("[debug] sh"), "{table}");

    // Attached again: the same shell, its variable still set.
    let id = s["id"].as_str().expect("id").to_string();
    let mut back = Pty::spawn(
        &dockyard_bin(),
        &["--host", &agent.addr, "attach", &id],
        24,
        80,
    );
    back.type_bytes(b"echo KEPT=$KEPT\r");
    back.wait_for_text("KEPT=yes-42", wait);
    back.type_bytes(b"exit\r");
    back.wait_exit(wait);
    assert!(
        eventually(Duration::from_secs(10), || t.helpers().is_empty()),
        "the helper outlived its last session"
    );
}

#[test]
fn a_debug_command_fans_out_with_filter() {
    let agent = TestAgent::start();
    let group = dockyard_tests::unique_name("dbgfan");
    let targets: Vec<Target> = (0..2)
        .map(|_| Target::start_labelled("dbgfan", &[("dyt.fan", group.as_str())], |_| {}))
        .collect();
    let filter = format!("label=dyt.fan={group}");
    let o = debug(&agent, &["--filter", &filter, "--", "cat", "/app/data.txt"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    let out = stdout_str(&o);
    // NAME | prefixes, the names padded to one width.
    for t in &targets {
        let ours = |l: &str| l.starts_with(&t.name) && l.ends_with(&format!("| {TARGET_DATA}"));
        assert!(out.lines().any(ours), "{out}");
    }
    for t in &targets {
        assert!(
            eventually(Duration::from_secs(10), || t.helpers().is_empty()),
            "a helper was left"
        );
    }
}
