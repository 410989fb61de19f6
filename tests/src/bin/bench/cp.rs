//! `dockyard cp` against `docker cp` on the same 200 MB file, out of a
//! container and into one, through a remote agent on this machine
//! (throughput, alternated), with the agent's and the client's peak RSS
//! while they copy: the archive is streamed, so neither holds the file.

use std::process::Command;

use dockyard_tests::{TestAgent, TestContainer, unique_name};

use crate::process::{rss_kib, watch_process};
use crate::table::{Table, alternate, timed};

const SIZE: u64 = 200 * 1024 * 1024;

pub fn cp(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let o = Command::new("docker")
        .args([
            "exec",
            &c.name,
            "sh",
            "-c",
            &format!("head -c {SIZE} /dev/urandom > /big"),
        ])
        .status()
        .expect("docker exec");
    assert!(o.success(), "making the file");
    let dir = std::env::temp_dir().join(unique_name("bench-cp"));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = dir.join("big");
    let mbps = |ms: f64| SIZE as f64 / 1e6 / (ms / 1000.0);
    let fresh = |out: &std::path::Path| {
        let _ = std::fs::remove_file(out);
    };
    let dst = out.to_str().expect("utf-8").to_string();
    let (ours, theirs) = alternate(
        rounds,
        || {
            fresh(&out);
            mbps(timed(agent.dockyard(&[
                "cp",
                &format!("{}:/big", c.name),
                &dst,
            ])))
        },
        || {
            fresh(&out);
            let mut d = Command::new("docker");
            d.args(["cp", &format!("{}:/big", c.name), &dst]);
            mbps(timed(d))
        },
    );
    t.add(
        "`cp c:/big .` (200 MB) out of a container",
        &ours,
        &theirs,
        "docker cp",
        "MB/s",
    );
    let target = format!("{}:/big-in", c.name);
    let (ours, theirs) = alternate(
        rounds,
        || mbps(timed(agent.dockyard(&["cp", &dst, &target]))),
        || {
            let mut d = Command::new("docker");
            d.args(["cp", &dst, &target]);
            mbps(timed(d))
        },
    );
    t.add(
        "`cp big c:/big-in` (200 MB) into a container",
        &ours,
        &theirs,
        "docker cp",
        "MB/s",
    );
    // Peak RSS of the agent while a copy runs each way.
    let idle = rss_kib(agent.pid());
    fresh(&out);
    let (_, out_peak, _) = watch_process(agent.pid(), || {
        timed(agent.dockyard(&["cp", &format!("{}:/big", c.name), &dst]))
    });
    let (_, in_peak, _) = watch_process(agent.pid(), || {
        timed(agent.dockyard(&["cp", &dst, &target]))
    });
    t.note(
        "agent RSS while copying 200 MB (idle, out, in)",
        format!(
            "{} / {} / {} MiB",
            idle / 1024,
            out_peak / 1024,
            in_peak / 1024
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
