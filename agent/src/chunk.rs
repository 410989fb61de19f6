//! An exec's or a log's output as the agent reads it from the engine:
//! chunks of bytes, each from stdout or stderr, and the read size that
//! both use.

use bytes::Bytes;
use futures::Stream;

/// Read size for the engine's connection (an exec's hijacked stream, a
/// log's body): large enough for bulk output to travel in few messages,
/// and a read returns as soon as any bytes arrive, so it adds no latency
/// to interactive use. Also the most one gathered message carries
/// (`batch.rs`).
pub const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdStream {
    Stdout,
    Stderr,
}

impl From<StdStream> for dockyard_proto::pb::OutputKind {
    fn from(s: StdStream) -> Self {
        match s {
            StdStream::Stdout => Self::Stdout,
            StdStream::Stderr => Self::Stderr,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub stream: StdStream,
    pub data: Bytes,
}

pub type OutputStream = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Chunk>> + Send>>;
