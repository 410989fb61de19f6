//! Starting an exec and taking over its connection, by hand.
//!
//! bollard's `start_exec` decodes the hijacked stream with a decoder that
//! guesses, at every read, whether the bytes are raw TTY output or an 8-byte
//! stream header (first byte <= 2). TTY output that happens to begin a read
//! with 0x00..0x02 loses 8 bytes and can stall the session. We know which
//! framing applies from the exec's own `Tty` flag, so we make the upgrade
//! request ourselves (hyper, over the same socket bollard uses) and read the
//! connection either raw (TTY) or through [`StdFrames`] (no TTY), never
//! guessing.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures::StreamExt;
use http_body_util::Full;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::WriteHalf;
use tokio_util::codec::{Decoder, FramedRead};
use tokio_util::io::ReaderStream;

use crate::batch::Batched;
use crate::chunk::READ_CHUNK;
pub use crate::chunk::{Chunk, OutputStream, StdStream};
use crate::engine::{Engine, EngineIo};
use crate::error::{AgentError, innermost};

pub type ExecConn = TokioIo<Upgraded>;
/// An exec's stdin. Each write is counted: output that follows input may
/// be its answer, and goes at once (see [`Batched`]).
pub struct ExecStdin {
    inner: WriteHalf<ExecConn>,
    input: Arc<AtomicU64>,
}

impl tokio::io::AsyncWrite for ExecStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.input.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// POST /exec/{id}/start with `Upgrade: tcp`, returning the exec's output
/// and its stdin.
pub async fn start_exec(
    engine: &Engine,
    exec_id: &str,
    tty: bool,
) -> Result<(OutputStream, ExecStdin), AgentError> {
    let version = engine.api_version().await?;
    let conn = hijack(engine, engine.dial().await?, &version, exec_id, tty).await?;
    let (read, write) = tokio::io::split(conn);
    let input = Arc::new(AtomicU64::new(0));
    let output: OutputStream = if tty {
        Box::pin(Batched::new(
            ReaderStream::with_capacity(read, READ_CHUNK).map(|r| {
                r.map(|data| Chunk {
                    stream: StdStream::Stdout,
                    data,
                })
            }),
            input.clone(),
        ))
    } else {
        Box::pin(Batched::new(
            FramedRead::with_capacity(read, StdFrames::default(), READ_CHUNK),
            input.clone(),
        ))
    };
    Ok((
        output,
        ExecStdin {
            inner: write,
            input,
        },
    ))
}

async fn hijack(
    engine: &Engine,
    stream: Box<dyn EngineIo>,
    version: &str,
    exec_id: &str,
    tty: bool,
) -> Result<ExecConn, AgentError> {
    let unavailable = |e: hyper::Error| engine.unavailable(innermost(&e));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(unavailable)?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!("exec attach connection ended: {e}");
        }
    });
    let body = format!(r#"{{"Detach":false,"Tty":{tty}}}"#);
    let req = hyper::Request::post(format!("/v{version}/exec/{exec_id}/start"))
        .header(hyper::header::HOST, "docker")
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::CONNECTION, "Upgrade")
        .header(hyper::header::UPGRADE, "tcp")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| AgentError::Engine(e.to_string()))?;
    let res = sender.send_request(req).await.map_err(unavailable)?;
    let status = res.status();
    if status != hyper::StatusCode::SWITCHING_PROTOCOLS {
        let message = crate::engine::refusal(res).await;
        return Err(match status.as_u16() {
            404 => AgentError::Engine(format!("exec {exec_id} vanished: {message}")),
            409 => AgentError::Conflict(message),
            _ => AgentError::Engine(message),
        });
    }
    let upgraded = hyper::upgrade::on(res).await.map_err(unavailable)?;
    Ok(TokioIo::new(upgraded))
}

/// Docker's multiplexed stream format (non-TTY attach): frames of an 8-byte
/// header `[stream, 0, 0, 0, len(u32 BE)]` and `len` payload bytes. Frames
/// may span reads and reads may hold many frames; payloads are handed out
/// as zero-copy slices of the read buffer.
#[derive(Debug, Default)]
pub struct StdFrames {
    pending: Option<(StdStream, usize)>,
}

impl Decoder for StdFrames {
    type Item = Chunk;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Chunk>, Self::Error> {
        loop {
            let (stream, len) = match self.pending {
                Some(p) => p,
                None => {
                    if src.len() < 8 {
                        src.reserve(8);
                        return Ok(None);
                    }
                    let stream = match src[0] {
                        // 0 is stdin echoed back, which the engine never does
                        // for execs; treat it as stdout rather than fail.
                        0 | 1 => StdStream::Stdout,
                        2 => StdStream::Stderr,
                        other => {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                format!("bad stream header: type {other}"),
                            ));
                        }
                    };
                    let len = u32::from_be_bytes([src[4], src[5], src[6], src[7]]) as usize;
                    src.advance(8);
                    self.pending = Some((stream, len));
                    (stream, len)
                }
            };
            if len == 0 {
                self.pending = None;
                continue;
            }
            if src.is_empty() {
                return Ok(None);
            }
            // Hand out what has arrived rather than wait for a whole frame:
            // the engine's frames can be 32 KiB and a slow producer should
            // not see its output delayed.
            let take = len.min(src.len());
            let data = src.split_to(take).freeze();
            self.pending = if take == len {
                None
            } else {
                Some((stream, len - take))
            };
            return Ok(Some(Chunk { stream, data }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![kind, 0, 0, 0];
        v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// Feeds `wire` in pieces of `step` bytes and collects what comes out,
    /// merging consecutive chunks of one stream.
    fn decode_in_steps(wire: &[u8], step: usize) -> Vec<(StdStream, Vec<u8>)> {
        let mut dec = StdFrames::default();
        let mut buf = BytesMut::new();
        let mut out: Vec<(StdStream, Vec<u8>)> = Vec::new();
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            while let Some(c) = dec.decode(&mut buf).expect("valid stream") {
                match out.last_mut() {
                    Some((s, d)) if *s == c.stream => d.extend_from_slice(&c.data),
                    _ => out.push((c.stream, c.data.to_vec())),
                }
            }
        }
        assert!(buf.is_empty(), "bytes left undecoded");
        out
    }

    #[test]
    fn frames_split_anywhere_decode_the_same() {
        let mut wire = frame(1, b"hello ");
        wire.extend(frame(2, &[0, 1, 2, 255]));
        wire.extend(frame(1, b""));
        wire.extend(frame(1, &[7u8; 70_000]));
        let expected = vec![
            (StdStream::Stdout, b"hello ".to_vec()),
            (StdStream::Stderr, vec![0, 1, 2, 255]),
            (StdStream::Stdout, vec![7u8; 70_000]),
        ];
        for step in [1, 2, 3, 7, 8, 9, 100, 4096, wire.len()] {
            assert_eq!(decode_in_steps(&wire, step), expected, "step {step}");
        }
    }

    #[test]
    fn rejects_garbage_header() {
        let mut dec = StdFrames::default();
        let mut buf = BytesMut::from(&b"Xbogus-header"[..]);
        assert!(dec.decode(&mut buf).is_err());
    }
}
