//! The agent against clients that misbehave or push limits, spoken to
//! directly over gRPC (the CLI would never send these): every case ends in
//! a clear in-band error or a clean end, never a panic, and nothing is left
//! running in the container.

use std::time::Duration;

use dockyard_client::{Client, DialOptions, ExecEvent, ExecSession, Flow};
use dockyard_proto::pb::{
    ExecInput, ExecRequest, ExecResize, ExecResponse, ExecStart, ExecStdinClose,
    exec_request::RequestType, exec_response::ResponseType,
};
use dockyard_tests::{TestAgent, TestContainer, eventually, proc_status, run, runtime, stdout_str};
use tokio_stream::wrappers::ReceiverStream;

fn client(rt: &tokio::runtime::Runtime, agent: &TestAgent) -> Client {
    agent.client(rt, &DialOptions::default())
}

fn start(container: &str, cmd: &[&str]) -> ExecStart {
    ExecStart {
        container_identifier: container.into(),
        command: cmd.iter().map(|s| s.to_string()).collect(),
        tty: Some(false),
        attach_stdin: Some(true),
        ..Default::default()
    }
}

fn req(r: RequestType) -> ExecRequest {
    ExecRequest {
        request_type: Some(r),
    }
}

/// Sends `requests` (then half-closes) and collects every response.
async fn converse(client: &mut Client, requests: Vec<ExecRequest>) -> Vec<ExecResponse> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    for r in requests {
        tx.send(r).await.expect("queue");
    }
    drop(tx);
    let mut stream = client
        .exec_container(ReceiverStream::new(rx))
        .await
        .expect("rpc")
        .into_inner();
    let mut out = vec![];
    while let Ok(Some(m)) = stream.message().await {
        out.push(m);
    }
    out
}

fn statuses(resp: &[ExecResponse]) -> Vec<(bool, bool, String, i32)> {
    resp.iter()
        .filter_map(|r| match &r.response_type {
            Some(ResponseType::Status(s)) => {
                Some((s.success, s.finished, s.message.clone(), s.exit_code))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn first_request_must_be_start() {
    let agent = TestAgent::start();
    let rt = runtime();
    let mut c = client(&rt, &agent);
    for first in [
        RequestType::Input(ExecInput { data: "x".into() }),
        RequestType::Resize(ExecResize { rows: 10, cols: 10 }),
        RequestType::StdinClose(ExecStdinClose {}),
    ] {
        let resp = rt.block_on(converse(&mut c, vec![req(first)]));
        let st = statuses(&resp);
        assert_eq!(st.len(), 1, "{resp:?}");
        assert!(
            !st[0].0 && st[0].2 == "First request must be ExecStart",
            "{st:?}"
        );
    }
    // An empty stream and an empty message: the same, or a quiet end.
    let resp = rt.block_on(converse(&mut c, vec![ExecRequest { request_type: None }]));
    assert!(!statuses(&resp)[0].0);
    let resp = rt.block_on(converse(&mut c, vec![]));
    assert!(resp.is_empty());
}

#[test]
fn bad_starts_are_refused_in_band() {
    let agent = TestAgent::start();
    let cont = TestContainer::start("badstart");
    let rt = runtime();
    let mut c = client(&rt, &agent);
    let mut bad_env = start(&cont.name, &["true"]);
    bad_env.environment.insert("A=B".into(), "x".into());
    let mut empty_key = start(&cont.name, &["true"]);
    empty_key.environment.insert(String::new(), "x".into());
    let cases = [
        (start(&cont.name, &[]), "no command given"),
        (start(&cont.name, &[""]), "no command given"),
        (start("", &["true"]), "no container given"),
        (bad_env, "invalid environment variable name"),
        (empty_key, "invalid environment variable name"),
        (start(&cont.name, &["true\0x"]), "NUL"),
        (start("../../etc", &["true"]), "not found"),
        (start("a b", &["true"]), "not found"),
        (start("%00;rm -rf /", &["true"]), "not found"),
    ];
    for (s, want) in cases {
        let resp = rt.block_on(converse(&mut c, vec![req(RequestType::Start(s))]));
        let st = statuses(&resp);
        assert_eq!(st.len(), 1, "{want}: {resp:?}");
        assert!(!st[0].0 && st[0].2.contains(want), "{want}: {st:?}");
    }
}

#[test]
fn protocol_violations_end_the_command_with_a_clear_error() {
    let agent = TestAgent::start();
    let cont = TestContainer::start("violate");
    let rt = runtime();
    let mut c = client(&rt, &agent);
    let cases: Vec<(Vec<ExecRequest>, &str)> = vec![
        (
            vec![
                req(RequestType::Start(start(&cont.name, &["sleep", "4249"]))),
                req(RequestType::Start(start(&cont.name, &["true"]))),
            ],
            "a second ExecStart",
        ),
        (
            vec![
                req(RequestType::Start(start(&cont.name, &["sleep", "4249"]))),
                req(RequestType::StdinClose(ExecStdinClose {})),
                req(RequestType::Input(ExecInput {
                    data: "late".into(),
                })),
            ],
            "input after the client closed stdin",
        ),
        (
            vec![
                req(RequestType::Start(ExecStart {
                    attach_stdin: Some(false),
                    ..start(&cont.name, &["sleep", "4249"])
                })),
                req(RequestType::Input(ExecInput { data: "x".into() })),
            ],
            "input to an exec started without stdin",
        ),
    ];
    for (requests, want) in cases {
        let resp = rt.block_on(converse(&mut c, requests));
        let st = statuses(&resp);
        assert_eq!(st.len(), 2, "{want}: {st:?}");
        assert!(st[0].0 && !st[0].1, "started first: {st:?}");
        assert!(
            !st[1].0 && st[1].1 && st[1].2.contains(want),
            "{want}: {st:?}"
        );
    }
    assert!(
        eventually(Duration::from_secs(10), || {
            let o = run(agent.dockyard(&["exec", &cont.name, "ps", "-o", "args"]));
            !stdout_str(&o).contains("sleep 4249")
        }),
        "a command outlived its broken conversation"
    );
}

#[test]
fn extreme_terminal_sizes_and_a_huge_environment() {
    let agent = TestAgent::start();
    let cont = TestContainer::start("extreme");
    let rt = runtime();
    let mut c = client(&rt, &agent);
    for (rows, cols) in [(0, 0), (65535, 65535), (u32::MAX, 1)] {
        let s = ExecStart {
            tty: Some(true),
            rows,
            cols,
            ..start(&cont.name, &["echo", "sized"])
        };
        let resp = rt.block_on(converse(&mut c, vec![req(RequestType::Start(s))]));
        let st = statuses(&resp);
        assert!(
            st.last().is_some_and(|s| s.1 && s.3 == 0),
            "{rows}x{cols}: {st:?}"
        );
    }
    // 8 MiB of environment: within the message limit, beyond what the
    // kernel takes for a new process: a clear failure, not a hang.
    let mut s = start(&cont.name, &["true"]);
    for i in 0..128 {
        s.environment
            .insert(format!("BIG{i}"), "x".repeat(64 * 1024));
    }
    let resp = rt.block_on(converse(&mut c, vec![req(RequestType::Start(s))]));
    let st = statuses(&resp);
    assert!(st.last().is_some_and(|s| !s.0 || s.3 != 0), "{st:?}");
    // 20 MiB: over the message limit; refused by the transport, one error.
    let mut s = start(&cont.name, &["true"]);
    for i in 0..320 {
        s.environment
            .insert(format!("HUGE{i}"), "x".repeat(64 * 1024));
    }
    // Our client says so before sending it.
    let r = rt.block_on(ExecSession::start(&mut c, s.clone()));
    let e = r.err().expect("a 20 MiB start must be refused").to_string();
    assert!(e.contains("over the 16 MiB a request may carry"), "{e}");
    // A client without that limit gets a worded refusal from the agent.
    let mut unlimited = client(&rt, &agent)
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(usize::MAX);
    let resp = rt.block_on(converse(&mut unlimited, vec![req(RequestType::Start(s))]));
    let st = statuses(&resp);
    assert!(
        st.len() == 1
            && !st[0].0
            && st[0].2.contains("could not be read")
            && st[0].2.contains("too large"),
        "{st:?}"
    );
    // The agent is still fine.
    let o = run(agent.dockyard(&["exec", &cont.name, "echo", "alive"]));
    assert_eq!(stdout_str(&o), "alive\n");
}

#[test]
fn a_hundred_concurrent_sessions_each_get_their_own() {
    let agent = TestAgent::start();
    let cont = TestContainer::start("hundred");
    let rt = runtime();
    let c = client(&rt, &agent);
    let pid = agent.pid();
    let rss_before = rss_kib(pid);
    let results = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..100u32 {
            let mut c = c.clone();
            let name = cont.name.clone();
            tasks.push(tokio::spawn(async move {
                let s = ExecStart {
                    attach_stdin: Some(false),
                    ..start(
                        &name,
                        &[
                            "sh",
                            "-c",
                            &format!(
                                "sleep 1; echo session-{i}; echo err-{i} >&2; exit {}",
                                i % 100
                            ),
                        ],
                    )
                };
                let mut session = ExecSession::start(&mut c, s).await.expect("start");
                let (mut out, mut err) = (Vec::new(), Vec::new());
                loop {
                    match session.next_event().await.expect("event") {
                        Some(ExecEvent::Output {
                            stream: dockyard_client::OutputStream::Stdout,
                            data,
                        }) => out.extend_from_slice(&data),
                        Some(ExecEvent::Output { data, .. }) => err.extend_from_slice(&data),
                        Some(ExecEvent::Exited { code, .. }) => return (i, out, err, code),
                        Some(ExecEvent::Detached { .. }) | None => panic!("no exit status"),
                    }
                }
            }));
        }
        let peak = tokio::spawn(async move {
            let mut peak = (0, 0);
            for _ in 0..40 {
                peak = (
                    peak.0.max(rss_kib(pid)),
                    peak.1.max(proc_status(pid, "Threads:")),
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        });
        let mut r = Vec::new();
        for t in tasks {
            r.push(t.await.expect("task"));
        }
        (r, peak.await.expect("sampler"))
    });
    let (sessions, (peak_rss, peak_threads)) = results;
    for (i, out, err, code) in sessions {
        assert_eq!(out, format!("session-{i}\n").into_bytes());
        assert_eq!(err, format!("err-{i}\n").into_bytes());
        assert_eq!(code, (i % 100) as i32);
    }
    eprintln!(
        "agent: RSS {rss_before} KiB idle, {peak_rss} KiB peak during 100 sessions; peak threads {peak_threads}"
    );
}

fn rss_kib(pid: u32) -> u64 {
    proc_status(pid, "VmRSS:")
}

#[test]
fn a_slow_reader_does_not_grow_the_agent() {
    let agent = TestAgent::start();
    let cont = TestContainer::start("slow");
    let rt = runtime();
    let mut c = client(&rt, &agent);
    let pid = agent.pid();
    let (early, late, received) = rt.block_on(async {
        let s = ExecStart {
            attach_stdin: Some(false),
            ..start(&cont.name, &["yes", "a fast producer"])
        };
        let mut session = ExecSession::start(&mut c, s).await.expect("start");
        let t0 = std::time::Instant::now();
        let (mut early, mut received) = (0, 0usize);
        // One message every 20 ms: far slower than `yes` writes.
        while t0.elapsed() < Duration::from_secs(6) {
            if let Some(ExecEvent::Output { data, .. }) = session.next_event().await.expect("event")
            {
                received += data.len();
            }
            if early == 0 && t0.elapsed() > Duration::from_secs(1) {
                early = rss_kib(pid);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (early, rss_kib(pid), received)
    });
    eprintln!(
        "agent RSS under a slow reader: {early} KiB after 1 s, {late} KiB after 6 s; {received} bytes read"
    );
    // Bounded queues end to end: what is not read is not buffered.
    assert!(
        late < early + 8 * 1024,
        "agent grew from {early} KiB to {late} KiB"
    );
}

/// The TUI's connection (`Flow::Panes`): output of sessions it does not
/// read for a while (panes it draws later) stops at the session's own
/// window and never takes the connection's, so another session's output
/// still comes. With the windows `dockyard exec` uses, six such floods
/// take the whole connection window and a seventh session hears nothing
/// until they are read.
#[test]
fn unread_floods_do_not_hold_up_other_sessions_on_a_panes_connection() {
    let agent = TestAgent::start();
    let cont = TestContainer::start("flow");
    let rt = runtime();
    let opts = DialOptions {
        flow: Flow::Panes,
        ..Default::default()
    };
    let mut c = agent.client(&rt, &opts);
    let heard = rt.block_on(async {
        let beside_floods = output_beside_unread_floods(&mut c, &cont.name);
        tokio::time::timeout(Duration::from_secs(30), beside_floods).await
    });
    assert_eq!(
        heard.as_deref().map(str::trim),
        Ok("another-session-heard"),
        "sessions stopped hearing their output while six floods sat unread"
    );
}

/// Six sessions flooding output that is never read, then the output of
/// one more.
async fn output_beside_unread_floods(c: &mut Client, container: &str) -> String {
    let line = "x".repeat(1000);
    let mut floods = Vec::new();
    for _ in 0..6 {
        let s = ExecStart {
            attach_stdin: Some(false),
            ..start(container, &["yes", &line])
        };
        let mut flood = ExecSession::start(c, s).await.expect("start");
        // Flowing: then left unread.
        while !matches!(
            flood.next_event().await.expect("event"),
            Some(ExecEvent::Output { .. })
        ) {}
        floods.push(flood);
    }
    // Nothing tells when the unread output has filled the windows: at
    // `yes`'s rate here (tens of MB/s) it takes milliseconds.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = ExecStart {
        attach_stdin: Some(false),
        ..start(container, &["echo", "another-session-heard"])
    };
    let mut other = ExecSession::start(c, s).await.expect("start");
    let mut out = Vec::new();
    while let Some(ev) = other.next_event().await.expect("event") {
        if let ExecEvent::Output { data, .. } = ev {
            out.extend_from_slice(&data);
        }
    }
    drop(floods);
    String::from_utf8_lossy(&out).into_owned()
}
