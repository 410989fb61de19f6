//! Browsing a container from the CLI: logs, stats, inspect and the
//! lifecycle commands, compared with what docker itself prints, through a
//! remote agent and through the embedded default.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, eventually, run, stderr_str, stdout_str,
};

fn docker(args: &[&str]) -> Output {
    let mut c = Command::new("docker");
    c.args(args);
    run(c)
}

/// Waits until the container's log (as docker has it) holds `needle`.
fn wait_for_log(name: &str, needle: &str) {
    assert!(
        eventually(Duration::from_secs(20), || {
            let o = docker(&["logs", name]);
            String::from_utf8_lossy(&o.stdout).contains(needle)
                || String::from_utf8_lossy(&o.stderr).contains(needle)
        }),
        "{name} never logged {needle:?}"
    );
}

/// stdout and stderr of `dockyard logs ARGS` and of `docker logs ARGS`
/// are the same bytes, through the agent and through the embedded default.
fn assert_logs_like_docker(agent: &TestAgent, args: &[&str]) {
    let theirs = docker(&[&["logs"], args].concat());
    assert!(theirs.status.success(), "docker logs {args:?} failed");
    let mut embedded = dockyard_command();
    embedded.arg("logs").args(args);
    for (how, ours) in [
        ("agent", run(agent.dockyard(&[&["logs"], args].concat()))),
        ("embedded", run(embedded)),
    ] {
        assert_eq!(ours.status.code(), Some(0), "{how}: {}", stderr_str(&ours));
        assert!(
            ours.stdout == theirs.stdout,
            "{how} {args:?}: stdout differs"
        );
        assert!(
            ours.stderr == theirs.stderr,
            "{how} {args:?}: stderr differs"
        );
    }
}

#[test]
fn logs_are_what_docker_logs_prints() {
    let agent = TestAgent::start();
    // Binary bytes on both streams, a line far over 64 KiB, then a marker.
    let script = "printf '\\001\\002\\377bin\\n'; printf 'err\\000x\\n' >&2; \
                  head -c 100000 /dev/zero | tr '\\000' a; echo; \
                  i=0; while [ $i -lt 50 ]; do echo line-$i; echo eline-$i >&2; i=$((i+1)); done; \
                  echo logs-done; exec sleep 1000000";
    let c = TestContainer::start_with("logs", &["sh", "-c", script]);
    wait_for_log(&c.name, "logs-done");
    assert_logs_like_docker(&agent, &[&c.name]);
    assert_logs_like_docker(&agent, &["--tail", "3", &c.name]);
    assert_logs_like_docker(&agent, &["-t", "--tail", "5", &c.name]);
    // One line, on whichever stream the engine logged last (it reads
    // stdout and stderr apart, so their order in the log is its own).
    let ours = run(agent.dockyard(&["logs", "--tail", "1", &c.name]));
    assert_eq!(
        [ours.stdout, ours.stderr]
            .concat()
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        1
    );
}

/// 60 000 short lines read by a client that waits before reading: one
/// message per line would pile up small HTTP/2 frames at the client until
/// h2's flood guard ended the connection (it did, on the embedded agent).
#[test]
fn a_log_of_short_lines_reaches_a_slow_reader() {
    let agent = TestAgent::start();
    let script = "i=0; while [ $i -lt 60000 ]; do echo $i; i=$((i+1)); done; \
                  echo short-done; exec sleep 1000000";
    let c = TestContainer::start_with("shortlines", &["sh", "-c", script]);
    wait_for_log(&c.name, "short-done");
    let theirs = docker(&["logs", &c.name]).stdout;
    let mut embedded = dockyard_command();
    embedded.args(["logs", &c.name]);
    for (how, mut cmd) in [
        ("agent", agent.dockyard(&["logs", &c.name])),
        ("embedded", embedded),
    ] {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn logs");
        std::thread::sleep(Duration::from_secs(2));
        let out = child.wait_with_output().expect("logs");
        assert_eq!(out.status.code(), Some(0), "{how}: {}", stderr_str(&out));
        assert!(out.stdout == theirs, "{how}: the log differs from docker's");
    }
}

#[test]
fn a_tty_containers_log_is_raw() {
    let agent = TestAgent::start();
    // Bytes 0x00..0x02 at the start of the output: what a guessing decoder
    // takes for a frame header.
    let script = "printf '\\000\\001\\002tty-start\\n'; echo tty-done; exec sleep 1000000";
    let c = TestContainer::start_custom("ttylogs", &["sh", "-c", script], |b| {
        b.tty = Some(true);
    });
    wait_for_log(&c.name, "tty-done");
    assert_logs_like_docker(&agent, &[&c.name]);
    let ours = run(agent.dockyard(&["logs", &c.name]));
    assert!(ours.stdout.starts_with(b"\x00\x01\x02tty-start"));
}

#[test]
fn since_and_until_take_dockers_time_forms() {
    let agent = TestAgent::start();
    let c = TestContainer::start_with(
        "since",
        &[
            "sh",
            "-c",
            "echo early; sleep 2; echo late; exec sleep 1000000",
        ],
    );
    wait_for_log(&c.name, "late");
    // The times docker gives the lines, as RFC 3339.
    let stamped = stdout_str(&docker(&["logs", "-t", &c.name]));
    let at = |line: &str| {
        stamped
            .lines()
            .find(|l| l.ends_with(&format!(" {line}")))
            .and_then(|l| l.split_whitespace().next())
            .expect("a timestamp")
            .to_string()
    };
    let (early_at, late_at) = (at("early"), at("late"));
    let ours = run(agent.dockyard(&["logs", "--since", &late_at, &c.name]));
    assert_eq!(stdout_str(&ours), "late\n", "{}", stderr_str(&ours));
    let ours = run(agent.dockyard(&["logs", "--until", &early_at, &c.name]));
    assert_eq!(stdout_str(&ours), "early\n", "{}", stderr_str(&ours));
    assert_logs_like_docker(&agent, &["--since", "1h", &c.name]);
    assert_logs_like_docker(&agent, &["--since", &late_at, &c.name]);
    assert_logs_like_docker(&agent, &["--until", &early_at, &c.name]);
    let bad = run(agent.dockyard(&["logs", "--since", "yesterday", &c.name]));
    assert_eq!(bad.status.code(), Some(125));
    assert!(stderr_str(&bad).contains("--since: invalid time 'yesterday'"));
}

#[test]
fn follow_sees_new_lines_and_a_removal_ends_it() {
    let agent = TestAgent::start();
    let script = "echo first; while [ ! -f /tmp/go ]; do sleep 0.1; done; \
                  echo after-follow-88; exec sleep 1000000";
    let c = TestContainer::start_with("follow", &["sh", "-c", script]);
    wait_for_log(&c.name, "first");
    let mut child = agent
        .dockyard(&["logs", "-f", &c.name])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logs -f");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("first"));
    assert!(
        docker(&["exec", &c.name, "touch", "/tmp/go"])
            .status
            .success()
    );
    assert_eq!(
        lines.next().and_then(Result::ok).as_deref(),
        Some("after-follow-88")
    );
    assert!(docker(&["rm", "-f", &c.name]).status.success());
    let out = child.wait_with_output().expect("logs -f ends");
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr_str(&out).contains("was removed"),
        "{}",
        stderr_str(&out)
    );
}

#[test]
fn a_missing_container_is_125_in_dockers_words() {
    let agent = TestAgent::start();
    let here = TestContainer::start("here");
    for cmd in [
        &["logs", "dyt-no-such"][..],
        &["inspect", "dyt-no-such"],
        &["restart", "dyt-no-such"],
        &["pause", "dyt-no-such"],
        &["unpause", "dyt-no-such"],
        &["kill", "dyt-no-such"],
        &["stats", "--no-stream", "dyt-no-such"],
        &["stats", "--no-stream", &here.name, "dyt-no-such"],
    ] {
        let o = run(agent.dockyard(cmd));
        assert_eq!(o.status.code(), Some(125), "{cmd:?}");
        assert_eq!(
            stderr_str(&o),
            "dockyard: No such container: dyt-no-such\n",
            "{cmd:?}"
        );
    }
}

fn inspect_field(name: &str, template: &str) -> String {
    stdout_str(&docker(&["inspect", "-f", template, name]))
        .trim()
        .to_string()
}

#[test]
fn inspect_prints_what_docker_inspect_prints() {
    let agent = TestAgent::start();
    let c = TestContainer::start_custom("inspect", &["sleep", "1000000"], |b| {
        b.env = Some(vec!["SHOWN_AT_LAUNCH=env-77".into(), "B=<&>".into()]);
    });
    let ours = run(agent.dockyard(&["inspect", &c.name]));
    assert_eq!(ours.status.code(), Some(0), "{}", stderr_str(&ours));
    let theirs = docker(&["inspect", &c.name]);
    assert_eq!(stdout_str(&ours), stdout_str(&theirs));
    let mut embedded = dockyard_command();
    embedded.args(["inspect", &c.name]);
    assert_eq!(stdout_str(&run(embedded)), stdout_str(&theirs));
    // Nobody reading: 141, as a program killed by SIGPIPE (not a panic).
    let mut gone = agent.dockyard(&["inspect", &c.name]);
    let mut child = gone
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("inspect");
    assert_eq!(out.status.code(), Some(141), "{}", stderr_str(&out));
    let parsed: serde_json::Value = serde_json::from_slice(&ours.stdout).expect("JSON");
    assert_eq!(
        parsed[0]["Id"].as_str(),
        Some(inspect_field(&c.name, "{{.Id}}").as_str())
    );
    let env: Vec<&str> = parsed[0]["Config"]["Env"]
        .as_array()
        .expect("Env")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(env.contains(&"SHOWN_AT_LAUNCH=env-77"), "{env:?}");
}

#[test]
fn pause_unpause_restart_and_kill() {
    let agent = TestAgent::start();
    let c = TestContainer::start("life");
    let state = |agent: &TestAgent| {
        let o = run(agent.dockyard(&["ps", "-a", "--format", "json"]));
        let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("ps json");
        list.as_array()
            .expect("array")
            .iter()
            .find(|r| r["name"] == c.name.as_str())
            .map(|r| r["state"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    let check = |o: Output, args: &[&str]| {
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr_str(&o));
        assert_eq!(stdout_str(&o), format!("{}\n", c.name), "{args:?}");
    };
    let ok = |args: &[&str]| check(run(agent.dockyard(args)), args);
    // The embedded default does the same.
    let ok_embedded = |args: &[&str]| {
        let mut cmd = dockyard_command();
        cmd.args(args);
        check(run(cmd), args)
    };
    ok(&["pause", &c.name]);
    assert_eq!(state(&agent), "paused");
    ok_embedded(&["unpause", &c.name]);
    assert_eq!(state(&agent), "running");
    let started = inspect_field(&c.name, "{{.State.StartedAt}}");
    ok(&["restart", "-t", "0", &c.name]);
    assert_ne!(inspect_field(&c.name, "{{.State.StartedAt}}"), started);
    assert_eq!(state(&agent), "running");
    ok_embedded(&["kill", "-s", "KILL", &c.name]);
    assert!(eventually(Duration::from_secs(10), || state(&agent) == "exited"));
    assert_eq!(inspect_field(&c.name, "{{.State.ExitCode}}"), "137");
    let bad = run(agent.dockyard(&["kill", "-s", "NOT A SIGNAL", &c.name]));
    assert_eq!(bad.status.code(), Some(125));
    assert!(
        stderr_str(&bad).contains("invalid signal"),
        "{}",
        stderr_str(&bad)
    );
}

/// Bytes from docker's units ("1.5MiB", "10.2kB").
fn bytes_of(s: &str) -> f64 {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().expect("a number");
    n * match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unit {other}"),
    }
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn stats_agree_with_docker_stats() {
    let agent = TestAgent::start();
    let busy = TestContainer::start_with("busy", &["sh", "-c", "yes > /dev/null"]);
    let idle = TestContainer::start("idle");
    let ours = run(agent.dockyard(&[
        "stats",
        "--no-stream",
        "--format",
        "json",
        &busy.name,
        &idle.name,
    ]));
    assert_eq!(ours.status.code(), Some(0), "{}", stderr_str(&ours));
    let rows = json_lines(&ours);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["Name"] == name)
            .unwrap_or_else(|| panic!("no row for {name}: {rows:?}"))
            .clone()
    };
    let cpu: f64 = row(&busy.name)["CPUPerc"]
        .as_str()
        .and_then(|s| s.trim_end_matches('%').parse().ok())
        .expect("CPU %");
    // One core is 100%; a loaded two-core machine gives it less.
    assert!((40.0..=110.0).contains(&cpu), "yes uses {cpu}% CPU");
    assert_eq!(row(&idle.name)["ID"].as_str().map(str::len), Some(12));
    // A young container's memory still moves between two samples; taken
    // back to back, the two must agree.
    let mem = |v: &serde_json::Value| {
        bytes_of(
            v["MemUsage"]
                .as_str()
                .and_then(|s| s.split(" / ").next())
                .expect("MemUsage"),
        )
    };
    let mut last = (0.0, 0.0);
    let agree = eventually(Duration::from_secs(20), || {
        let ours = json_lines(&run(agent.dockyard(&[
            "stats",
            "--no-stream",
            "--format",
            "json",
            &idle.name,
        ])));
        let theirs = json_lines(&docker(&[
            "stats",
            "--no-stream",
            "--format",
            "{{json .}}",
            &idle.name,
        ]));
        assert_eq!(ours[0]["ID"], theirs[0]["ID"]);
        last = (mem(&ours[0]), mem(&theirs[0]));
        (last.0 - last.1).abs() <= last.1 * 0.05 + 16.0 * 1024.0
    });
    assert!(agree, "memory {} vs docker's {}", last.0, last.1);
    // -a: a stopped container too, at zero, beside the running ones.
    let stopped = TestContainer::start("stopped");
    stopped.kill();
    let rows = json_lines(&run(agent.dockyard(&[
        "stats",
        "-a",
        "--no-stream",
        "--format",
        "json",
    ])));
    let row = |name: &str| rows.iter().find(|r| r["Name"] == name).cloned();
    let stopped_row = row(&stopped.name).expect("the stopped container's row");
    assert_eq!(stopped_row["MemUsage"], "0B / 0B");
    assert!(row(&idle.name).is_some() && row(&busy.name).is_some());
}

#[test]
fn stats_stream_follows_every_running_container() {
    let agent = TestAgent::start();
    let a = TestContainer::start("stats-a");
    let mut child = agent
        .dockyard(&["stats", "--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn stats");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = |name: &str| {
        for line in lines.by_ref() {
            if line
                .expect("a line")
                .contains(&format!("\"Name\":\"{name}\""))
            {
                return true;
            }
        }
        false
    };
    assert!(seen(&a.name));
    // Started after the stream: the agent picks it up from the events.
    let b = TestContainer::start("stats-b");
    assert!(seen(&b.name));
    let _ = child.kill();
    let _ = child.wait();
}
