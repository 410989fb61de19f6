//! An exec's or a log's output gathered into fewer, larger messages while
//! it floods: one rule for both.
//!
//! A program writing through a TTY reaches the agent in pieces of a few
//! hundred bytes (each write the engine reads from the terminal), thousands
//! a second. Sent as they come, every piece costs a wake-up and a message
//! in the agent, on the wire and in the client: on a machine the flood
//! already keeps busy, that was the gap to `docker exec -t`. Output that
//! comes after a quiet moment (a prompt), or after input (an echo, the
//! answer to a request on stdin), goes at once, with what is ready beside
//! it; output that follows other output within [`HOLD`]
//! waits until [`HOLD`] after the last message, and the connection is not
//! read meanwhile (the engine's writes gather in its buffer), so a flood
//! travels as at most one message per [`HOLD`] (more when they are full,
//! [`CAP`] bytes). Pieces of one stream are joined in order; a piece of the
//! other stream, an error or the end sends what is held first.
//!
//! A log's body comes through hyper, which reads the engine's connection
//! only when the body is polled and hands over one piece (one line, as the
//! engine flushes a log) per poll: nothing would gather while it is not
//! read. So a log is read on while output is held ([`Batched::reading`]),
//! and what is ready joins it; the message still goes [`HOLD`] after the
//! last.
//!
//! Hand-written: the time-windowed helpers of tokio-stream and futures
//! (`chunks_timeout`, `ready_chunks`) either always wait or never do; this
//! waits only while output is streaming.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures::Stream;
use tokio::time::{Instant, Sleep};

use crate::chunk::{Chunk, StdStream};

/// How long output that follows other output may wait to be joined: a
/// message at most every 8 ms while a program floods (half a frame of the
/// TUI, which shows a pane's output once a frame), nothing added to
/// output after a pause or input. (2 ms cost the TUI a tenth more CPU
/// under four `yes` floods: four times the messages, each with its own
/// screenful to parse.)
pub const HOLD: Duration = Duration::from_millis(8);

/// The most one message carries: what one read of the connection takes.
pub const CAP: usize = crate::chunk::READ_CHUNK;

pub struct Batched<S> {
    inner: S,
    /// Output being joined: its stream and bytes.
    held: Option<(StdStream, BytesMut)>,
    /// When the held output goes.
    due: Pin<Box<Sleep>>,
    /// Waiting for `due` before reading on: meanwhile the output gathers
    /// in the connection's buffer, and costs no wake-up and no read.
    waiting: bool,
    /// Ready to be handed out, in order (what was held, then what could
    /// not join it).
    out: VecDeque<std::io::Result<Chunk>>,
    /// When a message last went out.
    last: Option<Instant>,
    /// The last message was full: more is waiting, and goes at once.
    full: bool,
    /// Writes to the exec's stdin so far, and as of the last message:
    /// output after input may answer it, and goes at once.
    input: Arc<AtomicU64>,
    input_seen: u64,
    ended: bool,
    /// Read on while holding (a log's body), rather than leave the output
    /// to gather in the connection's buffer (an exec's raw connection).
    read_while_holding: bool,
}

impl<S> Batched<S>
where
    S: Stream<Item = std::io::Result<Chunk>> + Unpin,
{
    /// An exec's output, read from its own connection; `input` counts the
    /// writes to its stdin.
    pub fn new(inner: S, input: Arc<AtomicU64>) -> Self {
        Batched {
            read_while_holding: false,
            input_seen: input.load(Ordering::Relaxed),
            input,
            inner,
            held: None,
            due: Box::pin(tokio::time::sleep_until(Instant::now())),
            waiting: false,
            out: VecDeque::new(),
            last: None,
            full: false,
            ended: false,
        }
    }

    /// A log's output, read on while held (see the module comment).
    pub fn reading(inner: S) -> Self {
        Batched {
            read_while_holding: true,
            ..Self::new(inner, Arc::default())
        }
    }

    fn release(&mut self) {
        if let Some((stream, data)) = self.held.take() {
            self.out.push_back(Ok(Chunk {
                stream,
                data: data.freeze(),
            }));
        }
    }

    /// Takes a piece: joined to what is held, or held from now on (to go
    /// with what is ready after a pause, or [`HOLD`] after the last message
    /// while output streams).
    fn take(&mut self, c: Chunk) {
        if let Some((stream, data)) = &mut self.held {
            if *stream == c.stream && data.len() + c.data.len() <= CAP {
                data.extend_from_slice(&c.data);
                if data.len() == CAP {
                    self.release();
                }
                return;
            }
            self.release();
        }
        if c.data.len() >= CAP {
            self.out.push_back(Ok(c));
            return;
        }
        let now = Instant::now();
        if let Some(last) = self.last
            && !self.full
            && now < last + HOLD
            && self.input.load(Ordering::Relaxed) == self.input_seen
        {
            self.due.as_mut().reset(last + HOLD);
            self.waiting = true;
        }
        let mut data = BytesMut::with_capacity(c.data.len().max(16 * 1024));
        data.extend_from_slice(&c.data);
        self.held = Some((c.stream, data));
    }
}

impl<S> Stream for Batched<S>
where
    S: Stream<Item = std::io::Result<Chunk>> + Unpin,
{
    type Item = std::io::Result<Chunk>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while this.out.is_empty() && !this.ended {
            if this.waiting {
                if this.due.as_mut().poll(cx).is_ready() {
                    this.waiting = false;
                } else if !this.read_while_holding {
                    break;
                }
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(c))) => this.take(c),
                Poll::Ready(Some(Err(e))) => {
                    this.release();
                    this.out.push_back(Err(e));
                }
                Poll::Ready(None) => {
                    this.ended = true;
                    this.release();
                }
                // All that was ready is in: it goes (unless a log's held
                // output still waits for its time).
                Poll::Pending => {
                    if !this.waiting {
                        this.release();
                    }
                    break;
                }
            }
        }
        match this.out.pop_front() {
            Some(item) => {
                this.last = Some(Instant::now());
                this.full = item.as_ref().is_ok_and(|c| c.data.len() >= CAP);
                this.input_seen = this.input.load(Ordering::Relaxed);
                Poll::Ready(Some(item))
            }
            None if this.ended => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use futures::StreamExt;

    fn chunk(stream: StdStream, data: &[u8]) -> std::io::Result<Chunk> {
        Ok(Chunk {
            stream,
            data: Bytes::copy_from_slice(data),
        })
    }

    /// Pieces sent by a task at given times (ms from the start), read
    /// through [`Batched`]: what came out, and when (ms).
    async fn through(pieces: Vec<(u64, std::io::Result<Chunk>)>) -> Vec<(u64, StdStream, Vec<u8>)> {
        through_with_input(pieces.into_iter().map(|(t, c)| (t, Some(c))).collect()).await
    }

    /// The same, `None` being input written to the exec at that time.
    async fn through_with_input(
        pieces: Vec<(u64, Option<std::io::Result<Chunk>>)>,
    ) -> Vec<(u64, StdStream, Vec<u8>)> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let input = Arc::new(AtomicU64::new(0));
        let typed = input.clone();
        let start = Instant::now();
        tokio::spawn(async move {
            for (at, c) in pieces {
                tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                match c {
                    Some(c) => {
                        let _ = tx.send(c);
                    }
                    None => {
                        typed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        let mut s = Batched::new(
            tokio_stream::wrappers::UnboundedReceiverStream::new(rx),
            input,
        );
        let mut got = Vec::new();
        while let Some(c) = s.next().await {
            let c = c.expect("no error sent");
            let at = (Instant::now() - start).as_millis() as u64;
            got.push((at, c.stream, c.data.to_vec()));
        }
        got
    }

    #[tokio::test(start_paused = true)]
    async fn output_after_a_pause_goes_at_once() {
        let got = through(vec![
            (0, chunk(StdStream::Stdout, b"$ ")),
            (50, chunk(StdStream::Stdout, b"l")),
            (100, chunk(StdStream::Stdout, b"s")),
        ])
        .await;
        assert_eq!(
            got,
            [
                (0, StdStream::Stdout, b"$ ".to_vec()),
                (50, StdStream::Stdout, b"l".to_vec()),
                (100, StdStream::Stdout, b"s".to_vec()),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_goes_once_per_hold_in_order() {
        // A piece every 0.5 ms (as 1 ms steps of two) for five HOLDs.
        let h = HOLD.as_millis() as u64;
        let mut pieces = Vec::new();
        for i in 0..10 * h {
            pieces.push((i / 2, chunk(StdStream::Stdout, &[b'a' + (i % 26) as u8])));
        }
        let got = through(pieces).await;
        let all: Vec<u8> = got.iter().flat_map(|(_, _, d)| d.clone()).collect();
        let sent: Vec<u8> = (0..10 * h).map(|i| b'a' + (i % 26) as u8).collect();
        assert_eq!(all, sent);
        // The first at once, then one message each HOLD.
        let times: Vec<u64> = got.iter().map(|(t, _, _)| *t).collect();
        assert_eq!(times, (0..=5).map(|k| k * h).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn streams_keep_their_order_and_a_full_message_goes_at_once() {
        let h = HOLD.as_millis() as u64;
        let big = vec![b'x'; CAP - 1];
        let got = through(vec![
            (0, chunk(StdStream::Stdout, b"1")),
            (1, chunk(StdStream::Stdout, b"2")),
            (1, chunk(StdStream::Stderr, b"e")),
            (1, chunk(StdStream::Stdout, b"3")),
            (5 * h, chunk(StdStream::Stdout, &big)),
            (5 * h, chunk(StdStream::Stdout, b"4")),
        ])
        .await;
        let summary: Vec<(u64, StdStream, usize)> =
            got.iter().map(|(t, s, d)| (*t, *s, d.len())).collect();
        assert_eq!(
            summary,
            [
                (0, StdStream::Stdout, 1),
                // "2" waits for HOLD after "1"; then "e" is read too and
                // goes with it, and "3" waits for HOLD after them.
                (h, StdStream::Stdout, 1),
                (h, StdStream::Stderr, 1),
                (2 * h, StdStream::Stdout, 1),
                // A pause: at once, and full.
                (5 * h, StdStream::Stdout, CAP),
            ]
        );
        assert_eq!(got[4].2[CAP - 1], b'4');
    }

    #[tokio::test(start_paused = true)]
    async fn behind_a_full_message_the_rest_goes_at_once() {
        let quarter = vec![b'q'; CAP / 4];
        let mut pieces = vec![(0, chunk(StdStream::Stdout, b"x"))];
        for _ in 0..8 {
            pieces.push((1, chunk(StdStream::Stdout, &quarter)));
        }
        let got = through(pieces).await;
        let summary: Vec<(u64, usize)> = got.iter().map(|(t, _, d)| (*t, d.len())).collect();
        let h = HOLD.as_millis() as u64;
        assert_eq!(summary, [(0, 1), (h, CAP), (h, CAP)]);
    }

    #[tokio::test(start_paused = true)]
    async fn output_after_input_goes_at_once() {
        // Request and answer, a millisecond apart: each answer goes at
        // once, though it follows the last within HOLD.
        let mut pieces = vec![(0, Some(chunk(StdStream::Stdout, b"ready")))];
        for t in 1..5 {
            pieces.push((t, None));
            pieces.push((t, Some(chunk(StdStream::Stdout, &[b'0' + t as u8]))));
        }
        // Output without input in between waits.
        pieces.push((5, Some(chunk(StdStream::Stdout, b"x"))));
        let got = through_with_input(pieces).await;
        let times: Vec<u64> = got.iter().map(|(t, _, _)| *t).collect();
        assert_eq!(times, [0, 1, 2, 3, 4, 4 + HOLD.as_millis() as u64]);
    }
}
