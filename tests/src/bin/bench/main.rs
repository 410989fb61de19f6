//! Dockyard side by side with `docker exec`: each pair runs alternately
//! (A B, then B A, ...) after a warm-up, and the table gives medians, spreads and
//! the ratio Dockyard/docker. Absolute times vary on a shared machine; the
//! ratios are what we track. Run it with:
//!
//!     cargo run --release -p dockyard-tests --bin bench [-- --rounds N] [-- --only NAME]
//!
//! It sets up its own container (from the test image) and agent, and
//! removes them at the end.

mod browse;
mod cp;
mod crowd;
mod debug;
mod exec;
mod fanout;
mod fleet;
mod flood;
mod panes;
mod ports;
mod process;
mod record;
mod sessions;
mod ssh;
mod table;
mod tui;

use dockyard_tests::{TestAgent, TestContainer, block_on, docker};

use crate::browse::{logs_throughput, stats_watching};
use crate::exec::{echo_latency, exec_latency, many_sessions, stdin_throughput, stdout_throughput};
use crate::fanout::fanout;
use crate::table::Table;
use crate::tui::tui_figures;

struct Opts {
    rounds: usize,
    only: Option<String>,
}

fn main() {
    let mut opts = Opts {
        rounds: 10,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => opts.rounds = it.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            "--only" => opts.only = it.next().cloned(),
            other => {
                eprintln!("bench: unknown argument {other}; use --rounds N, --only NAME");
                std::process::exit(2);
            }
        }
    }
    let want = |name: &str| opts.only.as_deref().is_none_or(|o| name.contains(o));

    let engine = block_on(docker().version()).expect("engine version");
    println!(
        "# Dockyard benchmarks, {} rounds, engine {} (API {}), {} cores",
        opts.rounds,
        engine.version.unwrap_or_default(),
        engine.api_version.unwrap_or_default(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let agent = TestAgent::start();
    let c = TestContainer::start("bench");
    let mut table = Table::default();

    if want("latency") {
        exec_latency(&mut table, &agent, &c, opts.rounds);
    }
    if want("debug") {
        debug::debug_latency(&mut table, &agent, &c, opts.rounds);
    }
    if want("stdout") {
        stdout_throughput(&mut table, &agent, &c, opts.rounds, false);
        stdout_throughput(&mut table, &agent, &c, opts.rounds, true);
    }
    if want("stdin") {
        stdin_throughput(&mut table, &agent, &c, opts.rounds);
    }
    if want("echo") {
        echo_latency(&mut table, &agent, &c);
    }
    if want("many") {
        many_sessions(&mut table, &agent, &c, opts.rounds.min(5));
    }
    if want("tui") {
        tui_figures(&mut table, &agent, &c);
    }
    // `--only panes` runs all three.
    if want("panes-memory") {
        panes::history_memory(&mut table, &agent, &c, opts.rounds.min(3));
    }
    // `--only panes-echo` runs all three; `--rounds N` gives min(N, 5)
    // runs of each (two rounds a side each).
    let echo_runs = opts.rounds.clamp(1, 5);
    if want("panes-echo-yes") {
        panes::echo_under_flood(&mut table, &agent, &c, panes::Flood::Yes, echo_runs);
    }
    if want("panes-echo-idle") {
        panes::echo_under_flood(&mut table, &agent, &c, panes::Flood::Idle, echo_runs);
    }
    if want("panes-echo-cat") {
        panes::echo_under_flood(&mut table, &agent, &c, panes::Flood::Cat, echo_runs);
    }
    if want("panes-side") {
        panes::side_pane(&mut table, &agent, &c, opts.rounds.min(3));
    }
    if want("cp") {
        cp::cp(&mut table, &agent, &c, opts.rounds.min(5));
    }
    if want("ports") {
        ports::ports(&mut table, &agent, opts.rounds.min(5));
    }
    if want("ssh") {
        ssh::ssh_hosts(&mut table, &c, opts.rounds);
    }
    if want("logs") {
        logs_throughput(&mut table, &agent, opts.rounds.min(5));
    }
    if want("fanout") {
        fanout(&mut table, &agent, opts.rounds.min(5));
    }
    if want("stats") {
        stats_watching(&mut table, &agent, &c);
    }
    if want("record") {
        record::record_cost(&mut table, &agent, &c, opts.rounds);
    }
    if want("crowd") {
        crowd::crowd(&mut table, &agent, &c);
    }
    if want("flood") {
        flood::flood(&mut table, &agent, &c, opts.rounds);
    }
    if want("sessions") {
        sessions::sessions(&mut table, &agent, &c, opts.rounds);
    }
    if want("cluster") {
        fleet::fleet(&mut table, opts.rounds);
    }
}
