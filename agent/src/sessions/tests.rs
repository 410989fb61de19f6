//! The exec engine's rules, against the in-memory runtime (`fake.rs`):
//! clients are driven as the gRPC layer drives them (a request stream in,
//! a bounded response queue out), the program by the test.

use std::sync::Arc;
use std::time::Duration;

use dockyard_proto::Cause;
use dockyard_proto::pb::exec_request::RequestType;
use dockyard_proto::pb::exec_response::ResponseType;
use dockyard_proto::pb::{
    ExecAttach, ExecDetach, ExecEnd, ExecInput, ExecRequest, ExecResize, ExecResponse, ExecStatus,
    OutputKind,
};
use dockyard_term::Size;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::Status;

use super::fake::{Fake, FakeExec};
use super::{SessionConfig, Sessions, client};
use crate::audit::Audit;
use crate::auth::Caller;
use crate::conversation::OUTPUT_QUEUE;
use crate::exec::ExecSpec;

/// Long enough for anything here to happen, short enough to fail a test
/// that waits for what never comes.
const PATIENCE: Duration = Duration::from_secs(20);

struct Agent {
    sessions: Sessions,
    fake: Arc<Fake>,
    shutdown: CancellationToken,
}

fn agent(ttl: Duration, max_detached: usize) -> Agent {
    let fake = Arc::new(Fake::default());
    let shutdown = CancellationToken::new();
    let config = SessionConfig {
        ttl,
        max_detached,
        history_bytes: 64 * 1024,
    };
    let sessions = Sessions::new(
        config,
        fake.clone(),
        Arc::new(Audit::none()),
        shutdown.clone(),
        TaskTracker::new(),
    );
    Agent {
        sessions,
        fake,
        shutdown,
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn who(name: &str) -> Caller {
    Caller {
        token: Some(name.into()),
        certificate: None,
        user: None,
    }
}

/// One client's exec stream.
struct Conn {
    requests: Option<mpsc::Sender<Result<ExecRequest, Status>>>,
    responses: mpsc::Receiver<Result<ExecResponse, Status>>,
    /// Output seen so far (stdout, stderr and redraws), as text.
    seen: String,
    statuses: Vec<ExecStatus>,
}

/// A client's end of an exec stream, and the agent's ends of it.
type Ends = (
    Conn,
    ReceiverStream<Result<ExecRequest, Status>>,
    crate::wire::ResponseTx,
);

fn channels() -> Ends {
    let (req_tx, req_rx) = mpsc::channel(16);
    let (tx, rx) = mpsc::channel(OUTPUT_QUEUE);
    let conn = Conn {
        requests: Some(req_tx),
        responses: rx,
        seen: String::new(),
        statuses: Vec::new(),
    };
    (conn, ReceiverStream::new(req_rx), tx)
}

impl Agent {
    /// `owner` starts an exec (a TTY shell when `tty`) in container `c`.
    fn start(&self, owner: &str, tty: bool) -> Conn {
        let spec = ExecSpec {
            container: "c".into(),
            cmd: vec!["sh".into()],
            tty,
            stdin: true,
            size: Size::new(24, 80),
            ..Default::default()
        };
        let (conn, inbound, tx) = channels();
        let (sessions, caller) = (self.sessions.clone(), who(owner));
        tokio::spawn(async move { client::start(&sessions, spec, caller, inbound, tx).await });
        conn
    }

    fn attach(&self, owner: &str, session_id: &str, resume_from: Option<u64>) -> Conn {
        let req = ExecAttach {
            session_id: session_id.into(),
            rows: 24,
            cols: 80,
            resume_from,
        };
        let (conn, inbound, tx) = channels();
        let (sessions, caller) = (self.sessions.clone(), who(owner));
        tokio::spawn(async move { client::attach(&sessions, req, caller, inbound, tx).await });
        conn
    }
}

impl Conn {
    async fn next(&mut self) -> Option<ResponseType> {
        let Ok(r) = tokio::time::timeout(PATIENCE, self.responses.recv()).await else {
            let tail: String = self
                .seen
                .chars()
                .rev()
                .take(200)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            panic!("the agent said nothing more; seen so far ends {tail:?}");
        };
        let r = r?.expect("a response, not an error").response_type?;
        match &r {
            ResponseType::Output(o) => self.seen.push_str(&String::from_utf8_lossy(&o.data)),
            ResponseType::Status(s) => self.statuses.push(s.clone()),
        }
        Some(r)
    }

    /// The first status (started, attached or refused).
    async fn opened(&mut self) -> ExecStatus {
        match self.next().await {
            Some(ResponseType::Status(s)) => s,
            other => panic!("expected a status first, got {other:?}"),
        }
    }

    /// Reads until the output seen holds `text`.
    async fn until(&mut self, text: &str) {
        while !self.seen.contains(text) {
            assert!(
                self.next().await.is_some(),
                "the stream ended before {text:?}: {}",
                self.seen
            );
        }
    }

    /// Reads to the end of the stream; the final statuses it carried.
    async fn read_to_end(&mut self) -> Vec<ExecStatus> {
        while self.next().await.is_some() {}
        self.statuses
            .iter()
            .filter(|s| s.finished)
            .cloned()
            .collect()
    }

    async fn send(&self, r: RequestType) {
        let tx = self.requests.as_ref().expect("requests open");
        tx.send(Ok(ExecRequest {
            request_type: Some(r),
        }))
        .await
        .expect("the client's requests are read");
    }

    /// The client half-closes its request stream (end of stdin).
    fn close(&mut self) {
        self.requests = None;
    }
}

async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn program(a: &Agent, n: usize) -> Arc<FakeExec> {
    tokio::time::timeout(PATIENCE, a.fake.exec(n))
        .await
        .expect("the exec started")
}

#[tokio::test]
async fn a_stalled_client_is_left_behind_and_caught_up() {
    let a = agent(Duration::from_secs(60), 8);
    let mut live = a.start("alice", true);
    let id = live.opened().await.session_id;
    let p = program(&a, 0).await;
    let mut stalled = a.attach("alice", &id, None);
    assert!(stalled.opened().await.success);
    // The stalled client reads nothing while 8 000 lines (more than
    // its queue and the 64 KiB ring) go by.
    let flood = tokio::spawn({
        let p = p.clone();
        async move {
            for i in 0..8_000 {
                assert!(p.say(format!("line {i}\r\n").as_bytes()).await);
            }
            p.say(b"the-end\r\n").await;
        }
    });
    live.until("the-end").await;
    flood.await.expect("the program was never held up for good");
    // Reading again, it is brought to the same place: a redraw (the ring
    // no longer holds its offset) and whatever follows.
    p.say(b"after-catch-up\r\n").await;
    stalled.until("after-catch-up").await;
    assert!(stalled.seen.contains("the-end"), "the redraw shows the end");
    assert!(
        stalled.seen.len() < live.seen.len() / 4,
        "caught up with a redraw, not everything it missed ({} of {} bytes)",
        stalled.seen.len(),
        live.seen.len()
    );
    p.exit(0);
    assert_eq!(live.read_to_end().await.len(), 1);
    assert_eq!(stalled.read_to_end().await.len(), 1);
}

#[tokio::test]
async fn a_detached_session_is_attached_again_with_a_redraw() {
    let a = agent(Duration::from_secs(60), 8);
    let mut first = a.start("alice", true);
    let id = first.opened().await.session_id;
    assert!(!id.is_empty(), "a TTY exec is a session");
    let p = program(&a, 0).await;
    p.say(b"before-detach\r\n").await;
    first.until("before-detach").await;
    first.send(RequestType::Detach(ExecDetach {})).await;
    let last = first.read_to_end().await;
    assert!(last.len() == 1 && last[0].detached, "{last:?}");
    // It runs on, detached.
    p.say(b"while-away\r\n").await;
    eventually("listed as detached", || {
        a.sessions
            .list(&who("alice"))
            .iter()
            .any(|s| s.id == id && s.clients == 0)
    })
    .await;
    assert!(
        a.sessions.list(&who("bob")).is_empty(),
        "bob sees none of it"
    );
    let mut bob = a.attach("bob", &id, None);
    let refused = bob.opened().await;
    assert!(!refused.success);
    assert_eq!(Cause::of_exec(&refused), Cause::SessionNotFound);

    let mut again = a.attach("alice", &id, None);
    assert!(again.opened().await.success);
    match again.next().await {
        Some(ResponseType::Output(o)) => {
            assert_eq!(o.kind(), OutputKind::Screen);
            let screen = String::from_utf8_lossy(&o.data);
            assert!(
                screen.contains("before-detach") && screen.contains("while-away"),
                "{screen:?}"
            );
        }
        other => panic!("expected a redraw, got {other:?}"),
    }
    again
        .send(RequestType::Resize(ExecResize {
            rows: 30,
            cols: 100,
        }))
        .await;
    eventually("the new size reaches the exec", || {
        p.sizes().last() == Some(&Size::new(30, 100))
    })
    .await;
    assert_eq!(p.sizes()[0], Size::new(24, 80), "sized at the start");
    again
        .send(RequestType::Input(ExecInput {
            data: b"typed\r".to_vec().into(),
        }))
        .await;
    assert!(p.typed_until("typed").await.contains("typed"));
    p.exit(3);
    let last = again.read_to_end().await;
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].exit_code, 3);
}

#[tokio::test(start_paused = true)]
async fn a_detached_session_ends_after_its_time_to_live() {
    let a = agent(Duration::from_secs(30), 8);
    let mut c = a.start("alice", true);
    c.opened().await;
    let p = program(&a, 0).await;
    c.send(RequestType::Detach(ExecDetach {})).await;
    c.read_to_end().await;
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert!(!p.killed(), "ended before its time to live");
    tokio::time::sleep(Duration::from_secs(2)).await;
    eventually("ended after its time to live", || p.killed()).await;
    eventually("gone from the list", || {
        a.sessions.list(&who("alice")).is_empty()
    })
    .await;
}

#[tokio::test]
async fn the_detached_cap_is_per_identity() {
    let a = agent(Duration::from_secs(60), 1);
    let detach = |mut c: Conn| async move {
        c.send(RequestType::Detach(ExecDetach {})).await;
        c.read_to_end().await;
    };
    let detached = |who_: &str, id: &str| {
        a.sessions
            .list(&who(who_))
            .iter()
            .any(|s| s.id == id && s.clients == 0)
    };
    let mut c1 = a.start("alice", true);
    let id1 = c1.opened().await.session_id;
    detach(c1).await;
    eventually("alice's first detached", || detached("alice", &id1)).await;
    let mut c2 = a.start("alice", true);
    let id2 = c2.opened().await.session_id;
    detach(c2).await;
    let (p1, p2) = (program(&a, 0).await, program(&a, 1).await);
    eventually("alice's oldest ended by the cap", || p1.killed()).await;
    assert!(!p2.killed());
    let mut c3 = a.start("bob", true);
    let id3 = c3.opened().await.session_id;
    detach(c3).await;
    eventually("bob's detached", || detached("bob", &id3)).await;
    let p3 = program(&a, 2).await;
    assert!(
        !p2.killed() && !p3.killed(),
        "bob's session counts for bob alone"
    );
    assert!(detached("alice", &id2));
}

#[tokio::test]
async fn exactly_one_final_status_whatever_ends_first() {
    let a = agent(Duration::from_secs(60), 8);
    // The program exits with output still queued for its client.
    let mut c = a.start("alice", false);
    c.opened().await;
    let p = program(&a, 0).await;
    p.say(b"queued\n").await;
    p.exit(4);
    let last = c.read_to_end().await;
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0].exit_code, 4);
    assert!(c.seen.contains("queued"));

    // The client ends it while it runs.
    let mut c = a.start("alice", false);
    c.opened().await;
    let p = program(&a, 1).await;
    c.send(RequestType::End(ExecEnd {})).await;
    let last = c.read_to_end().await;
    assert!(p.killed());
    assert_eq!(last.len(), 1, "{last:?}");

    // End of input and the exit together.
    let mut c = a.start("alice", false);
    c.opened().await;
    let p = program(&a, 2).await;
    c.close();
    p.exit(0);
    assert_eq!(c.read_to_end().await.len(), 1);

    // A session with two clients: each gets it once.
    let mut one = a.start("alice", true);
    let id = one.opened().await.session_id;
    let mut two = a.attach("alice", &id, None);
    two.opened().await;
    let p = program(&a, 3).await;
    p.exit(9);
    for c in [&mut one, &mut two] {
        let last = c.read_to_end().await;
        assert_eq!(last.len(), 1, "{last:?}");
        assert_eq!(last[0].exit_code, 9);
    }
}

#[tokio::test]
async fn a_kill_is_not_held_up_by_queued_output() {
    let a = agent(Duration::from_secs(60), 8);
    let mut c = a.start("alice", true);
    let id = c.opened().await.session_id;
    let p = program(&a, 0).await;
    // The client reads nothing: the program fills its pipe and blocks.
    let flood = tokio::spawn({
        let p = p.clone();
        async move { while p.say(&[b'x'; 4096]).await {} }
    });
    eventually("the program held back", || !flood.is_finished()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.sessions
        .end(&id, &who("alice"))
        .await
        .expect("alice ends her session");
    eventually("killed while its output waited", || p.killed()).await;
    flood.await.expect("the flood ends with the program");
    let last = c.read_to_end().await;
    assert_eq!(last.len(), 1, "{last:?}");
    assert!(last[0].message.contains("ended"), "{:?}", last[0].message);
    assert!(p.ended(), "the runtime was told the session is over");
}

#[tokio::test]
async fn a_refused_start_says_why_in_band() {
    let a = agent(Duration::from_secs(60), 8);
    let spec = ExecSpec {
        container: "missing".into(),
        cmd: vec!["sh".into()],
        ..Default::default()
    };
    let (mut conn, inbound, tx) = channels();
    let sessions = a.sessions.clone();
    tokio::spawn(async move { client::start(&sessions, spec, who("alice"), inbound, tx).await });
    let s = conn.opened().await;
    assert!(!s.success && !s.finished);
    assert_eq!(Cause::of_exec(&s), Cause::ContainerNotFound);
    assert_eq!(s.message, "Container 'missing' not found");
}
