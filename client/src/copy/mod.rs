//! Files in and out of a container through the agent, with `docker cp`'s
//! meaning: the agent passes the engine's archive API through (nothing
//! runs in the container), and this side applies docker's rules
//! ([`rules`]) to the local files ([`local`]). One implementation for
//! `dockyard cp` and the TUI's files pane.

pub mod local;
pub mod rules;

use std::io::Write;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::Client;
use crate::pb;
use rules::CopyInfo;

/// Go's `os.FileMode` bits, as the engine's stat carries them.
pub mod mode {
    pub const DIR: u32 = 1 << 31;
    pub const SYMLINK: u32 = 1 << 27;
    pub const DEVICE: u32 = 1 << 26;
    pub const NAMED_PIPE: u32 = 1 << 25;
    pub const SOCKET: u32 = 1 << 24;
    pub const SETUID: u32 = 1 << 23;
    pub const SETGID: u32 = 1 << 22;
    pub const CHAR_DEVICE: u32 = 1 << 21;
    pub const STICKY: u32 = 1 << 20;
    pub const IRREGULAR: u32 = 1 << 19;
}

/// Why a copy failed: the agent's answer, or the local side's words.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{}", crate::dial::status_text(.0))]
    Agent(#[from] tonic::Status),
    #[error("{0}")]
    Local(String),
}

impl From<rules::RuleError> for CopyError {
    fn from(e: rules::RuleError) -> Self {
        CopyError::Local(e.to_string())
    }
}

/// Where a copy out of a container goes.
pub enum Sink {
    /// A local path, as `docker cp` takes it.
    Path(String),
    /// The engine's tar as it is (`docker cp c:p -`).
    Tar(Box<dyn std::io::Write + Send>),
}

/// Where a copy into a container comes from.
pub enum Source {
    Path(String),
    /// A tar stream to extract as it is (`docker cp - c:p`).
    Tar(Box<dyn std::io::Read + Send>),
}

/// `path`'s stat in `container` (a link's own, not its target's).
pub async fn stat(
    client: &mut Client,
    container: &str,
    path: &str,
) -> Result<pb::PathStat, tonic::Status> {
    client
        .stat_path(pb::PathRequest {
            container_identifier: container.to_string(),
            path: path.to_string(),
        })
        .await
        .map(|r| r.into_inner())
}

/// The entries of the directory `path` in `container` (by name), or a
/// file's stat alone.
pub async fn list(
    client: &mut Client,
    container: &str,
    path: &str,
) -> Result<pb::PathListing, tonic::Status> {
    client
        .list_path(pb::PathRequest {
            container_identifier: container.to_string(),
            path: path.to_string(),
        })
        .await
        .map(|r| r.into_inner())
}

/// `ls -l`'s mode column for an entry: `drwxr-xr-x`, `lrwxrwxrwx`, with
/// setuid, setgid and sticky as `s`, `s` and `t`.
pub fn mode_text(kind: pb::PathKind, mode: u32) -> String {
    let mut out = String::with_capacity(10);
    out.push(match kind {
        pb::PathKind::Dir => 'd',
        pb::PathKind::Symlink => 'l',
        pb::PathKind::File | pb::PathKind::Hardlink => '-',
        pb::PathKind::Other => '?',
    });
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let special = |x: bool, s: bool, on: char, off: char| match (x, s) {
        (true, true) => on,
        (false, true) => off,
        (x, false) => {
            if x {
                'x'
            } else {
                '-'
            }
        }
    };
    out.push(bit(0o400, 'r'));
    out.push(bit(0o200, 'w'));
    out.push(special(mode & 0o100 != 0, mode & 0o4000 != 0, 's', 'S'));
    out.push(bit(0o040, 'r'));
    out.push(bit(0o020, 'w'));
    out.push(special(mode & 0o010 != 0, mode & 0o2000 != 0, 's', 'S'));
    out.push(bit(0o004, 'r'));
    out.push(bit(0o002, 'w'));
    out.push(special(mode & 0o001 != 0, mode & 0o1000 != 0, 't', 'T'));
    out
}

/// docker's `copyFromContainer`: `src` in `container` to `sink`.
/// `progress` hears the archive's bytes so far. Returns the archive's
/// size.
pub async fn copy_from(
    client: &mut Client,
    container: &str,
    src: &str,
    sink: Sink,
    follow_link: bool,
    mut progress: impl FnMut(u64) + Send + 'static,
) -> Result<u64, CopyError> {
    let dst = match &sink {
        Sink::Path(p) => {
            let abs = local::absolute(p).map_err(CopyError::Local)?;
            local::validate_output(&abs).map_err(CopyError::Local)?;
            Some(abs)
        }
        Sink::Tar(_) => None,
    };
    let mut src = src.to_string();
    let mut rebase_name = None;
    if follow_link {
        // A link is copied as what it points to, under its own name.
        if let Ok(st) = stat(client, container, &src).await
            && st.mode & mode::SYMLINK != 0
        {
            let mut target = st.link_target.clone();
            if !target.starts_with('/') {
                target = rules::join(&rules::split_path_dir_entry(&src).0, &target);
            }
            let (resolved, rebase) = rules::get_rebase_name(&src, &target);
            src = resolved;
            rebase_name = rebase;
        }
    }
    let mut stream = client
        .copy_from(pb::PathRequest {
            container_identifier: container.to_string(),
            path: src.clone(),
        })
        .await?
        .into_inner();
    let first = stream
        .message()
        .await?
        .ok_or_else(|| CopyError::Local("the agent sent no archive".into()))?;
    let st = first.stat.unwrap_or_default();
    let (tx, rx) = mpsc::channel::<std::io::Result<Vec<Bytes>>>(4);
    // What has arrived goes to the writing thread together: one wake of
    // it per batch, not per message.
    let feed = async move {
        let mut total = 0u64;
        let mut batches = stream.ready_chunks(16);
        while let Some(batch) = batches.next().await {
            let mut chunks = Vec::with_capacity(batch.len());
            for m in batch {
                match m {
                    Ok(m) => {
                        total += m.data.len() as u64;
                        chunks.push(m.data);
                    }
                    Err(s) => {
                        let _ = tx.send(Ok(chunks)).await;
                        let _ = tx
                            .send(Err(std::io::Error::other(crate::dial::status_text(&s))))
                            .await;
                        return Err(CopyError::Agent(s));
                    }
                }
            }
            progress(total);
            if tx.send(Ok(chunks)).await.is_err() {
                break;
            }
        }
        Ok(total)
    };
    let write: tokio::task::JoinHandle<Result<(), String>> = match (sink, dst) {
        (Sink::Tar(mut out), _) => tokio::task::spawn_blocking(move || {
            std::io::copy(&mut ChannelRead::new(rx), &mut out).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())
        }),
        (Sink::Path(_), Some(dst)) => {
            let src_info = CopyInfo {
                path: src.clone(),
                exists: true,
                is_dir: st.mode & mode::DIR != 0,
                rebase_name: rebase_name.clone(),
            };
            tokio::task::spawn_blocking(move || {
                let dst_info = local::destination_info(&dst)?;
                let mut placement =
                    rules::prepare(&src_info, &dst_info).map_err(|e| e.to_string())?;
                if let Some(rebase) = &rebase_name {
                    let (_, src_base) = rules::split_path_dir_entry(&src_info.path);
                    placement.renames.insert(0, (src_base, rebase.clone()));
                }
                local::untar(ChannelRead::new(rx), &placement.dir, &placement).map(|_| ())
            })
        }
        (Sink::Path(_), None) => unreachable!("a path sink has its destination"),
    };
    let (fed, written) = tokio::join!(feed, write);
    // The agent's failure says more than the cut archive it caused.
    let total = fed?;
    written
        .map_err(|e| CopyError::Local(e.to_string()))?
        .map_err(CopyError::Local)?;
    Ok(total)
}

/// docker's `copyToContainer`: `source` to `dst` in `container`;
/// `copy_uid_gid` is `-a`. `progress` hears the archive's bytes so far.
/// Returns the archive's size.
pub async fn copy_to(
    client: &mut Client,
    container: &str,
    source: Source,
    dst: &str,
    follow_link: bool,
    copy_uid_gid: bool,
    mut progress: impl FnMut(u64) + Send + 'static,
) -> Result<u64, CopyError> {
    let mut dst_info = CopyInfo {
        path: dst.to_string(),
        ..Default::default()
    };
    let mut st = stat(client, container, dst).await;
    if let Ok(s) = &st
        && s.mode & mode::SYMLINK != 0
    {
        let mut target = s.link_target.clone();
        if !target.starts_with('/') {
            target = rules::join(&rules::split_path_dir_entry(dst).0, &target);
        }
        dst_info.path = target.clone();
        st = stat(client, container, &target).await;
    }
    if let Ok(s) = &st {
        let what = if s.mode & mode::DEVICE != 0 {
            Some("got a device")
        } else if s.mode & mode::IRREGULAR != 0 {
            Some("got an irregular file")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(CopyError::Local(format!(
                "destination \"{container}:{dst}\" must be a directory or a regular file: {what}"
            )));
        }
        dst_info.exists = true;
        dst_info.is_dir = s.mode & mode::DIR != 0;
    }
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    let (dir, produce): (String, tokio::task::JoinHandle<Result<(), String>>) = match source {
        Source::Tar(mut input) => {
            if !dst_info.is_dir {
                return Err(CopyError::Local(format!(
                    "destination \"{container}:{dst}\" must be a directory"
                )));
            }
            let produce = tokio::task::spawn_blocking(move || {
                let mut out = std::io::BufWriter::with_capacity(64 * 1024, ChannelWrite(tx));
                std::io::copy(&mut input, &mut out).map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())
            });
            (dst_info.path.clone(), produce)
        }
        Source::Path(src) => {
            let src = local::absolute(&src).map_err(CopyError::Local)?;
            let src_info = local::source_info(&src, follow_link).map_err(CopyError::Local)?;
            let placement = rules::prepare(&src_info, &dst_info)?;
            let dir = placement.dir.clone();
            let produce = tokio::task::spawn_blocking(move || {
                let out = std::io::BufWriter::with_capacity(64 * 1024, ChannelWrite(tx));
                local::write_tar(&src_info, &placement, out)
            });
            (dir, produce)
        }
    };
    let (whole_tx, whole_rx) = tokio::sync::oneshot::channel();
    let produced = async {
        let r = produce
            .await
            .map_err(|e| CopyError::Local(e.to_string()))?
            .map_err(CopyError::Local);
        if r.is_ok() {
            let _ = whole_tx.send(());
        }
        r
    };
    let total = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = total.clone();
    let counted =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) }).map(
            move |b| {
                let len = b.len() as u64;
                let so_far = seen.fetch_add(len, std::sync::atomic::Ordering::Relaxed) + len;
                progress(so_far);
                b
            },
        );
    let sent = upload(client, container, &dir, copy_uid_gid, counted, whole_rx);
    let (produced, sent) = tokio::join!(produced, sent);
    match (produced, sent) {
        (Ok(()), Ok(())) => Ok(total.load(std::sync::atomic::Ordering::Relaxed)),
        // The agent refused (no such directory, a read-only root): the
        // archive it stopped reading broke the local side's pipe.
        (Err(CopyError::Local(l)), Err(agent)) if l.contains("broken pipe") => Err(agent),
        // A local failure (a file that cannot be read) says more than the
        // aborted upload it caused.
        (Err(local), _) => Err(local),
        (Ok(()), Err(agent)) => Err(agent),
    }
}

/// The archive from `chunks` extracted into `dir` of `container`. The
/// last message says the archive is whole (`whole` fired): without it
/// the agent aborts the extraction, so a tar cut short is never taken
/// for a whole one.
async fn upload(
    client: &mut Client,
    container: &str,
    dir: &str,
    copy_uid_gid: bool,
    chunks: impl futures::Stream<Item = Bytes> + Send + 'static,
    whole: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), CopyError> {
    let first = pb::CopyToRequest {
        container_identifier: container.to_string(),
        path: dir.to_string(),
        copy_uid_gid,
        ..Default::default()
    };
    let data = chunks.map(|data| pb::CopyToRequest {
        data,
        ..Default::default()
    });
    let end = futures::stream::once(whole).filter_map(|w| async move {
        w.ok().map(|()| pb::CopyToRequest {
            end: true,
            ..Default::default()
        })
    });
    let requests = futures::stream::iter([first]).chain(data).chain(end);
    client.copy_to(requests).await?;
    Ok(())
}

/// A blocking reader of what a channel brings (an extraction on a
/// blocking thread, fed by the gRPC stream).
struct ChannelRead {
    rx: mpsc::Receiver<std::io::Result<Vec<Bytes>>>,
    /// The batch being read, last chunk first.
    batch: Vec<Bytes>,
    current: Bytes,
}

impl ChannelRead {
    fn new(rx: mpsc::Receiver<std::io::Result<Vec<Bytes>>>) -> Self {
        ChannelRead {
            rx,
            batch: Vec::new(),
            current: Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if let Some(next) = self.batch.pop() {
                self.current = next;
                continue;
            }
            match self.rx.blocking_recv() {
                Some(batch) => {
                    self.batch = batch?;
                    self.batch.reverse();
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// A blocking writer into a channel (a tar made on a blocking thread,
/// sent by the gRPC stream); a closed channel is a broken pipe.
struct ChannelWrite(mpsc::Sender<Bytes>);

impl std::io::Write for ChannelWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| std::io::ErrorKind::BrokenPipe)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_ls_writes_them() {
        assert_eq!(mode_text(pb::PathKind::Dir, 0o755), "drwxr-xr-x");
        assert_eq!(mode_text(pb::PathKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_text(pb::PathKind::File, 0o2640), "-rw-r-S---");
        assert_eq!(mode_text(pb::PathKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_text(pb::PathKind::Symlink, 0o777), "lrwxrwxrwx");
    }
}
