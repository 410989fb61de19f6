//! A container's port reached from this machine: each local TCP
//! connection carried to the port over the agent's connection, as one
//! exec of `nc 127.0.0.1 PORT` in a debug helper (the target's network
//! namespace, the toolbox's programs: see `dockyard debug`). So it reaches
//! a port the container binds only to its own loopback, needs nothing in
//! the container, goes through a cluster's entry to the node, and a
//! connection has the exec stream's backpressure. Each connection names
//! the container afresh: one restarted (or made again under its name) is
//! reached by the next connection.

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::exec_session::{ExecEvent, ExecSession, OutputStream};
use crate::pb::{DebugOptions, ExecStart};
use crate::{Client, ExecError};

/// What one forwarded connection moved, and how it ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Carried {
    /// Bytes from the local side to the container's port.
    pub sent: u64,
    /// Bytes from the port back.
    pub received: u64,
    /// Why the container's side refused or ended it (nc's words, e.g.
    /// "can't connect to remote host (127.0.0.1): Connection refused").
    pub refused: Option<String>,
    /// The exec's id (tells a new container from the old one).
    pub exec_id: String,
}

/// The exec that joins a connection to `port` in `container`.
pub fn start(container: &str, port: u16, toolbox: &str) -> ExecStart {
    ExecStart {
        container_identifier: container.to_string(),
        command: vec!["nc".into(), "127.0.0.1".into(), port.to_string()],
        interactive: true,
        attach_stdin: Some(true),
        tty: Some(false),
        debug: Some(DebugOptions {
            image: toolbox.to_string(),
            toolbox_root: true,
        }),
        ..Default::default()
    }
}

/// An exec that only waits, in the same debug helper: held for a
/// forward's life, it keeps the helper between connections, so each
/// connection finds it ready (a helper is started for the first session
/// in a container and removed after the last).
pub fn keeper(container: &str, toolbox: &str) -> ExecStart {
    ExecStart {
        container_identifier: container.to_string(),
        command: vec!["sleep".into(), "2147483647".into()],
        tty: Some(false),
        debug: Some(DebugOptions {
            image: toolbox.to_string(),
            toolbox_root: true,
        }),
        ..Default::default()
    }
}

/// Carries `local` to `port` in `container` until either side ends.
pub async fn carry(
    client: &mut Client,
    container: &str,
    port: u16,
    toolbox: &str,
    mut local: tokio::net::TcpStream,
) -> Result<Carried, ExecError> {
    let mut session = ExecSession::start(client, start(container, port, toolbox)).await?;
    let input = session.input();
    let mut out = Carried {
        exec_id: session.exec_id().to_string(),
        ..Default::default()
    };
    let (mut rd, mut wr) = local.split();
    let mut buf = vec![0u8; 64 * 1024];
    let mut local_open = true;
    let mut words = String::new();
    loop {
        tokio::select! {
            n = rd.read(&mut buf), if local_open => match n {
                Ok(0) | Err(_) => {
                    local_open = false;
                    let _ = input.close_stdin().await;
                }
                Ok(n) => {
                    out.sent += n as u64;
                    input.send(Bytes::copy_from_slice(&buf[..n])).await?;
                }
            },
            ev = session.next_event() => match ev? {
                Some(ExecEvent::Output { stream: OutputStream::Stdout, data }) => {
                    out.received += data.len() as u64;
                    if wr.write_all(&data).await.is_err() {
                        // The local side went: the exec is ended.
                        let _ = input.end().await;
                    }
                }
                Some(ExecEvent::Output { stream: OutputStream::Stderr, data }) => {
                    words.push_str(&String::from_utf8_lossy(&data));
                }
                Some(ExecEvent::Exited { code, .. }) => {
                    if code != 0 {
                        let line = words
                            .lines()
                            .map(str::trim)
                            .rfind(|l| !l.is_empty())
                            .unwrap_or("the connection was refused");
                        out.refused = Some(
                            line.strip_prefix("nc: ").unwrap_or(line).to_string(),
                        );
                    }
                    let _ = wr.shutdown().await;
                    return Ok(out);
                }
                Some(ExecEvent::Detached { .. }) | None => {
                    let _ = wr.shutdown().await;
                    return Ok(out);
                }
            },
        }
    }
}
