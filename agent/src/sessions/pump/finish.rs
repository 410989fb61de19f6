//! How a session ends: the one final status (the exit code, or why it
//! could not be had), the audit trail, each client's last words (the rest
//! of the output first for one left behind), attaches that raced the end,
//! and the runtime told the session is over.

use dockyard_proto::Cause;
use dockyard_proto::pb::exec_response::ResponseType;
use dockyard_proto::pb::{ExecOutput, ExecResponse, ExecStatus, OutputKind};

use super::{Control, ENGINE_RETURN_LIMIT, Pump, redraw};
use crate::audit::Outcome;
use crate::error::AgentError;
use crate::exec;
use crate::wire::{self, output, status};

impl Pump {
    /// The output ended: every client gets the final status, and the
    /// session is gone.
    pub(super) async fn finish(mut self) {
        let session = self.session.clone();
        let final_status = self.final_status().await;
        tracing::info!(
            session = session.id,
            code = final_status.exit_code,
            success = final_status.success,
            "exec finished"
        );
        if session.durable {
            self.sessions.forget(&session.id);
        }
        let exit_code = Some(final_status.exit_code).filter(|_| final_status.success);
        if let Some(r) = self.audited.recorder.as_mut() {
            r.finish(&match exit_code {
                Some(c) => format!("exit {c}"),
                None => "exit unknown".to_string(),
            });
        }
        let outcome = Outcome {
            exit_code,
            note: self
                .ending
                .clone()
                .or_else(|| (!final_status.success).then(|| final_status.message.clone())),
            bytes_in: session.bytes_in.load(std::sync::atomic::Ordering::Relaxed),
            bytes_out: self.ring.end(),
        };
        self.audited.audit.ended(&self.audited.record, &outcome);
        for c in std::mem::take(&mut self.clients) {
            // A client left behind is owed the rest of the output first.
            let mut last = Vec::new();
            if let Some(from) = c.behind {
                match self.ring.since(from) {
                    Some(chunks) => {
                        last.extend(chunks.into_iter().map(|d| output(OutputKind::Stdout, d)));
                    }
                    None => {
                        let bytes = redraw(self.screen.as_mut()).await.into();
                        last.push(Ok(ExecResponse {
                            response_type: Some(ResponseType::Output(ExecOutput::redraw(
                                bytes,
                                self.ring.end(),
                            ))),
                        }));
                    }
                }
            }
            last.push(status(final_status.clone()));
            let deliver = async move {
                for msg in last {
                    if c.tx.send(msg).await.is_err() {
                        break;
                    }
                }
            };
            if session.durable {
                // One of maybe several, which may be stopped: it gets its
                // last words whenever it reads again, while the others get
                // theirs now (it ends when its stream is gone).
                self.sessions.0.tracker.spawn(deliver);
            } else {
                // Its one client: the status is what it ends with.
                deliver.await;
            }
        }
        // Attaches that raced the end: no session to join any more.
        self.control.close();
        while let Some(c) = self.control.recv().await {
            if let Control::Attach { client, .. } = c {
                let _ = client
                    .tx
                    .send(status(wire::refused(
                        Cause::SessionNotFound,
                        AgentError::SessionEnded(session.id.clone()).to_string(),
                    )))
                    .await;
            }
        }
        // After the clients have their status: what the runtime set up for
        // the session (a debug helper) goes off their path.
        self.sessions.0.runtime.ended(&session.exec_id).await;
        session.ended.cancel();
    }

    /// The one final status of every exec: its exit code (126/127 told
    /// apart from the runtime's message), or why it could not be had.
    /// (`&mut`: the pump holds the output stream, which is not `Sync`.)
    async fn final_status(&mut self) -> ExecStatus {
        let runtime = &self.sessions.0.runtime;
        let session = &self.session;
        match runtime.exit_code(&session.exec_id).await {
            Ok(code) => {
                let message = match (&self.ending, session.durable) {
                    (None, _) => "Execution completed".into(),
                    (Some(why), true) => format!("the session was ended: {why}"),
                    (Some(why), false) => format!("{why}; the command was ended"),
                };
                let offset = if session.durable { self.ring.end() } else { 0 };
                let raw = i32::try_from(code).unwrap_or(-1);
                let code = exec::classify_exit(code, &self.early);
                let mut done = wire::finished(session.about(), code, message, offset);
                if exec::runtime_not_found(raw, &self.early) {
                    done.cause = Cause::CommandNotFound.into();
                }
                done
            }
            Err(e) => {
                tracing::warn!(session = session.id, "exec lost: {e}");
                // The engine went away under the exec: its process runs on
                // unattended. End it once the engine can say which it is.
                if matches!(e, AgentError::EngineUnavailable { .. }) {
                    let exec_id = session.exec_id.clone();
                    tokio::spawn(runtime.kill_when_back(exec_id, ENGINE_RETURN_LIMIT));
                }
                let message = format!("Failed to get execution result: {e}");
                wire::failed(session.about(), e.cause(), message)
            }
        }
    }
}
