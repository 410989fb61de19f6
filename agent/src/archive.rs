//! Files in and out of a container through the engine's archive API
//! (`HEAD`, `GET` and `PUT /containers/{id}/archive`), as `docker cp` uses
//! it: nothing runs inside the container, so it works on one without a
//! shell or `tar`, and on a stopped one. The agent passes the tar streams
//! through in chunks, with the gRPC stream's flow control as the bound on
//! what it holds; docker's rules for what lands where are the client's
//! (`dockyard_client::copy`), as they are docker's CLI's.

use bytes::Bytes;
use dockyard_proto::pb;
use futures::{Stream, StreamExt, TryStreamExt};
use http_body_util::BodyExt;

use crate::engine::{Engine, refusal};
use crate::error::AgentError;
use crate::exec::check_container_name;

/// An archive's bytes per message: a bulk stream nobody watches byte by
/// byte, so larger than an exec's (fewer messages for the same bytes: 64
/// KiB cost a 200 MB copy a tenth of its speed).
const ARCHIVE_CHUNK: usize = 256 * 1024;

/// The header the engine puts a path's stat in (base64 of JSON).
const STAT_HEADER: &str = "x-docker-container-path-stat";

pub type ArchiveStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<pb::ArchiveChunk, AgentError>> + Send>>;

/// `?path=P` as the engine reads it.
fn archive_uri(container: &str, path: &str, extra: &str) -> String {
    let path: String =
        percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC).collect();
    format!("/containers/{container}/archive?path={path}{extra}")
}

fn check(req_container: &str, path: &str) -> Result<(), AgentError> {
    check_container_name(req_container)?;
    if path.is_empty() {
        return Err(AgentError::InvalidArgument("a path is needed".into()));
    }
    if path.contains('\0') {
        return Err(AgentError::InvalidArgument(
            "a path cannot hold a NUL byte".into(),
        ));
    }
    Ok(())
}

/// The engine's stat header as the wire's `PathStat`.
fn parse_stat(res: &hyper::Response<hyper::body::Incoming>) -> Result<pb::PathStat, AgentError> {
    use base64::Engine as _;
    let bad =
        |why: &str| AgentError::Engine(format!("the engine's path stat is unreadable: {why}"));
    let header = res
        .headers()
        .get(STAT_HEADER)
        .ok_or_else(|| bad("missing"))?;
    let json = base64::engine::general_purpose::STANDARD
        .decode(header.as_bytes())
        .map_err(|e| bad(&e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))?;
    let text = |k: &str| {
        v.get(k)
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Ok(pb::PathStat {
        name: text("name"),
        size: v.get("size").and_then(|s| s.as_i64()).unwrap_or_default(),
        mode: v.get("mode").and_then(|s| s.as_u64()).unwrap_or_default() as u32,
        mtime: text("mtime"),
        link_target: text("linkTarget"),
    })
}

/// What a refused archive request means: the container or the path is
/// not there (the engine's own words for the path), or another failure.
async fn refused(
    engine: &Engine,
    container: &str,
    path: &str,
    res: hyper::Response<hyper::body::Incoming>,
) -> AgentError {
    let status = res.status().as_u16();
    let message = refusal(res).await;
    if status != 404 {
        return AgentError::from_status(status, message, || {
            AgentError::ContainerNotFound(container.to_string())
        });
    }
    // A HEAD's 404 has no words: which of the two is missing is asked.
    let container_there = match engine.docker().await {
        Ok(docker) => docker.inspect_container(container, None).await.is_ok(),
        Err(_) => true,
    };
    if !container_there || message.starts_with("No such container") {
        AgentError::ContainerNotFound(container.to_string())
    } else if message.is_empty() {
        AgentError::PathNotFound(format!(
            "Could not find the file {path} in container {container}"
        ))
    } else {
        AgentError::PathNotFound(message)
    }
}

/// `path`'s stat in the container (the link itself for a symbolic link).
pub async fn stat(engine: &Engine, req: pb::PathRequest) -> Result<pb::PathStat, AgentError> {
    let (name, path) = (&req.container_identifier, &req.path);
    check(name, path)?;
    engine.check_owned(name).await?;
    let res = engine
        .send(hyper::Method::HEAD, &archive_uri(name, path, ""), None)
        .await?;
    if !res.status().is_success() {
        return Err(refused(engine, name, path, res).await);
    }
    parse_stat(&res)
}

/// `path` as a tar stream: the first message holds its stat, the rest
/// the engine's tar as it comes.
pub async fn copy_from(
    engine: std::sync::Arc<Engine>,
    req: pb::PathRequest,
) -> Result<ArchiveStream, AgentError> {
    let (name, path) = (&req.container_identifier, &req.path);
    check(name, path)?;
    engine.check_owned(name).await?;
    let res = engine
        .send(hyper::Method::GET, &archive_uri(name, path, ""), None)
        .await?;
    if !res.status().is_success() {
        return Err(refused(&engine, name, path, res).await);
    }
    let stat = parse_stat(&res)?;
    let at = engine.addr().uri();
    // What the engine has sent by the time a message goes, up to
    // ARCHIVE_CHUNK, in one message.
    let data = res
        .into_body()
        .into_data_stream()
        .ready_chunks(ARCHIVE_CHUNK / 8192)
        .map(move |frames| {
            let mut frames = frames
                .into_iter()
                .collect::<Result<Vec<Bytes>, _>>()
                .map_err(|e| AgentError::unavailable(&at, crate::error::innermost(&e)))?;
            let data = if frames.len() == 1 {
                frames.remove(0)
            } else {
                let mut data = bytes::BytesMut::with_capacity(frames.iter().map(Bytes::len).sum());
                for f in &frames {
                    data.extend_from_slice(f);
                }
                data.freeze()
            };
            Ok(pb::ArchiveChunk { stat: None, data })
        });
    let head = futures::stream::iter([Ok(pb::ArchiveChunk {
        stat: Some(stat),
        data: Bytes::new(),
    })]);
    Ok(Box::pin(head.chain(data)))
}

/// Extracts the tar that `rest` carries into the directory `first.path`
/// of the container. The stream must end with a message saying `end`;
/// one that stops without it (a client gone, a local read that failed)
/// aborts the request, so the engine never mistakes a cut tar for a
/// whole one.
pub async fn copy_to<S>(
    engine: &Engine,
    first: pb::CopyToRequest,
    rest: S,
) -> Result<(), AgentError>
where
    S: Stream<Item = Result<pb::CopyToRequest, tonic::Status>> + Send + Unpin + 'static,
{
    let (name, path) = (&first.container_identifier, &first.path);
    check(name, path)?;
    engine.check_owned(name).await?;
    let mut extra = String::from("&noOverwriteDirNonDir=true");
    if first.copy_uid_gid {
        extra.push_str("&copyUIDGID=true");
    }
    let head = futures::stream::iter([Ok(first.data.clone())]);
    let rest = futures::stream::unfold((rest, first.end), |(mut rest, ended)| async move {
        if ended {
            return None;
        }
        let next = match rest.next().await {
            Some(Ok(m)) => return Some((Ok(m.data), (rest, m.end))),
            Some(Err(s)) => std::io::Error::other(s.message().to_string()),
            None => std::io::Error::other("the archive was cut short"),
        };
        Some((Err(next), (rest, true)))
    });
    let body = head
        .chain(rest)
        .try_filter(|d: &Bytes| futures::future::ready(!d.is_empty()));
    let res = engine
        .send(
            hyper::Method::PUT,
            &archive_uri(name, path, &extra),
            Some(bollard::body_try_stream(body)),
        )
        .await?;
    if !res.status().is_success() {
        return Err(refused(engine, name, path, res).await);
    }
    Ok(())
}

/// At most this many entries of one directory are listed.
pub const LIST_LIMIT: usize = 20_000;

/// The entries of the directory `path` (its stat alone for a file): the
/// engine's archive of `path/.` read for its headers only (contents are
/// skipped as they pass), on a blocking thread.
pub async fn list(engine: &Engine, req: pb::PathRequest) -> Result<pb::PathListing, AgentError> {
    let stat = stat(engine, req.clone()).await?;
    let (name, path) = (&req.container_identifier, &req.path);
    const DIR: u32 = 1 << 31;
    if stat.mode & DIR == 0 {
        return Ok(pb::PathListing {
            stat: Some(stat),
            ..Default::default()
        });
    }
    let dot = format!("{}/.", path.trim_end_matches('/'));
    let res = engine
        .send(hyper::Method::GET, &archive_uri(name, &dot, ""), None)
        .await?;
    if !res.status().is_success() {
        return Err(refused(engine, name, path, res).await);
    }
    let body = tokio_util::io::StreamReader::new(
        res.into_body()
            .into_data_stream()
            .map_err(std::io::Error::other),
    );
    let at = engine.addr().uri();
    let reader = tokio_util::io::SyncIoBridge::new(body);
    // A request given up on (the client moved on) stops the reading.
    let gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct Gone(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Gone {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let _gone = Gone(gone.clone());
    let (mut entries, truncated) = tokio::task::spawn_blocking(move || entries_of(reader, &gone))
        .await
        .map_err(|e| AgentError::Engine(e.to_string()))?
        .map_err(|e| AgentError::unavailable(&at, e.to_string()))?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pb::PathListing {
        stat: Some(stat),
        entries,
        truncated,
    })
}

/// The first level of a `dir/.` archive (names `./NAME`), up to
/// [`LIST_LIMIT`]; the rest of the archive is read through and dropped.
fn entries_of(
    reader: impl std::io::Read,
    gone: &std::sync::atomic::AtomicBool,
) -> std::io::Result<(Vec<pb::PathEntry>, bool)> {
    let mut archive = tar::Archive::new(reader);
    let mut out = Vec::new();
    let mut truncated = false;
    for entry in archive.entries()? {
        if gone.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::other("the listing was given up"));
        }
        let entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let rel = raw.trim_start_matches("./").trim_end_matches('/');
        if rel.is_empty() || rel == "." || rel.contains('/') {
            continue;
        }
        if out.len() >= LIST_LIMIT {
            // The rest is not read (the entries come in the walk's order,
            // so which are listed is the engine's, not by name).
            truncated = true;
            break;
        }
        let h = entry.header();
        let kind = match h.entry_type() {
            tar::EntryType::Directory => pb::PathKind::Dir,
            tar::EntryType::Symlink => pb::PathKind::Symlink,
            tar::EntryType::Link => pb::PathKind::Hardlink,
            t if t.is_file() => pb::PathKind::File,
            _ => pb::PathKind::Other,
        };
        let link_target = entry
            .link_name_bytes()
            .map(|l| {
                String::from_utf8_lossy(&l)
                    .trim_start_matches("./")
                    .to_string()
            })
            .unwrap_or_default();
        let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        let h = entry.header();
        out.push(pb::PathEntry {
            name: rel.to_string(),
            size: entry.size() as i64,
            mode: h.mode().unwrap_or(0) & 0o7777,
            uid: h.uid().unwrap_or(0) as u32,
            gid: h.gid().unwrap_or(0) as u32,
            user: text(h.username_bytes()).unwrap_or_default(),
            group: text(h.groupname_bytes()).unwrap_or_default(),
            mtime: h.mtime().unwrap_or(0) as i64,
            link_target,
            kind: kind.into(),
        });
        // Its contents pass unread: the next entry skips them.
    }
    Ok((out, truncated))
}
