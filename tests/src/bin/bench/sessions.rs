//! Durable sessions: how long `dockyard attach` takes to show a detached
//! session's screen, against opening a fresh `exec -it` of the same
//! program; and what a detached session costs the agent in memory, with a
//! full-screen program and 10 000 lines of output behind it. (What sessions
//! cost a TTY flood is `flood.rs`.)

use std::time::{Duration, Instant};

use dockyard_client::pb::{ExecStart, ListSessionsRequest, SessionRef};
use dockyard_client::{DialOptions, ExecEvent, ExecSession};
use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, dockyard_bin, runtime};

use crate::process::rss_kib;
use crate::table::{Table, ms, pct};

const MARKER: &str = "marker-attach-42";
const LIMIT: Duration = Duration::from_secs(20);

/// Milliseconds from spawning `args` in a terminal until `MARKER` shows
/// (polled every millisecond); the pty is returned to be ended.
fn until_marker(args: &[&str]) -> (f64, Pty) {
    let t = Instant::now();
    let pty = Pty::spawn(&dockyard_bin(), args, 24, 80);
    while !pty.contents().contains(MARKER) {
        assert!(
            t.elapsed() < LIMIT,
            "no marker; screen:\n{}",
            pty.contents()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (ms(t.elapsed()), pty)
}

/// Ends every session the agent keeps (for this anonymous client).
fn end_all(rt: &tokio::runtime::Runtime, client: &mut dockyard_client::Client) {
    let all = rt
        .block_on(client.list_sessions(ListSessionsRequest {}))
        .expect("list")
        .into_inner()
        .sessions;
    for s in all {
        let _ = rt.block_on(client.end_session(SessionRef { session_id: s.id }));
    }
}

/// The id of the agent's (one) session with `clients` clients attached.
fn session_with_clients(
    rt: &tokio::runtime::Runtime,
    client: &mut dockyard_client::Client,
    clients: u32,
) -> String {
    rt.block_on(client.list_sessions(ListSessionsRequest {}))
        .expect("list sessions")
        .into_inner()
        .sessions
        .into_iter()
        .find(|s| s.clients == clients)
        .expect("the session")
        .id
}

fn detached_count(rt: &tokio::runtime::Runtime, client: &mut dockyard_client::Client) -> usize {
    rt.block_on(client.list_sessions(ListSessionsRequest {}))
        .expect("list sessions")
        .into_inner()
        .sessions
        .iter()
        .filter(|s| s.clients == 0)
        .count()
}

pub fn sessions(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let rt = runtime();
    let mut client = agent.client(&rt, &DialOptions::default());
    let vi = format!("printf '{MARKER}\\n' > /tmp/attach-bench; exec vi /tmp/attach-bench");
    attach_time(t, agent, c, rounds, &rt, &mut client, &vi);
    memory_per_session(t, agent, c, &rt, &mut client, &vi);
    stopped_partner(t, agent, c, rounds, &rt, &mut client);
    end_all(&rt, &mut client);
}

/// `dockyard attach` to a detached `vi` against a fresh `exec -it c vi`,
/// alternately.
fn attach_time(
    t: &mut Table,
    agent: &TestAgent,
    c: &TestContainer,
    rounds: usize,
    rt: &tokio::runtime::Runtime,
    client: &mut dockyard_client::Client,
    vi: &str,
) {
    let host = agent.addr.as_str();

    // The session to come back to: vi, its client killed.
    let (_, mut first) = until_marker(&["--host", host, "exec", "-it", &c.name, "sh", "-c", vi]);
    first.kill_hard();
    let id = session_with_clients(rt, client, 0);

    let n = rounds.max(20);
    let (mut attach, mut fresh) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let (ms, mut pty) = until_marker(&["--host", host, "attach", &id]);
        attach.push(ms);
        pty.kill_hard();
        let t0 = Instant::now();
        while detached_count(rt, client) != 1 {
            assert!(t0.elapsed() < LIMIT, "the session did not detach");
            std::thread::sleep(Duration::from_millis(5));
        }
        let (ms, mut pty) = until_marker(&[
            "--host",
            host,
            "exec",
            "-it",
            &c.name,
            "vi",
            "/tmp/attach-bench",
        ]);
        fresh.push(ms);
        pty.type_bytes(b":q!\r");
        pty.wait_exit(LIMIT);
    }
    t.add(
        "attach to a detached vi, p50 (to its screen)",
        &[pct(&attach, 0.5)],
        &[pct(&fresh, 0.5)],
        "fresh `exec -it c vi`",
        "ms",
    );
    t.add(
        "attach to a detached vi, p99",
        &[pct(&attach, 0.99)],
        &[pct(&fresh, 0.99)],
        "fresh `exec -it c vi`",
        "ms",
    );
    rt.block_on(client.end_session(SessionRef { session_id: id }))
        .expect("end the session");
}

/// Agent RSS growth over 20 sessions, each 10 000 lines of output then
/// `vi`, detached.
fn memory_per_session(
    t: &mut Table,
    agent: &TestAgent,
    c: &TestContainer,
    rt: &tokio::runtime::Runtime,
    client: &mut dockyard_client::Client,
    vi: &str,
) {
    let count = 20;
    let lines = "i=0; while [ $i -lt 10000 ]; do echo \"line $i: the sort of text a build or a log prints\"; i=$((i+1)); done";
    let cmd = format!("{lines}; {vi}");
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_kib(agent.pid());
    for _ in 0..count {
        let start = ExecStart {
            container_identifier: c.name.clone(),
            command: vec!["sh".into(), "-c".into(), cmd.clone()],
            interactive: true,
            tty: Some(true),
            attach_stdin: Some(true),
            rows: 24,
            cols: 80,
            ..Default::default()
        };
        rt.block_on(async {
            let mut s = ExecSession::start(client, start).await.expect("start");
            let mut seen = Vec::new();
            while let Ok(Some(ExecEvent::Output { data, .. })) = s.next_event().await {
                seen.extend_from_slice(&data);
                let tail = &seen[seen.len().saturating_sub(4096)..];
                if String::from_utf8_lossy(tail).contains(MARKER) {
                    break;
                }
            }
            // Dropped: the session is detached.
        });
    }
    let t0 = Instant::now();
    while detached_count(rt, client) < count {
        assert!(t0.elapsed() < LIMIT, "sessions did not detach");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_kib(agent.pid());
    let per = after.saturating_sub(before) as f64 / count as f64;
    t.note(
        "agent memory per detached session (vi, 10 000 lines of output behind it)",
        format!("{per:.0} KiB ({count} sessions: {before} KiB before, {after} KiB after)"),
    );
    end_all(rt, client);
}

/// A shared session's flood to its end (`seq 1 3000000`, about 21 MB, far
/// more than every buffer on the way holds), timed on its live client:
/// alone, and with a second client beside it stopped (SIGSTOP), in turns.
fn stopped_partner(
    t: &mut Table,
    agent: &TestAgent,
    c: &TestContainer,
    rounds: usize,
    rt: &tokio::runtime::Runtime,
    client: &mut dockyard_client::Client,
) {
    let host = agent.addr.as_str();
    let mut run = |stopped: bool| -> f64 {
        let shell = ["--host", host, "exec", "-it", c.name.as_str(), "sh"];
        let mut live = Pty::spawn(&dockyard_bin(), &shell, 24, 80);
        live.wait_for("a prompt", LIMIT, |s| s.contains('#'));
        let mut other = None;
        if stopped {
            let id = session_with_clients(rt, client, 1);
            let p = Pty::spawn(&dockyard_bin(), &["--host", host, "attach", &id], 24, 80);
            p.wait_for("a prompt", LIMIT, |s| s.contains('#'));
            p.signal("STOP");
            other = Some(p);
        }
        let t0 = Instant::now();
        live.type_bytes(b"seq 1 3000000; echo flood-$((40+2))\r");
        live.wait_for_text("flood-42", Duration::from_secs(300));
        let secs = t0.elapsed().as_secs_f64();
        if let Some(mut p) = other {
            p.signal("CONT");
            p.kill_hard();
        }
        live.type_bytes(b"exit\r");
        live.wait_exit(LIMIT);
        secs
    };
    let rounds = rounds.min(3);
    let (mut alone, mut beside) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            alone.push(run(false));
            beside.push(run(true));
        } else {
            beside.push(run(true));
            alone.push(run(false));
        }
    }
    t.add(
        "shared session, seq 1 3000000 to its end, one of two clients stopped",
        &beside,
        &alone,
        "the live client alone",
        "s",
    );
}
