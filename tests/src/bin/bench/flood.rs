//! What keeping sessions costs a TTY flood: the agent keeps a copy of
//! every durable session's screen. Several kinds of text (short and long
//! lines, a listing, colours, a full-screen program redrawing, NUL bytes)
//! through `exec -t` on this agent, against the same agent with sessions
//! off (`--detached-ttl 0`) and against `docker exec -t`, in turns.

use dockyard_tests::{TestAgent, TestContainer};

use crate::exec::{docker_cli, dockyard, read_count};
use crate::table::{Table, alternate};

/// Bytes per run: long enough for a steady rate, short enough for rounds.
const BYTES: usize = 50_000_000;

/// The kinds of text, as `sh -c` commands printing about `BYTES`.
fn kinds() -> Vec<(&'static str, String)> {
    let head = format!("head -c {BYTES}");
    vec![
        ("short lines", format!("seq 1 100000000 | {head}")),
        (
            "a listing",
            format!(
                "yes 'drwxr-xr-x  2 root root 4096 Nov 29 12:00 a build or listing line' | {head}"
            ),
        ),
        (
            "long lines",
            format!("yes $(head -c 300 /dev/zero | tr '\\0' x) | {head}"),
        ),
        (
            "colours",
            format!(
                "yes \"$(printf '\\033[01;34mdir\\033[0m  \\033[01;32mexec\\033[0m  file.txt  \\033[01;36mlink\\033[0m')\" | {head}"
            ),
        ),
        (
            "full-screen redraws",
            // A 24-row frame drawn over itself (home, rows, erase below,
            // home again), over and over: `yes` repeats it from memory
            // (its line feed after each frame lands on the second row,
            // which the next frame draws again).
            format!(
                "i=0; printf '\\033[H' > /tmp/f; while [ $i -lt 23 ]; do printf 'row %02d cpu 12.5%% mem 3.1%% /usr/bin/program --flag\\033[K\\r\\n' $i >> /tmp/f; i=$((i+1)); done; printf '\\033[J\\033[H' >> /tmp/f; \
                 yes \"$(cat /tmp/f)\" | {head}"
            ),
        ),
        ("NUL bytes", format!("head -c {BYTES} /dev/zero")),
    ]
}

pub fn flood(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let plain = TestAgent::start_with(&["--detached-ttl", "0"], &[]);
    let rounds = rounds.min(4);
    for (what, cmd) in kinds() {
        let args = ["exec", "-t", c.name.as_str(), "sh", "-c", cmd.as_str()];
        let ours = || read_count(dockyard(Some(&agent.addr), &args)).0;
        let (on, off) = alternate(rounds, ours, || {
            read_count(dockyard(Some(&plain.addr), &args)).0
        });
        t.add(
            &format!("stdout MB/s, TTY, {what}, sessions on"),
            &on,
            &off,
            "--detached-ttl 0 (no sessions)",
            "MB/s",
        );
        let (on, theirs) = alternate(rounds, ours, || read_count(docker_cli(&args)).0);
        t.add(
            &format!("stdout MB/s, TTY, {what}, sessions on"),
            &on,
            &theirs,
            "docker exec -t",
            "MB/s",
        );
    }
}
