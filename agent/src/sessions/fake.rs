//! An in-memory runtime for the exec engine's tests: each exec's output is
//! what the test says, when it says it (with the backpressure of a small
//! pipe: `say` waits while the session does not read), its stdin is what
//! the test reads back, and it ends when the test ends it or the session
//! kills it (exit 137, as a SIGKILL).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, DuplexStream};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::runtime::{Runtime, Started};
use crate::attach::{Chunk, StdStream};
use crate::error::AgentError;
use crate::exec::ExecSpec;
use dockyard_term::Size;

/// Chunks of output the "program" gets ahead of the session by.
const PIPE: usize = 4;

#[derive(Default)]
pub struct Fake {
    execs: Mutex<Vec<Arc<FakeExec>>>,
    started: Notify,
}

pub struct FakeExec {
    pub id: String,
    out: Mutex<Option<mpsc::Sender<std::io::Result<Chunk>>>>,
    stdin: tokio::sync::Mutex<DuplexStream>,
    exit: Mutex<Option<i64>>,
    killed: AtomicBool,
    /// The session told the runtime it is over.
    ended: AtomicBool,
    dead: CancellationToken,
    sizes: Mutex<Vec<Size>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Fake {
    /// The `n`th exec started (from 0), once it has been.
    pub async fn exec(&self, n: usize) -> Arc<FakeExec> {
        loop {
            let notified = self.started.notified();
            if let Some(e) = lock(&self.execs).get(n) {
                return e.clone();
            }
            notified.await;
        }
    }

    fn find(&self, id: &str) -> Option<Arc<FakeExec>> {
        lock(&self.execs).iter().find(|e| e.id == id).cloned()
    }
}

impl FakeExec {
    /// The program writes `data` to stdout (waiting while its pipe is
    /// full). False once it has ended.
    pub async fn say(&self, data: &[u8]) -> bool {
        self.emit(StdStream::Stdout, data).await
    }

    pub async fn emit(&self, stream: StdStream, data: &[u8]) -> bool {
        let Some(tx) = lock(&self.out).clone() else {
            return false;
        };
        let chunk = Chunk {
            stream,
            data: Bytes::copy_from_slice(data),
        };
        // A write blocked on a full pipe fails when the program dies.
        tokio::select! {
            sent = tx.send(Ok(chunk)) => sent.is_ok(),
            _ = self.dead.cancelled() => false,
        }
    }

    /// The program exits with `code` (its output ends).
    pub fn exit(&self, code: i64) {
        lock(&self.exit).get_or_insert(code);
        lock(&self.out).take();
        self.dead.cancel();
    }

    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    pub fn sizes(&self) -> Vec<Size> {
        lock(&self.sizes).clone()
    }

    /// What was typed, read until it holds `text` (or stdin closes).
    pub async fn typed_until(&self, text: &str) -> String {
        let mut stdin = self.stdin.lock().await;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains(text) {
            match stdin.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    }
}

impl Runtime for Fake {
    fn start<'a>(&'a self, spec: &'a ExecSpec) -> BoxFuture<'a, Result<Started, AgentError>> {
        Box::pin(async move {
            if spec.container == "missing" {
                return Err(AgentError::ContainerNotFound(spec.container.clone()));
            }
            let (tx, rx) = mpsc::channel(PIPE);
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            let mut execs = lock(&self.execs);
            // 64 hex digits, as the engine's; sessions are named by the first 12.
            let id = format!("{:012x}{}", execs.len() + 1, "e".repeat(52));
            execs.push(Arc::new(FakeExec {
                id: id.clone(),
                out: Mutex::new(Some(tx)),
                stdin: tokio::sync::Mutex::new(theirs),
                exit: Mutex::new(None),
                killed: AtomicBool::new(false),
                ended: AtomicBool::new(false),
                dead: CancellationToken::new(),
                sizes: Mutex::new(Vec::new()),
            }));
            drop(execs);
            self.started.notify_waiters();
            Ok(Started {
                id,
                output: Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)),
                stdin: Box::new(ours),
            })
        })
    }

    fn resize<'a>(
        &'a self,
        exec_id: &'a str,
        size: Size,
        _first: bool,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            if let Some(e) = self.find(exec_id) {
                lock(&e.sizes).push(size);
            }
            Ok(())
        })
    }

    fn exit_code<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, Result<i64, AgentError>> {
        Box::pin(async move {
            let e = self
                .find(exec_id)
                .ok_or_else(|| AgentError::Engine(format!("exec {exec_id} vanished")))?;
            let code = *lock(&e.exit);
            code.ok_or_else(|| AgentError::Engine(format!("exec {exec_id} did not finish")))
        })
    }

    fn kill<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(e) = self.find(exec_id) {
                e.killed.store(true, Ordering::SeqCst);
                e.exit(137);
            }
        })
    }

    fn ended<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(e) = self.find(exec_id) {
                e.ended.store(true, Ordering::SeqCst);
            }
        })
    }

    fn kill_when_back(&self, exec_id: String, _limit: Duration) -> BoxFuture<'static, ()> {
        let e = self.find(&exec_id);
        Box::pin(async move {
            if let Some(e) = e {
                e.killed.store(true, Ordering::SeqCst);
                e.exit(137);
            }
        })
    }
}
