//! What `--record` costs: a TTY flood through `exec -t` with and without
//! it, alternately, in the same run.

use dockyard_tests::{TestAgent, TestContainer};

use crate::exec::{dockyard, read_count};
use crate::table::{Table, alternate};

pub fn record_cost(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let file = std::env::temp_dir().join(dockyard_tests::unique_name("bench-record"));
    let file = file.with_extension("cast");
    let text = "yes 'drwxr-xr-x  2 root root 4096 Nov 29 12:00 a build or listing line' | head -c 100000000";
    let plain = ["exec", "-t", c.name.as_str(), "sh", "-c", text];
    let path = file.to_str().expect("utf-8 path");
    let recorded = [
        "exec",
        "-t",
        "--record",
        path,
        c.name.as_str(),
        "sh",
        "-c",
        text,
    ];
    let (with, without) = alternate(
        rounds,
        || read_count(dockyard(Some(&agent.addr), &recorded)).0,
        || read_count(dockyard(Some(&agent.addr), &plain)).0,
    );
    t.add(
        "stdout MB/s, TTY text flood, `--record FILE`",
        &with,
        &without,
        "the same without --record",
        "MB/s",
    );
    let _ = std::fs::remove_file(&file);
}
