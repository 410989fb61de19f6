//! Arbitrary exec conversations against the real agent and engine: random
//! sequences of start / input / resize / stdin-close / empty messages, with
//! odd container names, users, directories, environments, sizes and bytes,
//! ended by a half-close or by the client vanishing. Whatever arrives, the
//! agent answers in the shape the wire contract promises, stays up, and
//! leaves nothing running in the container (detached sessions once their
//! time to live is over).
//!
//! CI runs a few dozen cases; `DOCKYARD_FUZZ_CASES=2000 cargo test -p
//! dockyard-tests --test fuzz_agent` runs longer by hand.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dockyard_client::{Client, DialOptions};
use dockyard_proto::pb::{
    ExecInput, ExecRequest, ExecResize, ExecResponse, ExecStart, ExecStdinClose,
    exec_request::RequestType, exec_response::ResponseType,
};
use dockyard_tests::{TestAgent, TestContainer, eventually, run, runtime, stdout_str};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tokio_stream::wrappers::ReceiverStream;

/// Commands the cases run. The markers (4245, the script) make anything
/// left behind easy to find in `ps`.
const SCRIPT: &str = "echo out; echo err >&2; exit 3";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmd {
    True,
    Script,
    Cat,
    Sleep,
    Empty,
}

impl Cmd {
    fn argv(self) -> Vec<String> {
        let v: &[&str] = match self {
            Cmd::True => &["true"],
            Cmd::Script => &["sh", "-c", SCRIPT],
            Cmd::Cat => &["cat"],
            Cmd::Sleep => &["sleep", "4245"],
            Cmd::Empty => &[],
        };
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Ends by itself once the client half-closes, whatever the input was:
    /// the conversation must finish. `cat` without a TTY reads the end of
    /// its stdin; on a TTY, stray input can leave a partial line that the
    /// ^D sent for the end of stdin only flushes.
    fn ends_by_itself(self, tty: bool) -> bool {
        match self {
            Cmd::True | Cmd::Script | Cmd::Empty => true,
            Cmd::Cat => !tty,
            Cmd::Sleep => false,
        }
    }
}

#[derive(Debug, Clone)]
enum Msg {
    Start {
        real_container: bool,
        odd_name: String,
        cmd: Cmd,
        user: String,
        workdir: String,
        env: HashMap<String, String>,
        tty: Option<bool>,
        attach_stdin: Option<bool>,
        interactive: bool,
        rows: u32,
        cols: u32,
    },
    Input(Vec<u8>),
    Resize(u32, u32),
    StdinClose,
    Empty,
}

impl Msg {
    /// For a start: the command, and whether it runs on a TTY.
    fn start_kind(&self) -> Option<(Cmd, bool)> {
        match self {
            Msg::Start {
                cmd,
                tty,
                interactive,
                ..
            } => Some((*cmd, tty.unwrap_or(*interactive))),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Ending {
    /// Half-close, then read to the end (or give up and drop).
    HalfClose,
    /// Drop everything after this long: the client vanishes.
    Vanish(u64),
}

fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z]{1,8}",
        "\\PC{0,12}",
        any::<String>(),
        Just("../..".to_string()),
        Just("\0".to_string()),
    ]
}

fn start_msg() -> impl Strategy<Value = Msg> {
    (
        prop_oneof![5 => Just(true), 1 => Just(false)],
        odd_text(),
        prop_oneof![
            2 => Just(Cmd::True),
            3 => Just(Cmd::Script),
            3 => Just(Cmd::Cat),
            2 => Just(Cmd::Sleep),
            1 => Just(Cmd::Empty)
        ],
        prop_oneof![
            6 => Just(String::new()),
            1 => Just("root".to_string()),
            1 => Just("nobody".to_string()),
            1 => Just("65534:65534".to_string()),
            1 => odd_text()
        ],
        prop_oneof![
            6 => Just(String::new()),
            1 => Just("/tmp".to_string()),
            1 => Just("/nope".to_string()),
            1 => odd_text()
        ],
        prop_oneof![
            3 => proptest::collection::hash_map("[A-Z_]{1,6}", "\\PC{0,10}", 0..3),
            1 => proptest::collection::hash_map(odd_text(), odd_text(), 0..3),
        ],
        (
            any::<Option<bool>>(),
            any::<Option<bool>>(),
            any::<bool>(),
            prop_oneof![Just(0u32), 1..300u32, any::<u32>()],
            prop_oneof![Just(0u32), 1..300u32, any::<u32>()],
        ),
    )
        .prop_map(
            |(
                real_container,
                odd_name,
                cmd,
                user,
                workdir,
                env,
                (tty, attach_stdin, interactive, rows, cols),
            )| Msg::Start {
                real_container,
                odd_name,
                cmd,
                user,
                workdir,
                env,
                tty,
                attach_stdin,
                interactive,
                rows,
                cols,
            },
        )
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        2 => start_msg(),
        4 => prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..2048),
            // Terminal control bytes: ^C ^D ^Z ^\ and the detach keys.
            proptest::collection::vec(prop_oneof![Just(3u8), Just(4), Just(26), Just(28), Just(30), Just(0)], 1..8),
        ]
        .prop_map(Msg::Input),
        2 => (any::<u32>(), any::<u32>()).prop_map(|(r, c)| Msg::Resize(r, c)),
        2 => Just(Msg::StdinClose),
        1 => Just(Msg::Empty),
    ]
}

fn conversation() -> impl Strategy<Value = (Vec<Msg>, Ending)> {
    (
        // Mostly a start first; sometimes not, as a broken client would.
        prop_oneof![6 => start_msg(), 1 => msg()],
        proptest::collection::vec(msg(), 0..8),
        prop_oneof![
            2 => Just(Ending::HalfClose),
            1 => (0u64..400).prop_map(Ending::Vanish),
        ],
    )
        .prop_map(|(first, rest, ending)| {
            let mut v = vec![first];
            v.extend(rest);
            (v, ending)
        })
}

fn to_request(m: &Msg, container: &str) -> ExecRequest {
    let r = match m.clone() {
        Msg::Start {
            real_container,
            odd_name,
            cmd,
            user,
            workdir,
            env,
            tty,
            attach_stdin,
            interactive,
            rows,
            cols,
        } => Some(RequestType::Start(ExecStart {
            // Anything but our container is our container's unique name
            // plus "-nope...": not hex, so no ID prefix, and no name a
            // container this test did not make could have.
            container_identifier: if real_container {
                container.to_string()
            } else {
                format!("{container}-nope{odd_name}")
            },
            command: cmd.argv(),
            interactive,
            user,
            working_dir: workdir,
            environment: env,
            tty,
            attach_stdin,
            // Never detached: a detached command is meant to outlive its
            // client, and this test checks that nothing is left running.
            detach: false,
            privileged: false,
            debug: None,
            rows,
            cols,
        })),
        Msg::Input(data) => Some(RequestType::Input(ExecInput { data: data.into() })),
        Msg::Resize(rows, cols) => Some(RequestType::Resize(ExecResize { rows, cols })),
        Msg::StdinClose => Some(RequestType::StdinClose(ExecStdinClose {})),
        Msg::Empty => None,
    };
    ExecRequest { request_type: r }
}

/// How a conversation's response stream came to an end.
#[derive(Debug, Clone, PartialEq)]
enum End {
    /// The agent closed it.
    Clean,
    /// It broke with a gRPC error: never expected from the agent.
    Error(String),
    /// Still open at the deadline; the client then left.
    Open,
}

/// Runs one conversation; returns what came back and how it ended.
/// Whether the conversation's command ends by itself once the client
/// half-closes. On a TTY, ^S (stop output) or ^Z (stop the process) typed
/// before the program's last write rightly holds it, as in any terminal.
fn ends_by_itself(msgs: &[Msg]) -> bool {
    let holds = msgs.iter().any(|m| match m {
        Msg::Input(data) => data.iter().any(|b| matches!(b, 0x13 | 0x1a)),
        _ => false,
    });
    msgs[0]
        .start_kind()
        .is_none_or(|(cmd, tty)| cmd.ends_by_itself(tty) && !(tty && holds))
}

async fn converse(
    client: &mut Client,
    msgs: &[Msg],
    ending: Ending,
    container: &str,
) -> (Vec<ExecResponse>, End) {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    for m in msgs {
        tx.send(to_request(m, container)).await.expect("queue");
    }
    let ends = ends_by_itself(msgs);
    let (limit, keep_tx) = match ending {
        // Long enough for anything that ends by itself; a hang shows here.
        // `cat` on a TTY and `sleep` may rightly run on: read a while, then
        // leave.
        Ending::HalfClose => {
            drop(tx);
            let limit = if ends { 20 } else { 1 };
            (Duration::from_secs(limit), None)
        }
        Ending::Vanish(ms) => (Duration::from_millis(ms), Some(tx)),
    };
    let call = client.exec_container(ReceiverStream::new(rx));
    let deadline = Instant::now() + limit;
    let mut out = vec![];
    let resp = match tokio::time::timeout_at(deadline.into(), call).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => return (out, End::Error(format!("{e:?}"))),
        Err(_) => return (out, End::Open),
    };
    let mut stream = resp.into_inner();
    let end = loop {
        match tokio::time::timeout_at(deadline.into(), stream.message()).await {
            Ok(Ok(Some(m))) => out.push(m),
            Ok(Ok(None)) => break End::Clean,
            Ok(Err(e)) => break End::Error(format!("{e:?}")),
            Err(_) => break End::Open,
        }
    };
    drop(keep_tx);
    (out, end)
}

fn check(
    msgs: &[Msg],
    ending: Ending,
    resp: &[ExecResponse],
    end: &End,
) -> Result<(), TestCaseError> {
    prop_assert!(!matches!(end, End::Error(_)), "the stream broke: {:?}", end);
    let ended = *end == End::Clean;
    let statuses: Vec<(usize, bool, bool, &str, i32)> = resp
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.response_type {
            Some(ResponseType::Status(s)) => {
                Some((i, s.success, s.finished, s.message.as_str(), s.exit_code))
            }
            _ => None,
        })
        .collect();
    let Msg::Start {
        cmd,
        tty,
        interactive,
        ..
    } = &msgs[0]
    else {
        // Not a start first: one refusal, nothing else.
        if ended {
            prop_assert_eq!(statuses.len(), 1, "{:?}", resp);
            prop_assert!(!statuses[0].1);
            prop_assert_eq!(statuses[0].3, "First request must be ExecStart");
            prop_assert_eq!(resp.len(), 1);
        }
        return Ok(());
    };
    if let Some(first) = statuses.first() {
        prop_assert_eq!(first.0, 0, "output before the first status: {:?}", resp);
        if !first.1 {
            // Refused: that one status is all.
            prop_assert!(!first.3.is_empty(), "a refusal without a message");
            prop_assert_eq!(resp.len(), 1, "more after a refusal: {:?}", resp);
            return Ok(());
        }
        prop_assert!(!first.2, "started and finished at once: {:?}", resp);
    }
    let finals: Vec<_> = statuses.iter().filter(|s| s.2).collect();
    prop_assert!(finals.len() <= 1, "two final statuses: {:?}", resp);
    prop_assert!(
        statuses.len() <= 2,
        "statuses besides the start and the end: {:?}",
        statuses
    );
    if let Some(f) = finals.first() {
        prop_assert_eq!(f.0, resp.len() - 1, "something after the final status");
    }
    let is_tty = tty.unwrap_or(*interactive);
    // A start the agent answered to the end: refused (above) or started
    // and finished, with exactly one final status.
    if ended {
        prop_assert!(!statuses.is_empty(), "no status at all");
        prop_assert_eq!(finals.len(), 1, "ended without a final status: {:?}", resp);
    }
    if matches!(ending, Ending::HalfClose) && ends_by_itself(msgs) {
        prop_assert!(
            ended,
            "a command that ends by itself never finished: {:?}",
            resp
        );
    }
    // The script's exit and its two streams, apart, without a TTY.
    if *cmd == Cmd::Script
        && !is_tty
        && let Some(f) = finals.first()
        && f.1
        && f.4 == 3
    {
        let stream = |name: &str| -> Vec<u8> {
            resp.iter()
                .filter_map(|r| match &r.response_type {
                    Some(ResponseType::Output(o)) if o.stream_type == name => Some(o.data.to_vec()),
                    _ => None,
                })
                .flatten()
                .collect()
        };
        prop_assert_eq!(stream("stdout"), b"out\n".to_vec());
        prop_assert_eq!(stream("stderr"), b"err\n".to_vec());
    }
    Ok(())
}

fn outcome(resp: &[ExecResponse]) -> &'static str {
    let last = resp.iter().rev().find_map(|r| match &r.response_type {
        Some(ResponseType::Status(s)) => Some(s),
        _ => None,
    });
    match last {
        None => "no answer (client left)",
        Some(s) if !s.success && !s.finished => "refused",
        Some(s) if !s.finished => "running when the client left",
        Some(s) if s.message.starts_with("protocol error") => "ended: protocol error",
        Some(s) if s.success => "ran to an exit code",
        Some(_) => "ended with an error",
    }
}

/// Processes in the container besides its own `sleep 1000000` (which
/// must be seen, so a failed `ps` never reads as "nothing left").
fn leftovers(agent: &TestAgent, c: &TestContainer) -> Vec<String> {
    let o = run(agent.dockyard(&["exec", &c.name, "ps", "-o", "pid,args"]));
    let out = stdout_str(&o);
    assert!(
        o.status.success() && out.contains("sleep 1000000"),
        "ps in the container failed: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.lines()
        .skip(1)
        .filter(|l| !l.contains("sleep 1000000") && !l.contains("ps -o pid,args"))
        .map(str::to_string)
        .collect()
}

#[test]
fn arbitrary_conversations_get_well_formed_answers_and_leave_nothing_behind() {
    let cases = std::env::var("DOCKYARD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    // Sessions on (a TTY exec is a session; ended a second after its
    // client leaves); DOCKYARD_FUZZ_TTL=0 fuzzes the plain exec path.
    let ttl = std::env::var("DOCKYARD_FUZZ_TTL").unwrap_or_else(|_| "1s".into());
    let mut agent = TestAgent::start_with(&["--detached-ttl", &ttl], &[]);
    let c = TestContainer::start("fuzz");
    let rt = runtime();
    let client = agent.client(&rt, &DialOptions::default());
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // Each step is a real conversation (up to 20 s): keep shrinking
        // from turning one failure into hours.
        max_shrink_iters: std::env::var("DOCKYARD_FUZZ_SHRINK")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64),
        ..Config::default()
    });
    // What the cases came to, so a run shows it reached the engine.
    let tally = std::sync::Mutex::new(HashMap::<&str, u32>::new());
    let result = runner.run(&conversation(), |(msgs, ending)| {
        let mut client = client.clone();
        let (resp, end) = rt.block_on(converse(&mut client, &msgs, ending, &c.name));
        *tally
            .lock()
            .expect("tally")
            .entry(outcome(&resp))
            .or_default() += 1;
        check(&msgs, ending, &resp, &end)
    });
    eprintln!(
        "{} conversations in {:.1} s: {:?}",
        cases,
        started.elapsed().as_secs_f64(),
        tally.lock().expect("tally")
    );
    if let Err(e) = result {
        panic!("{e}\nagent log:\n{}", agent.log());
    }

    assert!(agent.is_running(), "the agent died:\n{}", agent.log());
    assert!(!agent.log().contains("panicked"), "{}", agent.log());
    let o = run(agent.dockyard(&["exec", &c.name, "echo", "still", "serving"]));
    assert_eq!(stdout_str(&o), "still serving\n");
    let mut left = vec![];
    let since = Instant::now();
    assert!(
        eventually(Duration::from_secs(20), || {
            left = leftovers(&agent, &c);
            left.is_empty()
        }),
        "left running in the container: {left:?}"
    );
    eprintln!(
        "nothing left running {:.1} s after the last case",
        since.elapsed().as_secs_f64()
    );
}

/// Found by the fuzz test: a TTY exec whose process cannot start (an
/// unknown user) got no answer at all, because the engine holds a resize
/// of such an exec for 10 s and the session's first resize was tried 50
/// times before the start was even reported.
#[test]
fn a_tty_exec_that_cannot_start_is_answered_at_once() {
    let agent = TestAgent::start_with(&["--detached-ttl", "1s"], &[]);
    let c = TestContainer::start("nouser");
    let rt = runtime();
    let client = agent.client(&rt, &DialOptions::default());
    for input in [false, true] {
        let mut msgs = vec![Msg::Start {
            real_container: true,
            odd_name: String::new(),
            cmd: Cmd::True,
            user: "no-such-user".into(),
            workdir: String::new(),
            env: HashMap::new(),
            tty: Some(true),
            attach_stdin: Some(false),
            interactive: false,
            rows: 24,
            cols: 80,
        }];
        if input {
            msgs.push(Msg::Input(b"x".to_vec()));
        }
        let (resp, end) = rt.block_on(converse(
            &mut client.clone(),
            &msgs,
            Ending::HalfClose,
            &c.name,
        ));
        assert_eq!(end, End::Clean, "{resp:?}");
        let want = if input {
            "ended: protocol error"
        } else {
            "ran to an exit code"
        };
        assert_eq!(outcome(&resp), want, "{resp:?}");
    }
}
