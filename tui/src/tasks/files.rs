//! The files view's work, through the agent (`client::copy`, the same
//! code as `dockyard cp`): a directory listed, a path saved to this
//! machine or put into the container with its progress, and a file read
//! into a read-only pane.

use bytes::Bytes;
use dockyard_client::Client;
use dockyard_client::copy::{self, Sink, Source};
use dockyard_client::dial::status_text;
use tokio::sync::mpsc;

use crate::msg::{FilesEvent, Msg, SessionEvent};

/// A file larger than this is not shown in a pane (saving it works).
const VIEW_LIMIT: usize = 8 * 1024 * 1024;

/// How often a copy's progress reaches the view.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

pub fn spawn_list(
    client: Client,
    id: String,
    path: String,
    select: Option<String>,
    msgs: mpsc::Sender<Msg>,
) {
    tokio::spawn(async move {
        let result = copy::list(&mut client.clone(), &id, &path)
            .await
            .map(|l| {
                let dir = l
                    .stat
                    .as_ref()
                    .is_some_and(|s| s.mode & copy::mode::DIR != 0);
                dir.then_some((l.entries, l.truncated))
            })
            .map_err(|s| status_text(&s));
        let ev = FilesEvent::Listed {
            path,
            result,
            select,
        };
        let _ = msgs.send(Msg::Files(ev)).await;
    });
}

/// "12.3 MB" as docker's progress line says it.
fn amount(n: u64) -> String {
    dockyard_client::text::decimal_bytes(n)
}

/// A progress callback that sends at most one line per
/// [`PROGRESS_EVERY`].
fn reporter(what: String, msgs: mpsc::Sender<Msg>) -> impl FnMut(u64) + Send + 'static {
    let mut last = std::time::Instant::now();
    move |n| {
        if last.elapsed() >= PROGRESS_EVERY {
            last = std::time::Instant::now();
            let _ = msgs.try_send(Msg::Files(FilesEvent::Copy {
                text: format!("{what} – {}", amount(n)),
                done: false,
                error: false,
            }));
        }
    }
}

/// How a copy ended, for the view's footer.
async fn done(msgs: &mpsc::Sender<Msg>, said: Result<String, String>) {
    let (text, error) = match said {
        Ok(t) => (t, false),
        Err(t) => (t, true),
    };
    let ev = FilesEvent::Copy {
        text,
        done: true,
        error,
    };
    let _ = msgs.send(Msg::Files(ev)).await;
}

pub fn spawn_save(client: Client, id: String, source: String, to: String, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let progress = reporter(format!("saving {source}"), msgs.clone());
        let result = copy::copy_from(
            &mut client.clone(),
            &id,
            &source,
            Sink::Path(to.clone()),
            false,
            progress,
        )
        .await;
        let said = match result {
            Ok(n) => Ok(format!("saved {source} to {to} ({})", amount(n))),
            Err(e) => Err(format!("saving {source}: {e}")),
        };
        done(&msgs, said).await;
    });
}

pub fn spawn_put(client: Client, id: String, from: String, dir: String, msgs: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let progress = reporter(format!("putting {from}"), msgs.clone());
        let result = copy::copy_to(
            &mut client.clone(),
            &id,
            Source::Path(from.clone()),
            &dir,
            false,
            false,
            progress,
        )
        .await;
        let said = match result {
            Ok(n) => Ok(format!("put {from} into {dir} ({})", amount(n))),
            Err(e) => Err(format!("putting {from}: {e}")),
        };
        done(&msgs, said).await;
    });
}

/// A writer into memory that refuses more than [`VIEW_LIMIT`] (and a
/// little for the archive's headers).
#[derive(Clone, Default)]
struct Capped(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut v = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        if v.len() + buf.len() > VIEW_LIMIT + 64 * 1024 {
            return Err(std::io::Error::other(format!(
                "larger than {}: save it instead (s in the files view)",
                amount(VIEW_LIMIT as u64)
            )));
        }
        v.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A file of the container read into a pane: its text with line feeds
/// made into new lines, then the pane ends (read-only, searchable).
pub(super) async fn run_view(
    client: Client,
    container: String,
    path: String,
    events: mpsc::Sender<SessionEvent>,
) {
    let buf = Capped::default();
    let result = copy::copy_from(
        &mut client.clone(),
        &container,
        &path,
        Sink::Tar(Box::new(buf.clone())),
        true,
        |_| {},
    )
    .await;
    if let Err(e) = result {
        let _ = events.send(SessionEvent::Failed(e.to_string())).await;
        return;
    }
    if !super::session::started_alone(&events).await {
        return;
    }
    let tar = buf.0.lock().map(|v| v.clone()).unwrap_or_default();
    let (text, why) = match first_file(&tar) {
        Ok(data) if data.contains(&0) => (
            Vec::new(),
            format!(
                "{path}: a binary file of {}: save it instead (s in the files view)",
                amount(data.len() as u64)
            ),
        ),
        Ok(data) => (data, format!("end of {path}")),
        Err(e) => (Vec::new(), format!("{path}: {e}")),
    };
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    for &b in &text {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    let _ = events.send(SessionEvent::Output(Bytes::from(out))).await;
    let _ = events
        .send(SessionEvent::Exited {
            code: 0,
            message: why,
            cause: dockyard_client::Cause::Unspecified,
        })
        .await;
}

/// The contents of the archive's first regular file.
fn first_file(tar: &[u8]) -> Result<Vec<u8>, String> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).map_err(|e| e.to_string())?;
            return Ok(data);
        }
    }
    Err("not a regular file".into())
}
