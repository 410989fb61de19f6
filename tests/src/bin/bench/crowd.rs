//! Many sessions on one agent: 400 TTY sessions at once, each printing a
//! numbered line every 100 ms for 10 s, while a key is typed into each
//! every second and its echo timed. Every line must arrive; the echo is
//! compared with one session's, typed into alone, in the same run; the
//! agent's memory is reported.

use std::time::{Duration, Instant};

use bytes::Bytes;
use dockyard_client::pb::ExecStart;
use dockyard_client::{DialOptions, ExecEvent, ExecSession};
use dockyard_tests::{TestAgent, TestContainer, runtime};

use crate::process::{rss_kib, watch_process};
use crate::table::{Table, pct};

const SESSIONS: usize = 400;
const LINES: usize = 100;
/// Typed to be echoed: a byte the printed lines never hold.
const PROBE: u8 = b'Z';

/// What one session saw.
struct Seen {
    /// Its lines that arrived, each once and whole.
    lines: usize,
    echo_ms: Vec<f64>,
}

/// A shell printing `LINES` numbered lines, one every 100 ms, and
/// waiting for them. A key typed is echoed by the terminal itself (its
/// line discipline, in the kernel), so its echo times the way through the
/// agent, not how soon a process in a loaded container is scheduled.
fn start(container: &str) -> ExecStart {
    let printer = format!(
        "(i=0; while [ $i -lt {LINES} ]; do echo line-$i.; i=$((i+1)); sleep 0.1; done; echo lines-end.) & wait"
    );
    ExecStart {
        command: vec!["sh".into(), "-c".into(), printer],
        ..dockyard_tests::tty_shell(container)
    }
}

/// Runs one session to its printer's end, typing a key every second.
async fn one(mut client: dockyard_client::Client, container: String, offset: Duration) -> Seen {
    let mut s = ExecSession::start(&mut client, start(&container))
        .await
        .expect("start");
    let input = s.input();
    let mut text = Vec::new();
    let mut echo_ms = Vec::new();
    let mut pending: Option<Instant> = None;
    let mut next = tokio::time::Instant::now() + offset;
    loop {
        tokio::select! {
            ev = s.next_event() => match ev {
                Ok(Some(ExecEvent::Output { data, .. })) => {
                    for &b in data.iter() {
                        if b == PROBE {
                            if let Some(t0) = pending.take() {
                                echo_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
                            }
                        } else {
                            text.push(b);
                        }
                    }
                    if String::from_utf8_lossy(&text).contains("lines-end.") {
                        break;
                    }
                }
                other => panic!("the session ended early: {other:?}"),
            },
            // Once it prints: the engine has started it (starting 400 execs
            // takes the engine a while, and is not what is measured here).
            _ = tokio::time::sleep_until(next), if pending.is_none() && !text.is_empty() => {
                input.send(Bytes::from_static(&[PROBE])).await.expect("type");
                pending = Some(Instant::now());
                next += Duration::from_secs(1);
            }
        }
    }
    let _ = input.end().await;
    let text = String::from_utf8_lossy(&text);
    let lines = (0..LINES)
        .filter(|i| text.contains(&format!("line-{i}.")))
        .count();
    Seen { lines, echo_ms }
}

pub fn crowd(t: &mut Table, agent: &TestAgent, c: &TestContainer) {
    let rt = runtime();
    // Streams spread over a few connections, as several users would.
    let clients: Vec<_> = (0..8)
        .map(|_| agent.client(&rt, &DialOptions::default()))
        .collect();
    let alone = rt.block_on(one(clients[0].clone(), c.name.clone(), Duration::ZERO));
    let idle = rss_kib(agent.pid());
    let (seen, peak, threads) = watch_process(agent.pid(), || {
        rt.block_on(async {
            let tasks: Vec<_> = (0..SESSIONS)
                .map(|i| {
                    let client = clients[i % clients.len()].clone();
                    // Keys spread over the second, not typed all at once.
                    let offset = Duration::from_millis((i * 1000 / SESSIONS) as u64);
                    tokio::spawn(one(client, c.name.clone(), offset))
                })
                .collect();
            let mut all = Vec::new();
            for task in tasks {
                all.push(task.await.expect("session task"));
            }
            all
        })
    });
    let lines: usize = seen.iter().map(|s| s.lines).sum();
    let echo: Vec<f64> = seen.iter().flat_map(|s| s.echo_ms.clone()).collect();
    let worst_p99 = seen
        .iter()
        .map(|s| pct(&s.echo_ms, 0.99))
        .fold(0.0f64, f64::max);
    t.note(
        "400 TTY sessions, a line every 100 ms each",
        format!(
            "{lines} of {} lines arrived; agent RSS {idle} KiB idle, peak {peak} KiB ({:.0} KiB a session), peak threads {threads}",
            SESSIONS * LINES,
            peak.saturating_sub(idle) as f64 / SESSIONS as f64
        ),
    );
    t.add(
        "echo p50 among 400 printing sessions",
        &[pct(&echo, 0.5)],
        &[pct(&alone.echo_ms, 0.5)],
        "one session alone",
        "ms",
    );
    t.add(
        "echo p99 among 400 printing sessions",
        &[pct(&echo, 0.99)],
        &[pct(&alone.echo_ms, 0.99)],
        "one session alone",
        "ms",
    );
    t.note(
        "the worst session's echo p99 among the 400",
        format!("{worst_p99:.1} ms (goal: at most 100 ms)"),
    );
    assert_eq!(lines, SESSIONS * LINES, "lines were lost");
}
