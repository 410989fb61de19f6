//! `dockyard port-forward CONTAINER [LOCAL_ADDRESS:]LOCAL_PORT:PORT...`,
//! as kubectl's: local listeners whose connections `client::forward`
//! carries to the container's ports. Runs until Ctrl-C (or SIGTERM);
//! each connection's exec ends with it, so nothing is left on the agent.

use std::net::{IpAddr, SocketAddr};

use dockyard_client::Cause;
use dockyard_client::forward;
use dockyard_client::text::printable;
use tokio::net::TcpListener;

use crate::cli::PortForwardArgs;
use crate::connect::Connector;

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
                printable(s)
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

fn shown(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// The listeners of one spec: on its address, or on each of the
/// `--address`es; a port of 0 is chosen on the first and kept for the
/// rest. An address family this machine lacks (no IPv6) is skipped
/// unless it is the only one.
async fn listen(spec: &PortSpec, addresses: &[IpAddr]) -> Result<Vec<TcpListener>, String> {
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

pub async fn run(conn: &Connector, args: PortForwardArgs, toolbox: String) -> anyhow::Result<i32> {
    let specs: Vec<PortSpec> = args
        .ports
        .iter()
        .map(|p| p.parse())
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    let addresses: Vec<IpAddr> = if args.address.is_empty() {
        vec![IpAddr::from([127, 0, 0, 1]), "::1".parse().expect("::1")]
    } else {
        args.address
            .iter()
            .flat_map(|a| a.split(','))
            .map(|a| match a.trim() {
                "localhost" => Ok(vec![
                    IpAddr::from([127, 0, 0, 1]),
                    "::1".parse().expect("::1"),
                ]),
                a => a.parse::<IpAddr>().map(|ip| vec![ip]).map_err(|_| {
                    anyhow::anyhow!("--address: '{}' is not an IP address", printable(a))
                }),
            })
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()
    };
    let (_, client) = crate::browse_cmd::locate(conn, &args.container).await?;
    // The container must be there and running before anything listens.
    let first = whose(&mut client.clone(), &args.container).await?;
    // The helper kept for the forward's life (dropped at the end, which
    // ends its exec); a forward works without it, each connection then
    // starting its own helper.
    let _keeper = dockyard_client::ExecSession::start(
        &mut client.clone(),
        forward::keeper(&args.container, &toolbox),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut listeners = Vec::new();
    for spec in &specs {
        for l in listen(spec, &addresses).await.map_err(anyhow::Error::msg)? {
            let addr = l.local_addr()?;
            println!("Forwarding from {} -> {}", shown(&addr), spec.remote);
            listeners.push((l, spec.remote));
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(first));
    let mut tasks = tokio::task::JoinSet::new();
    for (listener, remote) in listeners {
        let (client, container, toolbox, seen) = (
            client.clone(),
            args.container.clone(),
            toolbox.clone(),
            seen.clone(),
        );
        tasks.spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let _ = sock.set_nodelay(true);
                let local = listener.local_addr().map(|a| a.port()).unwrap_or(0);
                println!("Handling connection for {local}");
                let (mut client, container, toolbox, seen) = (
                    client.clone(),
                    container.clone(),
                    toolbox.clone(),
                    seen.clone(),
                );
                connections.spawn(async move {
                    let carried =
                        forward::carry(&mut client, &container, remote, &toolbox, sock).await;
                    match carried {
                        Ok(c) => {
                            if let Some(why) = c.refused {
                                eprintln!(
                                    "dockyard: {} port {remote}: {why}",
                                    printable(&container)
                                );
                            }
                        }
                        Err(e) => eprintln!(
                            "dockyard: {} port {remote}: {}",
                            printable(&container),
                            e
                        ),
                    }
                    // A container made again under its name (or started
                    // again) is said once.
                    if let Ok(now) = whose(&mut client, &container).await {
                        let mut was = seen.lock().unwrap_or_else(|e| e.into_inner());
                        if *was != now {
                            eprintln!(
                                "dockyard: {} is a new container now (started {}): connections reach it",
                                printable(&container),
                                now.1
                            );
                            *was = now;
                        }
                    }
                });
                // Finished connections are let go of as new ones come.
                while connections.try_join_next().is_some() {}
            }
        });
    }
    wait_for_end().await;
    // Ending the tasks drops each connection's exec stream: the agent
    // ends its exec (and the debug helper with the last of them).
    tasks.shutdown().await;
    Ok(0)
}

/// Ctrl-C, or SIGTERM.
async fn wait_for_end() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

/// The container's id and when it started, or why it cannot be reached
/// (docker's words for one that is not there or not running).
async fn whose(
    client: &mut dockyard_client::Client,
    name: &str,
) -> anyhow::Result<(String, String)> {
    let res = client
        .inspect_container(dockyard_client::pb::ContainerRef {
            container_identifier: name.to_string(),
        })
        .await;
    let json = match res {
        Ok(r) => r.into_inner().json,
        Err(s) if Cause::of(&s) == Cause::ContainerNotFound => {
            anyhow::bail!("No such container: {}", printable(name))
        }
        Err(s) => anyhow::bail!("{}", dockyard_client::dial::status_text(&s)),
    };
    let v: serde_json::Value = serde_json::from_str(&json)?;
    if v["State"]["Running"].as_bool() != Some(true) {
        anyhow::bail!("container {} is not running", printable(name));
    }
    Ok((
        v["Id"].as_str().unwrap_or_default().to_string(),
        v["State"]["StartedAt"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
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
