//! The browsing measures: `logs` throughput against `docker logs`, and
//! the cost of watching 100 containers' stats in the TUI against `docker
//! stats` watching the same containers.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockyard_tests::{TestAgent, TestContainer};

use crate::exec::{docker_cli, dockyard, read_count};
use crate::process::{cpu_seconds, find_pid};
use crate::table::{Table, alternate, pct};
use crate::tui::{CTRL_A, echo_samples, quit_ending_sessions, tui_with_panes};

/// Bytes the logs container writes: 200 MB of log lines, then a marker.
const LOG_BYTES: usize = 200_000_000;

pub fn logs_throughput(t: &mut Table, agent: &TestAgent, rounds: usize) {
    let script = format!(
        "yes 'GET /api/items/12345 200 17ms user=alice agent=curl/8.5' | head -c {LOG_BYTES}; \
         echo LOGS-DONE; exec sleep 1000000"
    );
    // Its own log limits: an engine's defaults (here 3 x 10 MB) would keep
    // only the end of the log.
    let c = TestContainer::start_custom("benchlogs", &["sh", "-c", &script], |b| {
        b.host_config = Some(bollard::models::HostConfig {
            log_config: Some(bollard::models::HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: Some(
                    [("max-size", "1g"), ("max-file", "1")]
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .into(),
                ),
            }),
            ..Default::default()
        });
    });
    let done = || {
        let o = docker_cli(&["logs", "--tail", "1", &c.name])
            .output()
            .expect("docker logs");
        String::from_utf8_lossy(&o.stdout)
            .trim_end()
            .ends_with("LOGS-DONE")
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while !done() {
        assert!(Instant::now() < deadline, "the log was never written");
        std::thread::sleep(Duration::from_millis(500));
    }
    let want = LOG_BYTES + "LOGS-DONE\n".len();
    let check = |(rate, n): (f64, usize)| {
        assert_eq!(n, want, "every byte of the log");
        rate
    };
    let (ours, theirs) = alternate(
        rounds,
        || check(read_count(dockyard(Some(&agent.addr), &["logs", &c.name]))),
        || read_count(docker_cli(&["logs", &c.name])).0,
    );
    t.add(
        "logs MB/s (200 MB log)",
        &ours,
        &theirs,
        "docker logs",
        "MB/s",
    );
    let (embedded, theirs) = alternate(
        rounds,
        || check(read_count(dockyard(None, &["logs", &c.name]))),
        || read_count(docker_cli(&["logs", &c.name])).0,
    );
    t.add(
        "logs MB/s, embedded (no --host)",
        &embedded,
        &theirs,
        "docker logs",
        "MB/s",
    );
}

/// CPU % of each process over `secs` seconds (100 = one core).
fn cpu_percent(pids: &[u32], secs: u64) -> Vec<f64> {
    let before: Vec<f64> = pids.iter().map(|p| cpu_seconds(*p)).collect();
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let wall = t.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(p, b)| (cpu_seconds(*p) - b) / wall * 100.0)
        .collect()
}

fn dockerd_pid() -> Option<u32> {
    let o = Command::new("pidof").arg("dockerd").output().ok()?;
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub fn stats_watching(t: &mut Table, agent: &TestAgent, c: &TestContainer) {
    let many: Vec<TestContainer> = (0..100)
        .map(|_| TestContainer::start("benchstats"))
        .collect();
    let dockerd = dockerd_pid().unwrap_or(0);
    let idle = cpu_percent(&[dockerd], 10)[0];

    // docker's own: `docker stats` watching every running container.
    let mut theirs = Command::new("docker")
        .arg("stats")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker stats");
    std::thread::sleep(Duration::from_secs(3));
    let d = cpu_percent(&[theirs.id(), dockerd], 10);
    let _ = theirs.kill();
    let _ = theirs.wait();

    // The TUI with the list shown (stats streaming) and one shell pane.
    let mut pty = tui_with_panes(agent, c, &["echo stats-ready"]);
    pty.wait_for_text("stats-ready", Duration::from_secs(20));
    let tui = find_pid(&agent.addr).expect("the TUI's pid");
    pty.wait_for("the stats columns", Duration::from_secs(20), |s| {
        s.contains("KiB")
    });
    let ours = cpu_percent(&[tui, agent.pid(), dockerd], 10);
    let with_stats = echo_samples(&mut pty, 100);
    // The same pane zoomed: the list is hidden, the streams stop.
    pty.type_bytes(CTRL_A);
    pty.type_bytes(b"z");
    std::thread::sleep(Duration::from_secs(2));
    let zoomed = cpu_percent(&[tui, agent.pid(), dockerd], 10);
    let without = echo_samples(&mut pty, 100);
    quit_ending_sessions(&mut pty);
    drop(many);

    t.note(
        "stats of 101 containers: dockerd CPU % with nothing watching",
        format!("{idle:.1}%"),
    );
    t.add(
        "stats of 101 containers, CPU % of the TUI + agent",
        &[ours[0] + ours[1]],
        &[d[0]],
        "`docker stats` CLI",
        "%",
    );
    t.note(
        "stats of 101 containers, split",
        format!(
            "TUI {:.1}%, agent {:.1}%, dockerd {:.1}% (with docker stats: dockerd {:.1}%); list hidden (zoomed): TUI {:.1}%, agent {:.1}%, dockerd {:.1}%",
            ours[0], ours[1], ours[2], d[1], zoomed[0], zoomed[1], zoomed[2]
        ),
    );
    t.add(
        "TUI echo p50 while the list's stats update",
        &[pct(&with_stats, 0.5)],
        &[pct(&without, 0.5)],
        "list hidden (no stats)",
        "ms",
    );
    t.add(
        "TUI echo p99 while the list's stats update",
        &[pct(&with_stats, 0.99)],
        &[pct(&without, 0.99)],
        "list hidden (no stats)",
        "ms",
    );
}
