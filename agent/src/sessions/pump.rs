//! A session's output side: the only reader of the exec's output. Each
//! chunk goes to every attached client (in turn, each through its bounded
//! response stream: with one client, the backpressure of the program's own
//! pipe), and for a durable session into the ring and to its terminal.
//! Attaches, leaves, resizes and ends arrive as [`Control`] messages and are
//! handled between chunks, so a client that attaches gets the screen as of
//! one point in the output and every byte after it: no gap, nothing twice.
//! When the output ends, [`Pump::finish`] makes the one final status every
//! exec ends with.

use std::sync::Arc;

use bytes::Bytes;
use dockyard_proto::pb::exec_response::ResponseType;
use dockyard_proto::pb::{ExecOutput, ExecResponse, ExecStatus, OutputKind};
use dockyard_term::Size;
use futures::StreamExt;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;

mod finish;

use super::ring::Ring;
use super::screen::{self, ScreenFeed};
use super::{Session, Sessions, lock};
use crate::attach::{Chunk, OutputStream};
use crate::audit::{Audit, ExecRecord, Recorder};
use crate::wire::{self, ResponseTx, output, status};

pub(super) const CONTROL_QUEUE: usize = 32;

/// How long the pump waits for a leaving client to take its last status.
const LEAVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a killed session's output may go on before its terminal is
/// closed.
const HANG_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// How much of the output is kept to recognise the runtime's
/// "executable file not found" message.
const EARLY_OUTPUT: usize = 1024;

/// How long an exec orphaned by a lost engine is waited on to be ended.
const ENGINE_RETURN_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// How long a session shared by several clients waits for one whose
/// queue is full (16 messages, at most 1 MiB, beyond what the transport's
/// windows hold) before it leaves that client behind: the others go on at
/// once, and that one is caught up when it reads again.
const LAG_GRACE: std::time::Duration = std::time::Duration::from_millis(100);

/// How often a client left behind is looked at while no output comes.
const CATCH_UP_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

pub(super) struct Client {
    pub(super) id: u64,
    pub(super) tx: ResponseTx,
    /// Not known when the client did not say.
    pub(super) size: Size,
    /// Left behind: the offset of the next output it is owed. It gets no
    /// live output until it has caught up (from the ring, or a redraw).
    behind: Option<u64>,
}

impl Client {
    pub(super) fn new(id: u64, tx: ResponseTx, size: Size) -> Self {
        Client {
            id,
            tx,
            size,
            behind: None,
        }
    }
}

pub(super) enum Control {
    /// A client joins. `resume_from`: it had the output up to there.
    Attach {
        client: Client,
        resume_from: Option<u64>,
    },
    /// A client leaves; `detached` says it asked to (it is told the
    /// session runs on), otherwise it went away, or (`farewell`) broke the
    /// protocol and is told so. Its last status comes from the pump, so it
    /// never gets two (the session's end may be on its way to it too).
    Leave {
        id: u64,
        detached: bool,
        farewell: Option<ExecStatus>,
    },
    Resize {
        id: u64,
        size: Size,
    },
    /// End the session: its process is ended, its clients get the status.
    End(String),
}

/// The session's audit trail: its record, and its recording if on.
pub(super) struct Audited {
    pub(super) audit: Arc<Audit>,
    pub(super) record: ExecRecord,
    pub(super) recorder: Option<Recorder>,
}

pub(super) struct Pump {
    sessions: Sessions,
    audited: Audited,
    session: Arc<Session>,
    output: OutputStream,
    control: tokio::sync::mpsc::Receiver<Control>,
    clients: Vec<Client>,
    /// The output kept for clients that come back (nothing, for an exec
    /// that is not durable); its end is the count of bytes sent.
    ring: Ring,
    /// The session's own terminal, for a durable one.
    screen: Option<ScreenFeed>,
    size: Size,
    early: Vec<u8>,
    /// When a detached session is ended; None while someone is attached.
    deadline: Option<Instant>,
    /// Why the session is being ended, once it is.
    ending: Option<String>,
    /// When the output is dropped if the kill did not end it (a remote
    /// engine, whose processes the agent cannot signal): closing the
    /// terminal hangs the program up.
    hang_up_at: Option<Instant>,
}

impl Pump {
    pub(super) fn new(
        sessions: Sessions,
        session: Arc<Session>,
        output: OutputStream,
        control: tokio::sync::mpsc::Receiver<Control>,
        first: Client,
        audited: Audited,
    ) -> Self {
        let size = first.size;
        let (screen, kept) = if session.durable {
            let screen = screen::spawn(session.clone(), size);
            (Some(screen), sessions.0.config.history_bytes)
        } else {
            (None, 0)
        };
        let ring = Ring::new(kept);
        Pump {
            sessions,
            audited,
            session,
            output,
            control,
            clients: vec![first],
            ring,
            screen,
            size,
            early: Vec::new(),
            deadline: None,
            ending: None,
            hang_up_at: None,
        }
    }

    pub(super) async fn run(mut self) {
        // After the client heard that its exec started (the engine may
        // hold a resize: see `exec::resize`), and before any output is
        // forwarded: a program that drew at the engine's 0x0 is redrawn at
        // its size before the client sees it.
        let runtime = &self.sessions.0.runtime;
        if self.session.tty
            && let Err(e) = runtime.resize(&self.session.exec_id, self.size, true).await
        {
            let session = &self.session.id;
            tracing::warn!(session, "initial resize failed: {e}");
            // Not known to be set: the next size a client gives is sent.
            self.size = Size::default();
        }
        let shutdown = self.sessions.0.shutdown.clone();
        loop {
            let deadline = self.deadline;
            tokio::select! {
                biased;
                Some(c) = self.control.recv() => self.on_control(c).await,
                _ = shutdown.cancelled(), if self.ending.is_none() => {
                    self.end("the agent is shutting down").await;
                }
                _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } }, if self.ending.is_none() => {
                    self.end("detached for longer than --detached-ttl").await;
                }
                item = self.output.next() => match item {
                    Some(Ok(chunk)) => self.on_output(chunk).await,
                    Some(Err(e)) => {
                        let session = &self.session.id;
                        tracing::warn!(session, "reading the session's output failed: {e}");
                        break;
                    }
                    None => break,
                },
                _ = tokio::time::sleep(CATCH_UP_EVERY), if self.clients.iter().any(|c| c.behind.is_some()) => {
                    self.catch_up().await;
                }
                _ = tokio::time::sleep(screen::HOLD_FOR), if self.screen.as_ref().is_some_and(ScreenFeed::holds_any) => {
                    if let Some(screen) = self.screen.as_mut() {
                        screen.flush().await;
                    }
                }
                _ = async { match self.hang_up_at { Some(t) => tokio::time::sleep_until(t).await, None => std::future::pending().await } } => {
                    let session = &self.session.id;
                    tracing::warn!(session, "the process did not end when killed; closing its terminal");
                    self.hang_up_at = None;
                    self.output = Box::pin(futures::stream::empty());
                }
            }
        }
        self.finish().await;
    }

    async fn on_output(&mut self, Chunk { stream, data }: Chunk) {
        self.session.touch();
        if self.early.len() < EARLY_OUTPUT {
            let n = (EARLY_OUTPUT - self.early.len()).min(data.len());
            self.early.extend_from_slice(&data[..n]);
        }
        self.ring.push(data.clone());
        if let Some(r) = self.audited.recorder.as_mut() {
            r.output(&data);
        }
        self.send_all(stream.into(), &data).await;
        let attached = !self.clients.is_empty();
        if let Some(screen) = self.screen.as_mut() {
            screen.output(data, attached).await;
        }
        // After the screen has the chunk: a client caught up with a redraw
        // is owed what follows the ring's end, which counts this chunk (a
        // redraw taken before the screen had it lost it).
        self.catch_up().await;
    }

    /// Sends to every client in turn; one whose stream is gone has left.
    /// A client alone holds the program back when it reads slowly (as a
    /// terminal does). Among several, one that cannot take the chunk within
    /// [`LAG_GRACE`] is left behind at it, so the others never wait on it.
    async fn send_all(&mut self, kind: OutputKind, data: &Bytes) {
        let at = self.ring.end() - data.len() as u64;
        let shared = self.clients.len() > 1;
        let mut gone = Vec::new();
        for c in self.clients.iter_mut().filter(|c| c.behind.is_none()) {
            let msg = output(kind, data.clone());
            let sent = if shared {
                match c.tx.try_send(msg) {
                    Ok(()) => Ok(()),
                    Err(TrySendError::Closed(_)) => Err(()),
                    Err(TrySendError::Full(msg)) => {
                        match tokio::time::timeout(LAG_GRACE, c.tx.send(msg)).await {
                            Ok(r) => r.map_err(drop),
                            Err(_) => {
                                let (session, client) = (&self.session.id, c.id);
                                tracing::info!(
                                    session,
                                    client,
                                    offset = at,
                                    "client fell behind; the others go on without it"
                                );
                                c.behind = Some(at);
                                Ok(())
                            }
                        }
                    }
                }
            } else {
                c.tx.send(msg).await.map_err(drop)
            };
            if sent.is_err() {
                gone.push(c.id);
            }
        }
        for id in gone {
            self.leave(id, false).await;
        }
    }

    /// Sends the clients left behind what they are owed, as far as their
    /// queues take it without waiting: the output since their offset while
    /// the ring holds it, else a redraw of the screen as it is now. One
    /// that has it all is live again.
    async fn catch_up(&mut self) {
        let mut gone = Vec::new();
        let mut drawn: Option<Bytes> = None;
        for i in 0..self.clients.len() {
            let Some(from) = self.clients[i].behind else {
                continue;
            };
            let end = self.ring.end();
            let next = match self.ring.since(from) {
                Some(chunks) => {
                    let tx = &self.clients[i].tx;
                    let mut at = from;
                    for data in chunks {
                        let len = data.len() as u64;
                        match tx.try_send(output(OutputKind::Stdout, data)) {
                            Ok(()) => at += len,
                            Err(TrySendError::Full(_)) => break,
                            Err(TrySendError::Closed(_)) => {
                                gone.push(self.clients[i].id);
                                break;
                            }
                        }
                    }
                    Some(at)
                }
                None => {
                    // Too far behind for the ring: the screen as it is.
                    // Taken only when the client has room for it.
                    match self.clients[i].tx.try_reserve() {
                        Ok(permit) => {
                            let bytes = match &drawn {
                                Some(b) => b.clone(),
                                None => drawn
                                    .insert(redraw(self.screen.as_mut()).await.into())
                                    .clone(),
                            };
                            permit.send(Ok(ExecResponse {
                                response_type: Some(ResponseType::Output(ExecOutput::redraw(
                                    bytes, end,
                                ))),
                            }));
                            Some(end)
                        }
                        Err(TrySendError::Full(())) => Some(from),
                        Err(TrySendError::Closed(())) => {
                            gone.push(self.clients[i].id);
                            Some(from)
                        }
                    }
                }
            };
            let c = &mut self.clients[i];
            c.behind = next.filter(|&at| at != end);
            if c.behind.is_none() {
                let (session, client) = (&self.session.id, c.id);
                tracing::info!(session, client, "client caught up");
            }
        }
        for id in gone {
            self.leave(id, false).await;
        }
    }

    async fn on_control(&mut self, c: Control) {
        match c {
            Control::Attach {
                client,
                resume_from,
            } => self.attach(client, resume_from).await,
            Control::Leave {
                id,
                detached,
                farewell,
            } => {
                let last = if detached {
                    Some(wire::detached(self.session.about(), self.ring.end()))
                } else {
                    farewell
                };
                let why = last
                    .as_ref()
                    .filter(|s| !s.success)
                    .map(|s| s.message.clone());
                if let (Some(last), Some(c)) = (last, self.clients.iter().find(|c| c.id == id)) {
                    let send = c.tx.send(status(last));
                    if self.session.durable {
                        // A leaving client that does not read its last
                        // status within a moment does not hold the
                        // session (which others may share) up for it.
                        let _ = tokio::time::timeout(LEAVE_WAIT, send).await;
                    } else {
                        // Its one client: the status is what it ends with.
                        let _ = send.await;
                    }
                }
                self.leave_because(id, detached, why).await;
            }
            Control::Resize { id, size } => {
                if let Some(c) = self.clients.iter_mut().find(|c| c.id == id) {
                    c.size = size;
                }
                self.fit().await;
            }
            Control::End(why) => self.end(&why).await,
        }
    }

    /// A client joins: the started status, then what it lacks (the output
    /// since `resume_from` when the ring still holds it, else the screen as
    /// it is), then it is one of the clients for what follows.
    async fn attach(&mut self, client: Client, resume_from: Option<u64>) {
        let (session, id) = (&self.session.id, client.id);
        tracing::info!(session, client = id, "client attached");
        self.clients.push(client);
        self.deadline = None;
        lock(&self.session.state).detached_since = None;
        self.sync_clients();
        // The new client's size counts before the screen is drawn for it.
        self.fit().await;
        let Some(client) = self.clients.pop() else {
            return;
        };
        let catch_up = resume_from.and_then(|from| self.ring.since(from));
        let offset = match &catch_up {
            Some(_) => resume_from.unwrap_or(0),
            None => self.ring.end(),
        };
        let ttl = self.sessions.detached_ttl_ms(true);
        let started = status(wire::attached(self.session.about(), offset, ttl));
        let mut ok = client.tx.send(started).await.is_ok();
        match catch_up {
            Some(chunks) => {
                for data in chunks {
                    ok = ok
                        && client
                            .tx
                            .send(output(OutputKind::Stdout, data))
                            .await
                            .is_ok();
                }
            }
            None => {
                let bytes = redraw(self.screen.as_mut()).await;
                let redraw = Ok(ExecResponse {
                    response_type: Some(ResponseType::Output(ExecOutput::redraw(
                        bytes.into(),
                        offset,
                    ))),
                });
                ok = ok && client.tx.send(redraw).await.is_ok();
            }
        }
        self.clients.push(client);
        if !ok {
            self.leave(id, false).await;
        }
    }

    async fn leave(&mut self, id: u64, on_purpose: bool) {
        self.leave_because(id, on_purpose, None).await;
    }

    /// A client leaves (`why`: it broke the protocol, and how).
    async fn leave_because(&mut self, id: u64, on_purpose: bool, why: Option<String>) {
        let before = self.clients.len();
        self.clients.retain(|c| c.id != id);
        if self.clients.len() == before {
            return;
        }
        let session = &self.session.id;
        tracing::info!(session, client = id, on_purpose, "client left");
        self.sync_clients();
        if !self.clients.is_empty() {
            self.fit().await;
            return;
        }
        if self.ending.is_some() {
            return;
        }
        if !self.session.durable {
            // Nobody can come back to it: it ends with its client.
            let why = why.unwrap_or_else(|| "the client went away".into());
            return self.end(&why).await;
        }
        let ttl = self.sessions.0.config.ttl;
        tracing::info!(session, ?ttl, "session detached");
        // A TTL too large to add is no deadline at all.
        self.deadline = Instant::now().checked_add(ttl);
        lock(&self.session.state).detached_since = Some(std::time::Instant::now());
        let sessions = self.sessions.clone();
        // Not awaited here: ending the oldest session goes through that
        // session's own pump, which may be this one.
        let owner = self.session.owner.clone();
        tokio::spawn(async move { sessions.enforce_cap(&owner).await });
    }

    fn sync_clients(&self) {
        lock(&self.session.state).clients = self.clients.len();
    }

    /// The session's size: the smallest of its clients' (as tmux does), so
    /// every client sees the whole screen. Kept as it was while nobody is
    /// attached.
    async fn fit(&mut self) {
        if !self.session.tty {
            // Without a TTY there is no size to set.
            return;
        }
        let known = self.clients.iter().map(|c| c.size).filter(|s| s.is_known());
        let Some(size) = known.reduce(Size::min) else {
            return;
        };
        if size == self.size {
            return;
        }
        self.size = size;
        lock(&self.session.state).size = size;
        if let Some(screen) = self.screen.as_mut() {
            screen.resize(size).await;
        }
        if let Some(r) = self.audited.recorder.as_mut() {
            r.resize(size);
        }
        let runtime = &self.sessions.0.runtime;
        if let Err(e) = runtime.resize(&self.session.exec_id, size, false).await {
            let session = &self.session.id;
            tracing::debug!(session, "resize failed: {e}");
        }
    }

    async fn end(&mut self, why: &str) {
        if self.ending.is_some() {
            return;
        }
        let session = &self.session.id;
        tracing::info!(session, "ending the session: {why}");
        self.ending = Some(why.to_string());
        lock(&self.session.state).ending = true;
        self.session.kill.cancel();
        self.hang_up_at = Some(Instant::now() + HANG_UP_AFTER);
    }
}

/// The bytes that redraw the session's screen as of the output so far
/// (none without one). (Not a method: the pump is not `Sync`, and its run
/// must be `Send`.)
pub(super) async fn redraw(screen: Option<&mut ScreenFeed>) -> Vec<u8> {
    match screen {
        Some(s) => s.redraw().await,
        None => Vec::new(),
    }
}
