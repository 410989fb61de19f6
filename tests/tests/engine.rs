//! The Docker engine going away under a running agent and coming back: the
//! agent says so in every answer meanwhile and recovers without a restart.
//! The engine is reached through a proxy socket the test can cut (see
//! `EngineProxy`), so the machine's real dockerd keeps serving other tests.

use std::process::Stdio;
use std::time::Duration;

use dockyard_tests::engine_proxy::EngineProxy;
use dockyard_tests::pty::Pty;
use dockyard_tests::{
    TestAgent, TestContainer, dockyard_bin, eventually, run, running_in, stderr_str, stdout_str,
    wait_started,
};

#[test]
fn the_agent_reports_an_engine_that_went_away_and_recovers_when_it_returns() {
    let mut engine = EngineProxy::start();
    let mut agent = TestAgent::start_with_env(&[("DOCKER_HOST", &engine.docker_host())]);
    let c = TestContainer::start("engine");

    let o = run(agent.dockyard(&["exec", &c.name, "echo", "before"]));
    assert_eq!(stdout_str(&o), "before\n", "{}", stderr_str(&o));

    // A session running while the engine goes: it ends with a line that
    // names the engine, not a hang.
    let session = agent
        .dockyard(&["exec", &c.name, "sleep", "4244"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dockyard");
    wait_started(&agent, &c, "sleep 4244");
    engine.down();
    let o = session.wait_with_output().expect("wait for the session");
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    assert_one_engine_line(&stderr_str(&o), &engine);

    // New requests while it is gone: exit 125, one line naming the engine.
    for args in [vec!["exec", &c.name, "true"], vec!["ps"]] {
        let o = run(agent.dockyard(&args));
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr_str(&o));
        assert_one_engine_line(&stderr_str(&o), &engine);
    }

    // Back: the same agent process serves again.
    engine.up();
    let mut last = String::new();
    assert!(
        eventually(Duration::from_secs(10), || {
            let o = run(agent.dockyard(&["exec", &c.name, "echo", "after"]));
            last = format!("{}{}", stdout_str(&o), stderr_str(&o));
            o.status.success() && stdout_str(&o) == "after\n"
        }),
        "the agent did not recover: {last}"
    );
    let o = run(agent.dockyard(&["ps"]));
    assert!(stdout_str(&o).contains(&c.name), "{}", stderr_str(&o));
    // The session the engine dropped was nobody's any more: the agent ends
    // its process once the engine can say which it is.
    assert!(
        eventually(Duration::from_secs(20), || !running_in(
            &agent,
            &c,
            "sleep 4244"
        )),
        "the orphaned exec still runs:\n{}",
        agent.log()
    );
    assert!(agent.is_running(), "the agent exited");
    assert!(
        agent.log().contains(&engine.docker_host()),
        "the log does not say: {}",
        agent.log()
    );
    assert!(agent.terminate().success());
}

/// One line that says the engine is unavailable and where it was sought.
fn assert_one_engine_line(stderr: &str, engine: &EngineProxy) {
    eprintln!("said: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(
        stderr.contains("Docker engine unavailable at ") && stderr.contains(&engine.docker_host()),
        "does not name the engine: {stderr}"
    );
}

/// The TUI shows the engine's absence on the host's row (not "unreachable":
/// the agent answers) and its containers again once the engine is back.
#[test]
fn the_tui_shows_the_engine_gone_and_back() {
    let wait = Duration::from_secs(30);
    let mut engine = EngineProxy::start();
    let agent = TestAgent::start_with_env(&[("DOCKER_HOST", &engine.docker_host())]);
    let c = TestContainer::start("engtui");
    let mut pty = Pty::spawn(&dockyard_bin(), &["--host", &agent.addr], 30, 200);
    pty.wait_for_text(&c.name, wait);

    engine.down();
    pty.wait_for("the engine reported missing", wait, |s| {
        s.contains("Docker engine unavailable at") && !s.contains(&c.name)
    });
    assert!(
        !pty.contents().contains("unreachable"),
        "{}",
        pty.contents()
    );

    engine.up();
    pty.wait_for("the containers back", wait, |s| {
        s.contains(&c.name) && !s.contains("Docker engine unavailable")
    });
    pty.type_bytes(b"\x01q");
    assert_eq!(pty.wait_exit(wait), 0);
}
