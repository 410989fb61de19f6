//! A container's port reached from this machine: each local TCP
//! connection carried to the port over the agent's connection, as one
//! exec of `nc 127.0.0.1 PORT` in a debug helper (the target's network
//! namespace, the toolbox's programs: see `dockyard debug`). So it reaches
//! a port the container binds only to its own loopback, needs nothing in
//! the container, goes through a cluster's entry to the node, and a
//! connection has the exec stream's backpressure. Each connection names
//! the container afresh: one restarted (or made again under its name) is
//! reached by the next connection.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

/// How often a connection's bytes so far are told while it lasts.
const MOVED_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Carries `local` to `port` in `container` until either side ends;
/// `moved` hears the bytes each way since it last heard, while it lasts.
pub async fn carry(
    client: &mut Client,
    container: &str,
    port: u16,
    toolbox: &str,
    mut local: tokio::net::TcpStream,
    mut moved: impl FnMut(u64, u64) + Send,
) -> Result<Carried, ExecError> {
    let mut session = ExecSession::start(client, start(container, port, toolbox)).await?;
    let input = session.input();
    let mut out = Carried::default();
    let (mut rd, mut wr) = local.split();
    let mut buf = vec![0u8; 64 * 1024];
    let mut local_open = true;
    let mut words = String::new();
    let (mut told, mut last) = ((0u64, 0u64), tokio::time::Instant::now());
    loop {
        if last.elapsed() >= MOVED_EVERY && (out.sent, out.received) != told {
            moved(out.sent - told.0, out.received - told.1);
            told = (out.sent, out.received);
            last = tokio::time::Instant::now();
        }
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
                    moved(out.sent - told.0, out.received - told.1);
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
                    moved(out.sent - told.0, out.received - told.1);
                    let _ = wr.shutdown().await;
                    return Ok(out);
                }
            },
        }
    }
}

/// One `[LOCAL_ADDRESS:]LOCAL_PORT:PORT` (or `:PORT`, or `PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub address: Option<IpAddr>,
    /// 0: a free port, chosen and printed.
    pub local: u16,
    pub remote: u16,
}

impl std::str::FromStr for PortSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "invalid port '{}': want [LOCAL_ADDRESS:]LOCAL_PORT:PORT, :PORT or PORT",
                crate::text::printable(s)
            )
        };
        let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad);
        let Some((rest, remote)) = s.rsplit_once(':') else {
            let p = port(s)?;
            return Ok(PortSpec {
                address: None,
                local: p,
                remote: p,
            });
        };
        let remote = port(remote)?;
        let (address, local) = match rest.rsplit_once(':') {
            None if rest.is_empty() => (None, 0),
            None => (None, port(rest)?),
            Some((addr, local)) => {
                let addr = addr.trim_start_matches('[').trim_end_matches(']');
                let addr: IpAddr = addr.parse().map_err(|_| bad())?;
                let local = if local.is_empty() { 0 } else { port(local)? };
                (Some(addr), local)
            }
        };
        Ok(PortSpec {
            address,
            local,
            remote,
        })
    }
}

/// What a forward's listeners report.
#[derive(Debug)]
pub enum ForwardEvent {
    /// A connection on local port `port` (being carried).
    Opened { port: u16 },
    /// Bytes a connection moved to the container's port and back since
    /// it last said (every half second while it lasts, and at its end).
    Moved { port: u16, sent: u64, received: u64 },
    /// It ended: what it moved, or why the container's side failed.
    Closed {
        port: u16,
        remote: u16,
        result: Result<Carried, String>,
    },
}

/// Accepts on every listener (each with the container's port its
/// connections go to) and carries each connection, reporting to
/// `events`, until dropped: dropping it ends every connection (their
/// execs end at the agent).
pub async fn serve(
    client: Client,
    container: String,
    toolbox: String,
    listeners: Vec<(TcpListener, u16)>,
    events: tokio::sync::mpsc::UnboundedSender<ForwardEvent>,
) {
    let mut loops = tokio::task::JoinSet::new();
    for (listener, remote) in listeners {
        let (client, container, toolbox, events) = (
            client.clone(),
            container.clone(),
            toolbox.clone(),
            events.clone(),
        );
        loops.spawn(async move {
            let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let sock = match listener.accept().await {
                    Ok((sock, _)) => sock,
                    // Out of file descriptors, say: the listener stays
                    // ready, so a pause, not a spin.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = sock.set_nodelay(true);
                let _ = events.send(ForwardEvent::Opened { port });
                let (mut client, container, toolbox, events) = (
                    client.clone(),
                    container.clone(),
                    toolbox.clone(),
                    events.clone(),
                );
                connections.spawn(async move {
                    let told = events.clone();
                    let moved = move |sent, received| {
                        let _ = told.send(ForwardEvent::Moved {
                            port,
                            sent,
                            received,
                        });
                    };
                    let result = carry(&mut client, &container, remote, &toolbox, sock, moved)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = events.send(ForwardEvent::Closed {
                        port,
                        remote,
                        result,
                    });
                });
                // Finished connections are let go of as new ones come.
                while connections.try_join_next().is_some() {}
            }
        });
    }
    while loops.join_next().await.is_some() {}
}

/// An address as kubectl prints one: `127.0.0.1:8080`, `[::1]:8080`.
pub fn shown(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// The listeners of one spec: on its address, or on each of the
/// `--address`es; a port of 0 is chosen on the first and kept for the
/// rest. An address family this machine lacks (no IPv6) is skipped
/// unless it is the only one.
pub async fn listen(spec: &PortSpec, addresses: &[IpAddr]) -> Result<Vec<TcpListener>, String> {
    let addresses: Vec<IpAddr> = match spec.address {
        Some(a) => vec![a],
        None => addresses.to_vec(),
    };
    let mut port = spec.local;
    let mut out = Vec::new();
    let mut last_error = None;
    for ip in &addresses {
        match TcpListener::bind(SocketAddr::new(*ip, port)).await {
            Ok(l) => {
                if port == 0 {
                    port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                }
                out.push(l);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(format!(
                    "unable to listen on {}: the port is in use",
                    shown(&SocketAddr::new(*ip, port))
                ));
            }
            Err(e) => last_error = Some(format!("{}: {e}", shown(&SocketAddr::new(*ip, port)))),
        }
    }
    if out.is_empty() {
        return Err(format!(
            "unable to listen on port {}: {}",
            spec.local,
            last_error.unwrap_or_else(|| "no address".into())
        ));
    }
    Ok(out)
}

/// Where a forward listens unless told: 127.0.0.1 and ::1.
pub fn default_addresses() -> Vec<IpAddr> {
    vec![
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    ]
}

#[cfg(test)]
mod tests {
    use super::PortSpec;

    #[test]
    fn kubectls_port_specs() {
        let p = |s: &str| s.parse::<PortSpec>();
        assert_eq!(
            p("8080:80"),
            Ok(PortSpec {
                address: None,
                local: 8080,
                remote: 80
            })
        );
        assert_eq!(p(":80").map(|s| (s.local, s.remote)), Ok((0, 80)));
        assert_eq!(p("80").map(|s| (s.local, s.remote)), Ok((80, 80)));
        let s = p("0.0.0.0:8080:80").expect("ok");
        assert_eq!(s.address, Some("0.0.0.0".parse().expect("ip")));
        let s = p("[::1]:8080:80").expect("ok");
        assert_eq!(s.address, Some("::1".parse().expect("ip")));
        for bad in ["", "x", "80:", "8080:0", "a:b:80", "70000:80"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
