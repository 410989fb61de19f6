//! What the exec engine needs from the container runtime, and nothing
//! more: start an exec (its output stream and its stdin), resize it, read
//! its exit code, end it. The sessions' rules (catch-up, detach, time to
//! live, caps, slow clients, the one final status) are written against
//! this seam, so they are tested with an in-memory runtime (`fake.rs`)
//! as well as end to end; [`Docker`] is the one used in production.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::AsyncWrite;

use crate::attach::OutputStream;
use crate::debug::Helpers;
use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::{self, ExecSpec};
use dockyard_term::Size;

/// An exec's stdin, as the session writes it.
pub type Stdin = Box<dyn AsyncWrite + Send + Unpin>;

/// An exec just started: its id, its output (stdout and stderr apart
/// without a TTY) and its stdin.
pub struct Started {
    pub id: String,
    pub output: OutputStream,
    pub stdin: Stdin,
}

/// The container runtime, as the exec engine sees it.
pub trait Runtime: Send + Sync + 'static {
    /// Creates and starts `spec`'s exec, attached.
    fn start<'a>(&'a self, spec: &'a ExecSpec) -> BoxFuture<'a, Result<Started, AgentError>>;

    /// Sets a TTY exec's size; `first`: right after the start, when the
    /// runtime may not take it yet (retried briefly).
    fn resize<'a>(
        &'a self,
        exec_id: &'a str,
        size: Size,
        first: bool,
    ) -> BoxFuture<'a, Result<(), AgentError>>;

    /// The exit code, once the output has ended.
    fn exit_code<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, Result<i64, AgentError>>;

    /// Ends the exec's process (best effort).
    fn kill<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, ()>;

    /// Ends it once the runtime, lost mid-session, answers again (for at
    /// most `limit`).
    fn kill_when_back(&self, exec_id: String, limit: Duration) -> BoxFuture<'static, ()>;

    /// The session of `exec_id` is over: what the runtime set up for it
    /// (a debug helper) may go.
    fn ended<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, ()>;
}

/// The Docker engine, through `exec.rs` and `attach.rs`; a debug session
/// runs in a helper beside its container (`debug.rs`).
pub struct Docker {
    engine: Arc<Engine>,
    helpers: Helpers,
}

impl Docker {
    pub fn new(engine: Arc<Engine>) -> Self {
        Docker {
            helpers: Helpers::new(engine.clone()),
            engine,
        }
    }
}

impl Runtime for Docker {
    fn start<'a>(&'a self, spec: &'a ExecSpec) -> BoxFuture<'a, Result<Started, AgentError>> {
        Box::pin(async move {
            let s = match &spec.debug {
                None => exec::start(&self.engine, spec).await?,
                Some(debug) => {
                    let (run, helper) = self.helpers.prepare(spec, debug).await?;
                    match exec::start(&self.engine, &run).await {
                        Ok(s) => {
                            self.helpers.started(&s.id, &helper);
                            s
                        }
                        Err(e) => {
                            self.helpers.release(&helper).await;
                            return Err(e);
                        }
                    }
                }
            };
            Ok(Started {
                id: s.id,
                output: s.output,
                stdin: Box::new(s.stdin),
            })
        })
    }

    fn resize<'a>(
        &'a self,
        exec_id: &'a str,
        size: Size,
        first: bool,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(exec::resize(&self.engine, exec_id, size, first))
    }

    fn exit_code<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, Result<i64, AgentError>> {
        Box::pin(exec::exit_code(&self.engine, exec_id))
    }

    fn kill<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(exec::kill(&self.engine, exec_id))
    }

    fn kill_when_back(&self, exec_id: String, limit: Duration) -> BoxFuture<'static, ()> {
        let engine = self.engine.clone();
        Box::pin(async move { exec::kill_when_engine_returns(&engine, &exec_id, limit).await })
    }

    fn ended<'a>(&'a self, exec_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(self.helpers.ended(exec_id))
    }
}
