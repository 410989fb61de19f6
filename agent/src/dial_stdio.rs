//! `dockyard-agent dial-stdio [PATH]`: joins this process's stdin and
//! stdout to the agent's Unix socket, as `docker system dial-stdio` joins
//! them to the engine's. A client runs it through SSH (`ssh HOST
//! dockyard-agent dial-stdio`) and speaks gRPC over the pipe; the agent
//! sees the Unix user SSH logged in as.
//!
//! It writes [`DIAL_HELLO`] and a newline first, once the socket is open:
//! the client skips whatever a login script printed before it, and tells
//! an agent that answers from one that is not there.

use std::path::Path;

use tokio::io::{AsyncWriteExt, stdin, stdout};
use tokio::net::UnixStream;

pub use dockyard_proto::DIAL_HELLO;

/// Bridges stdin/stdout and the socket at `path` until either side ends.
pub async fn run(path: &Path) -> anyhow::Result<()> {
    let stream = UnixStream::connect(path).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot reach the agent's socket {}: {e} (is dockyard-agent running with --listen unix://{}?)",
            path.display(),
            path.display()
        )
    })?;
    let mut out = stdout();
    out.write_all(format!("{DIAL_HELLO}\n").as_bytes()).await?;
    out.flush().await?;
    let (mut from_agent, mut to_agent) = stream.into_split();
    let mut input = stdin();
    let up = async {
        tokio::io::copy(&mut input, &mut to_agent).await?;
        // The client closed its side: the agent hears the end.
        to_agent.shutdown().await
    };
    let down = async {
        let n = copy_flushing(&mut from_agent, &mut out).await;
        n.map(|_| ())
    };
    // Whichever ends first ends the bridge: a client gone, or the agent.
    tokio::select! {
        r = down => r?,
        r = async { up.await?; std::future::pending::<std::io::Result<()>>().await } => r?,
    }
    Ok(())
}

/// Copies, flushing after every read: stdout is a pipe to SSH, and a
/// keystroke's echo must not wait in a buffer.
async fn copy_flushing(
    from: &mut (impl tokio::io::AsyncRead + Unpin),
    to: &mut (impl tokio::io::AsyncWrite + Unpin),
) -> std::io::Result<u64> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        to.write_all(&buf[..n]).await?;
        to.flush().await?;
        total += n as u64;
    }
}
