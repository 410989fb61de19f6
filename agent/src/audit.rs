//! The agent's audit trail, whatever the clients do: `--audit-log FILE`,
//! one JSON line per exec at its start and at its end (who, where, what,
//! how it ended, bytes each way; never what was typed), and
//! `--record-dir DIR`, every TTY session recorded as asciicast v2, one file
//! per session, its header naming who and what, the exit code as a final
//! marker. Files are capped (`--record-max-file` per recording, beyond
//! which it stops with a marker saying so; `--record-max-dir` for the
//! directory, the oldest recordings removed first, logged).

use dockyard_term::Size;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use dockyard_cast::{Header, Recording};
use serde_json::json;

use crate::auth::Caller;
use crate::exec::ExecSpec;

#[derive(Debug, Clone, Default)]
pub struct AuditConfig {
    pub log: Option<PathBuf>,
    pub record_dir: Option<PathBuf>,
    pub record_max_file: u64,
    pub record_max_dir: u64,
}

impl AuditConfig {
    pub const DEFAULT_MAX_FILE: u64 = 64 << 20;
    pub const DEFAULT_MAX_DIR: u64 = 1 << 30;
}

/// The audit trail of one agent. Writing never fails an exec: an error is
/// logged and the exec goes on.
pub struct Audit {
    log: Option<Mutex<File>>,
    record_dir: Option<PathBuf>,
    max_file: u64,
    max_dir: u64,
    host: String,
}

/// One exec, as the audit trail names it.
#[derive(Debug, Clone)]
pub struct ExecRecord {
    pub exec_id: String,
    pub who: Caller,
    pub container: String,
    pub command: Vec<String>,
    pub user: String,
    pub workdir: String,
    pub tty: bool,
    pub detach: bool,
    pub session: Option<String>,
    started: Instant,
}

impl ExecRecord {
    pub fn new(exec_id: &str, who: &Caller, spec: &ExecSpec) -> Self {
        ExecRecord {
            exec_id: exec_id.to_string(),
            who: who.clone(),
            container: spec.container.clone(),
            command: spec.cmd.clone(),
            user: spec.user.clone(),
            workdir: spec.working_dir.clone(),
            tty: spec.tty,
            detach: spec.detach,
            session: None,
            started: Instant::now(),
        }
    }
}

/// How an exec ended, for its end line.
#[derive(Debug, Default)]
pub struct Outcome {
    pub exit_code: Option<i32>,
    /// Why there is no exit code, or how it was ended.
    pub note: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Audit {
    /// Owner-only files: what root shells showed, who ran what.
    pub fn open(config: &AuditConfig) -> std::io::Result<Self> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let log = match &config.log {
            Some(p) => Some(Mutex::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(p)?,
            )),
            None => None,
        };
        if let Some(d) = &config.record_dir {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)?;
        }
        Ok(Audit {
            log,
            record_dir: config.record_dir.clone(),
            max_file: config.record_max_file,
            max_dir: config.record_max_dir,
            host: hostname(),
        })
    }

    /// Audits nothing (the embedded agent; an agent without the flags).
    pub fn none() -> Self {
        Audit {
            log: None,
            record_dir: None,
            max_file: 0,
            max_dir: 0,
            host: String::new(),
        }
    }

    fn line(&self, v: serde_json::Value) {
        let Some(log) = &self.log else {
            return;
        };
        let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = v.to_string();
        text.push('\n');
        if let Err(e) = f.write_all(text.as_bytes()) {
            tracing::error!("audit log: {e}");
        }
    }

    fn common(&self, r: &ExecRecord, event: &str) -> serde_json::Value {
        json!({
            "time": rfc3339_now(),
            "event": event,
            "who": r.who.to_string(),
            "host": self.host,
            "container": r.container,
            "command": r.command,
            "user": r.user,
            "workdir": r.workdir,
            "tty": r.tty,
            "detach": r.detach,
            "exec_id": r.exec_id,
            "session": r.session,
        })
    }

    pub fn started(&self, r: &ExecRecord) {
        self.line(self.common(r, "start"));
    }

    pub fn ended(&self, r: &ExecRecord, o: &Outcome) {
        let mut v = self.common(r, "end");
        v["exit_code"] = json!(o.exit_code);
        v["note"] = json!(o.note);
        v["duration_ms"] = json!(r.started.elapsed().as_millis() as u64);
        v["bytes_in"] = json!(o.bytes_in);
        v["bytes_out"] = json!(o.bytes_out);
        self.line(v);
    }

    /// A recording of TTY session `r`, when recording is on.
    pub fn recorder(&self, r: &ExecRecord, size: Size) -> Option<Recorder> {
        let dir = self.record_dir.as_ref()?;
        self.make_room(dir);
        let stamp = rfc3339_now().replace([':', '.'], "");
        let path = dir.join(format!(
            "{stamp}-{}.cast",
            r.session.as_deref().unwrap_or(&r.exec_id)
        ));
        let title = format!("{}/{}", self.host, r.container);
        let header = Header {
            extra: json!({"dockyard": {
                "who": r.who.to_string(),
                "token": r.who.token,
                "certificate": r.who.certificate,
                "host": self.host,
                "container": r.container,
                "command": r.command,
                "user": r.user,
                "exec_id": r.exec_id,
                "session": r.session,
            }})
            .as_object()
            .cloned()
            .unwrap_or_default(),
            ..Header::for_session(size, &r.command, title)
        };
        match Recording::create(&path, &header) {
            Ok(r) => Some(Recorder(
                r.capped(self.max_file, "recording stopped: over --record-max-file"),
            )),
            Err(e) => {
                tracing::error!("cannot record to {}: {e}", path.display());
                None
            }
        }
    }

    /// Removes the oldest recordings while the directory holds more than
    /// its cap.
    fn make_room(&self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut casts: Vec<(SystemTime, u64, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "cast"))
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        casts.sort();
        let mut total: u64 = casts.iter().map(|c| c.1).sum();
        for (_, len, path) in casts {
            // Room for one more file at its cap.
            if total + self.max_file <= self.max_dir {
                break;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::warn!(file = %path.display(), "recording directory over --record-max-dir: oldest recording removed");
                    total = total.saturating_sub(len);
                }
                Err(e) => tracing::error!("cannot remove {}: {e}", path.display()),
            }
        }
    }
}

/// One session's recording: the shared one (`dockyard_cast::Recording`),
/// capped at `--record-max-file`, its stops said in the agent's log.
pub struct Recorder(Recording);

impl Recorder {
    fn said(&self, r: Result<(), String>) {
        if let Err(why) = r {
            let file = self.0.path().display().to_string();
            tracing::warn!(file, "recording stopped: {why}");
        }
    }

    /// Output, until the file reaches its cap: the event that reaches it
    /// is the last, followed by a marker saying why.
    pub fn output(&mut self, data: &[u8]) {
        let r = self.0.output(data);
        self.said(r);
    }

    pub fn resize(&mut self, size: Size) {
        let r = self.0.resize(size);
        self.said(r);
    }

    /// The end: the exit code as a marker.
    pub fn finish(&mut self, exit: &str) {
        let r = self.0.finish(Some(exit));
        self.said(r);
    }
}
