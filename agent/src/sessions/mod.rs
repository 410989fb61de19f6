//! The agent's one exec engine. Every attached exec is a [`Session`]:
//! one task (`pump`) is the only reader of the exec's output and forwards
//! each chunk to the attached clients (`client`: one per exec stream, each
//! carrying its own requests: keystrokes, resizes, end of input, detach,
//! end); the final status, engine loss, exit codes and backpressure are
//! made there once, for every kind of exec.
//!
//! A session is *durable* when it is a TTY and the agent keeps sessions
//! (`--detached-ttl` above zero): it is then in the [`Sessions`] registry,
//! where its owner can list, join and end it, it keeps its recent output
//! in a bounded ring (`ring`) and its own terminal (`screen`: a vt100
//! parser in a task of its own), and when its last client goes it is
//! *detached*: the program runs on, its output is still read, and it is
//! ended after the time to live, or earlier when too many sessions are
//! detached. Any other exec is a session nobody else can find, with one
//! client, that ends when that client goes (a time to live of zero).
//!
//! The engine cannot re-attach to an exec, so sessions live as long as
//! the agent process: an agent restart ends them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use dockyard_proto::pb::SessionInfo;
use dockyard_term::Size;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::{Audit, ExecRecord};
use crate::auth::Caller;
use crate::error::AgentError;
use crate::exec::ExecSpec;
use crate::wire::{self, ResponseTx, status};
use runtime::{Runtime, Stdin};

pub mod client;
#[cfg(test)]
mod fake;
mod pump;
mod ring;
pub mod runtime;
mod screen;
#[cfg(test)]
mod tests;

/// How long, how many and how much the agent keeps of detached sessions.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A detached session is ended after this long; zero: TTY execs end
    /// with their client, as non-TTY ones do.
    pub ttl: Duration,
    /// Detached sessions kept at most; one more ends the oldest.
    pub max_detached: usize,
    /// Output kept per session for clients that come back.
    pub history_bytes: usize,
}

impl SessionConfig {
    pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
    pub const DEFAULT_MAX_DETACHED: usize = 32;
    pub const DEFAULT_HISTORY_BYTES: usize = 1024 * 1024;

    /// Sessions end with their client: today's behaviour for every exec.
    pub fn disabled() -> Self {
        SessionConfig {
            ttl: Duration::ZERO,
            ..Self::default()
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            ttl: Self::DEFAULT_TTL,
            max_detached: Self::DEFAULT_MAX_DETACHED,
            history_bytes: Self::DEFAULT_HISTORY_BYTES,
        }
    }
}

/// The agent's sessions. Cheap to clone.
#[derive(Clone)]
pub struct Sessions(Arc<Registry>);

struct Registry {
    config: SessionConfig,
    runtime: Arc<dyn Runtime>,
    audit: Arc<Audit>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    table: Mutex<HashMap<String, Arc<Session>>>,
}

/// One attached exec, as the registry and its clients see it; its output
/// side lives in its pump task.
pub struct Session {
    pub id: String,
    pub exec_id: String,
    /// Kept when its clients go, and findable by its owner (see the module
    /// comment); otherwise it ends with its one client.
    durable: bool,
    tty: bool,
    owner: Caller,
    container: String,
    command: Vec<String>,
    user: String,
    /// A debug shell's toolbox image (None: an ordinary exec).
    debug_image: Option<String>,
    created: SystemTime,
    born: Instant,
    control: mpsc::Sender<pump::Control>,
    /// The program's stdin, written by every attached client's input task
    /// (a write is whole: two clients' keystrokes never interleave within
    /// one) and by the session's own terminal answering queries while
    /// nobody is attached. None when the exec was started without stdin.
    stdin: Option<tokio::sync::Mutex<Stdin>>,
    state: Mutex<State>,
    /// Milliseconds since `born` of the last output or input.
    last_active: AtomicU64,
    /// Bytes typed into it, by every client (for the audit log).
    bytes_in: AtomicU64,
    next_client: AtomicU64,
    /// Cancelled when the session is over (its clients have their final
    /// status).
    ended: CancellationToken,
    /// Cancelled to end the process at once (see `killer`).
    kill: CancellationToken,
}

#[derive(Debug, Default)]
struct State {
    clients: usize,
    size: Size,
    detached_since: Option<Instant>,
    title: String,
    /// Being ended: no longer counted against the cap.
    ending: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding it leaves plain data, still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sessions {
    pub fn new(
        config: SessionConfig,
        runtime: Arc<dyn Runtime>,
        audit: Arc<Audit>,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        Sessions(Arc::new(Registry {
            config,
            runtime,
            audit,
            shutdown,
            tracker,
            table: Mutex::new(HashMap::new()),
        }))
    }

    /// Whether an exec outlives its client: TTY ones do, unless the agent
    /// keeps no sessions (a time to live of zero).
    fn durable(&self, spec: &ExecSpec) -> bool {
        spec.tty && !spec.detach && !self.0.config.ttl.is_zero()
    }

    /// What a client of a session is told of the time to live, so it
    /// knows how long coming back is worth trying (0: it cannot come back).
    fn detached_ttl_ms(&self, durable: bool) -> u64 {
        if !durable {
            return 0;
        }
        u64::try_from(self.0.config.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Starts an exec as a session whose first client is `tx`: the started
    /// status (with the session's id when it is durable) goes to it first,
    /// then the output from its first byte.
    pub async fn start(
        &self,
        spec: &ExecSpec,
        owner: Caller,
        tx: ResponseTx,
    ) -> Result<Arc<Session>, AgentError> {
        let reg = &self.0;
        let started = reg.runtime.start(spec).await?;
        let id: String = started.id.chars().take(12).collect();
        let durable = self.durable(spec);
        let (control, control_rx) = mpsc::channel(pump::CONTROL_QUEUE);
        let session = Arc::new(Session {
            id: id.clone(),
            exec_id: started.id.clone(),
            durable,
            tty: spec.tty,
            owner,
            container: spec.container.clone(),
            command: spec.cmd.clone(),
            user: spec.user.clone(),
            debug_image: spec.debug.as_ref().map(|d| d.image().to_string()),
            created: SystemTime::now(),
            born: Instant::now(),
            control,
            stdin: spec.stdin.then(|| tokio::sync::Mutex::new(started.stdin)),
            state: Mutex::new(State {
                clients: 1,
                size: spec.size,
                ..State::default()
            }),
            last_active: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            next_client: AtomicU64::new(1),
            ended: CancellationToken::new(),
            kill: CancellationToken::new(),
        });
        reg.tracker.spawn(killer(
            reg.runtime.clone(),
            session.clone(),
            reg.shutdown.clone(),
        ));
        let exec_id = &session.exec_id;
        tracing::info!(session = id, exec_id, container = spec.container, cmd = ?spec.cmd, tty = spec.tty, durable, owner = %session.owner, "exec started");
        let first = pump::Client::new(0, tx.clone(), spec.size);
        let sent = tx
            .send(status(wire::started(
                session.about(),
                self.detached_ttl_ms(durable),
            )))
            .await;
        let mut record = ExecRecord::new(&session.exec_id, &session.owner, spec);
        if durable {
            lock(&reg.table).insert(id.clone(), session.clone());
            record.session = Some(id);
        }
        reg.audit.started(&record);
        // Every TTY exec is recorded when recording is on, a session or not.
        let recorder = spec
            .tty
            .then(|| reg.audit.recorder(&record, spec.size))
            .flatten();
        let audit = pump::Audited {
            audit: reg.audit.clone(),
            record,
            recorder,
        };
        let pump = pump::Pump::new(
            self.clone(),
            session.clone(),
            started.output,
            control_rx,
            first,
            audit,
        );
        reg.tracker.spawn(pump.run());
        if sent.is_err() {
            // Gone before it heard that its exec started: nobody knows the
            // session's id, so nobody could come back to it.
            session.end("the client went away").await;
        }
        Ok(session)
    }

    /// The session `id`, if `caller` owns it. Someone else's session is
    /// answered as a missing one: ids are not to be probed.
    pub fn find(&self, id: &str, caller: &Caller) -> Result<Arc<Session>, AgentError> {
        lock(&self.0.table)
            .get(id)
            .filter(|s| &s.owner == caller)
            .cloned()
            .ok_or_else(|| AgentError::SessionNotFound(id.to_string()))
    }

    /// The sessions `caller` owns, oldest first.
    pub fn list(&self, caller: &Caller) -> Vec<SessionInfo> {
        let mut v: Vec<Arc<Session>> = lock(&self.0.table)
            .values()
            .filter(|s| &s.owner == caller)
            .cloned()
            .collect();
        v.sort_by_key(|s| s.born);
        v.iter().map(|s| s.info(self.0.config.ttl)).collect()
    }

    /// Ends `caller`'s session `id` (its clients get the exit status).
    pub async fn end(&self, id: &str, caller: &Caller) -> Result<(), AgentError> {
        let s = self.find(id, caller)?;
        s.end(&format!("ended by {caller}")).await;
        Ok(())
    }

    fn forget(&self, id: &str) {
        lock(&self.0.table).remove(id);
    }

    /// A session of `owner` just became detached: over the cap, that
    /// owner's oldest detached session is ended. The cap is per identity,
    /// so one user's sessions never push out another's.
    async fn enforce_cap(&self, owner: &Caller) {
        let oldest = {
            let table = lock(&self.0.table);
            let mut detached: Vec<(Instant, Arc<Session>)> = table
                .values()
                .filter(|s| &s.owner == owner)
                .filter_map(|s| {
                    let st = lock(&s.state);
                    st.detached_since
                        .filter(|_| !st.ending)
                        .map(|t| (t, s.clone()))
                })
                .collect();
            if detached.len() <= self.0.config.max_detached {
                return;
            }
            detached.sort_by_key(|(t, _)| *t);
            detached.swap_remove(0).1
        };
        let (session, cap) = (&oldest.id, self.0.config.max_detached);
        tracing::warn!(
            session,
            cap,
            %owner,
            "more detached sessions than --max-detached for this identity: ending its oldest"
        );
        oldest.end("too many detached sessions").await;
    }
}

impl Session {
    fn info(&self, ttl: Duration) -> SessionInfo {
        let st = lock(&self.state);
        let idle = self.idle();
        let expires_in_seconds = st
            .detached_since
            .map(|t| ttl.saturating_sub(t.elapsed()).as_secs())
            .unwrap_or(0);
        SessionInfo {
            id: self.id.clone(),
            exec_id: self.exec_id.clone(),
            container_id: String::new(),
            container_name: self.container.clone(),
            command: self.command.clone(),
            user: self.user.clone(),
            clients: st.clients as u32,
            rows: st.size.rows.into(),
            cols: st.size.cols.into(),
            created: self
                .created
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            idle_seconds: idle.as_secs(),
            expires_in_seconds,
            title: st.title.clone(),
            node: String::new(),
            debug_image: self.debug_image.clone().unwrap_or_default(),
        }
    }

    fn touch(&self) {
        let ms = self.born.elapsed().as_millis() as u64;
        self.last_active.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_active.load(Ordering::Relaxed));
        self.born.elapsed().saturating_sub(last)
    }

    /// Ends the session: its process is ended at once, and its clients get
    /// the exit status from the pump, which says why.
    pub async fn end(&self, why: &str) {
        // The reason first: the pump reads it before the output's end.
        let _ = self.control.send(pump::Control::End(why.to_string())).await;
        self.kill.cancel();
    }

    /// What its statuses are about: the exec, and the session id clients
    /// are told (none for an exec that is not durable: nothing could
    /// attach to it).
    fn about(&self) -> wire::About<'_> {
        wire::About {
            exec_id: &self.exec_id,
            session_id: if self.durable { &self.id } else { "" },
        }
    }

    fn client_id(&self) -> u64 {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }
}

/// Ends a session's process as soon as anything asks (its pump, a client,
/// the agent shutting down), whatever the pump is doing: a pump held up by
/// a client that stopped reading must not keep a process running that
/// should have been ended. Returns, without ending anything, once the
/// session is over.
async fn killer(runtime: Arc<dyn Runtime>, session: Arc<Session>, shutdown: CancellationToken) {
    tokio::select! {
        _ = session.ended.cancelled() => return,
        _ = session.kill.cancelled() => {}
        _ = shutdown.cancelled() => {}
    }
    runtime.kill(&session.exec_id).await;
}
