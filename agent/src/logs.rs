//! A container's logs, read by hand like exec output (see `attach.rs`):
//! bollard's log stream guesses the framing at every read, which corrupts
//! a TTY container's raw log whenever a read starts with 0x00..0x02. The
//! container's own `Tty` setting says which framing applies.

use bytes::Bytes;
use dockyard_proto::pb;
use futures::{Stream, StreamExt, TryStreamExt};
use http_body_util::BodyExt;
use tokio_util::codec::FramedRead;
use tokio_util::io::{ReaderStream, StreamReader};

use crate::attach::StdFrames;
use crate::batch::Batched;
use crate::chunk::{Chunk, READ_CHUNK, StdStream};
use crate::engine::Engine;
use crate::error::AgentError;
use crate::exec::check_container_name;

pub type LogsStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<pb::LogsChunk, AgentError>> + Send>>;

/// How long a followed log that ended watches its stopped container for a
/// removal (`rm -f` kills first and removes a moment later).
const REMOVAL_WINDOW: std::time::Duration = std::time::Duration::from_millis(300);

/// A log's chunks gathered by the rule an exec's output follows
/// (`batch.rs`). The engine sends a non-TTY log as one frame per line;
/// sent as they come, a client that reads slower than that piles up small
/// HTTP/2 frames until h2's flood guard ends the connection. Nobody types
/// into a log: no input ever makes its output go at once.
fn batched<S>(chunks: S) -> Batched<S>
where
    S: Stream<Item = std::io::Result<Chunk>> + Send + Unpin,
{
    Batched::reading(chunks)
}

/// A unix time as the engine's `since`/`until` take it, "SECONDS[.NANOS]";
/// anything else is refused here rather than passed into a query string.
fn check_time(what: &str, value: &str) -> Result<(), AgentError> {
    let mut parts = value.splitn(2, '.');
    let secs = parts.next().unwrap_or_default();
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if value.is_empty() || (ok(secs) && parts.next().is_none_or(ok)) {
        Ok(())
    } else {
        Err(AgentError::InvalidArgument(format!(
            "invalid {what} time '{}': want unix seconds",
            value.escape_debug()
        )))
    }
}

fn query(req: &pb::LogsRequest) -> String {
    let mut q = String::from("stdout=1&stderr=1");
    if req.follow {
        q.push_str("&follow=1");
    }
    if req.timestamps {
        q.push_str("&timestamps=1");
    }
    match req.tail {
        Some(n) => q.push_str(&format!("&tail={n}")),
        None => q.push_str("&tail=all"),
    }
    for (key, value) in [("since", &req.since), ("until", &req.until)] {
        if !value.is_empty() {
            q.push_str(&format!("&{key}={value}"));
        }
    }
    q
}

/// The container's log, as the engine has it, then (when following) live
/// until the container stops. A container removed while followed ends the
/// stream with an error that says so.
pub async fn logs(
    engine: std::sync::Arc<Engine>,
    req: pb::LogsRequest,
) -> Result<LogsStream, AgentError> {
    let name = req.container_identifier.clone();
    check_container_name(&name)?;
    engine.check_owned(&name).await?;
    check_time("since", &req.since)?;
    check_time("until", &req.until)?;
    let docker = engine.docker().await?;
    let info = docker
        .inspect_container(&name, None)
        .await
        .map_err(|e| engine.error_about(e, || AgentError::ContainerNotFound(name.clone())))?;
    let tty = info.config.and_then(|c| c.tty).unwrap_or(false);
    let res = engine
        .get(&format!("/containers/{name}/logs?{}", query(&req)), || {
            AgentError::ContainerNotFound(name.clone())
        })
        .await?;
    let body = StreamReader::new(
        res.into_body()
            .into_data_stream()
            .map_err(std::io::Error::other),
    );
    let chunks: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Chunk>> + Send>> = if tty {
        Box::pin(batched(
            ReaderStream::with_capacity(body, READ_CHUNK).map_ok(|data| Chunk {
                stream: StdStream::Stdout,
                data,
            }),
        ))
    } else {
        Box::pin(batched(FramedRead::with_capacity(
            body,
            StdFrames::default(),
            READ_CHUNK,
        )))
    };
    let at = engine.addr().uri();
    let mut first = true;
    let out = chunks.map(move |c| {
        let c = c.map_err(|e| AgentError::unavailable(&at, crate::error::innermost(&e)))?;
        let tty_flag = std::mem::take(&mut first) && tty;
        Ok(pb::LogsChunk {
            tty: tty_flag,
            ..pb::LogsChunk::new(c.stream.into(), c.data)
        })
    });
    // The first message says whether the log is a TTY's even when the log
    // is empty, so a client knows before any output.
    let head = futures::stream::iter([Ok(pb::LogsChunk {
        tty,
        ..pb::LogsChunk::new(pb::OutputKind::Stdout, Bytes::new())
    })]);
    let out = head
        .chain(out.filter(|c| futures::future::ready(!matches!(c, Ok(c) if c.data.is_empty()))));
    if !req.follow {
        return Ok(Box::pin(out));
    }
    // The engine ends a followed log when the container stops. `rm -f`
    // kills the container and then removes it: for a moment after the log
    // ends it may still read "exited". So a stopped container is watched
    // briefly: gone or "removing" within that moment means removed.
    let tail = futures::stream::once(async move {
        use bollard::models::ContainerStateStatusEnum as S;
        let docker = engine.docker().await?;
        let deadline = tokio::time::Instant::now() + REMOVAL_WINDOW;
        loop {
            let status = match docker.inspect_container(&name, None).await {
                Ok(info) => info.state.and_then(|s| s.status),
                Err(e) => {
                    let gone = || AgentError::ContainerRemoved(name.clone());
                    return match engine.error_about(e, gone) {
                        e @ AgentError::ContainerRemoved(_) => Err(e),
                        _ => Ok(None),
                    };
                }
            };
            match status {
                Some(S::REMOVING) => return Err(AgentError::ContainerRemoved(name)),
                Some(S::EXITED | S::DEAD) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                _ => return Ok(None),
            }
        }
    })
    .filter_map(|r: Result<Option<pb::LogsChunk>, AgentError>| {
        futures::future::ready(r.transpose())
    });
    Ok(Box::pin(out.chain(tail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_unix_seconds_only() {
        for good in ["", "0", "1700000000", "1700000000.123456789"] {
            assert!(check_time("since", good).is_ok(), "{good}");
        }
        for bad in ["x", "1.", ".5", "1.2.3", "1&follow=1", "-1", "10m"] {
            assert!(check_time("since", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_names_every_option() {
        let req = pb::LogsRequest {
            follow: true,
            tail: Some(5),
            since: "10".into(),
            timestamps: true,
            ..Default::default()
        };
        assert_eq!(
            query(&req),
            "stdout=1&stderr=1&follow=1&timestamps=1&tail=5&since=10"
        );
        assert_eq!(
            query(&pb::LogsRequest::default()),
            "stdout=1&stderr=1&tail=all"
        );
    }
}
