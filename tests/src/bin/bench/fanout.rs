//! Fan-out against the shell way of doing it: `dockyard exec --filter`
//! into 100 containers through two agents, against `docker ps -q
//! --filter ... | xargs -P 32 -I{} docker exec {} true` doing as many
//! execs; the agents' memory and threads meanwhile; and 50 containers
//! printing 1 000 lines each, checked line by line.

use std::process::Command;

use dockyard_tests::{TestAgent, TestContainer};

use crate::exec::dockyard;
use crate::process::watch_process;
use crate::table::{Table, alternate, timed};

fn fan(hosts: &[&str], args: &[&str]) -> Command {
    let mut c = dockyard(None, &[]);
    for h in hosts {
        c.args(["--host", h]);
    }
    c.arg("exec").args(args);
    c
}

pub fn fanout(t: &mut Table, agent: &TestAgent, rounds: usize) {
    let second = TestAgent::start();
    // 50 containers seen through two agents (one engine): 100 execs.
    let (g, _containers) = TestContainer::group("benchfan", 50);
    let filter = format!("label=dyt.fan={g}");
    let hosts = [agent.addr.as_str(), second.addr.as_str()];
    let shell = format!(
        "docker ps -q --filter {filter} | sed p | xargs -P 32 -I{{}} docker exec {{}} true"
    );
    let (ours, theirs) = alternate(
        rounds,
        || timed(fan(&hosts, &["--filter", &filter, "--", "true"])),
        || {
            let mut c = Command::new("sh");
            c.args(["-c", &shell]);
            timed(c)
        },
    );
    t.add(
        "exec --filter `true`, 100 execs via 2 agents",
        &ours,
        &theirs,
        "docker ps -q … \\| xargs -P 32 docker exec",
        "ms",
    );
    let ((), rss_a, threads_a) = watch_process(agent.pid(), || {
        timed(fan(&hosts, &["--filter", &filter, "--", "true"]));
    });
    t.note(
        "agent during 100 fanned-out execs",
        format!("peak RSS {rss_a} KiB, peak threads {threads_a}"),
    );
    // 1 000 lines from each of the 50, through one agent.
    let script = "i=0; while [ $i -lt 1000 ]; do echo line-$CODE-$i; i=$((i+1)); done";
    let out = fan(
        &[&agent.addr],
        &["--filter", &filter, "--", "sh", "-c", script],
    )
    .output()
    .expect("fan out");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let (prefix, rest) = line.split_once(" | ").expect("a prefixed line");
        assert!(
            prefix.trim_end().starts_with("dyt-benchfan-"),
            "mixed line: {line:?}"
        );
        assert!(rest.starts_with("line-"), "mixed line: {line:?}");
        assert!(seen.insert(line.to_string()), "line twice: {line:?}");
    }
    assert_eq!(seen.len(), 50_000, "every line once");
    t.note(
        "50 containers x 1 000 lines",
        "all 50 000 lines present once, none mixed".into(),
    );
}
