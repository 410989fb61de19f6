//! `dockyard port-forward CONTAINER [LOCAL_ADDRESS:]LOCAL_PORT:PORT...`,
//! as kubectl's: local listeners whose connections `client::forward`
//! carries to the container's ports. Runs until Ctrl-C (or SIGTERM);
//! each connection's exec ends with it, so nothing is left on the agent.

use std::net::IpAddr;

use dockyard_client::Cause;
use dockyard_client::forward::{self, PortSpec, listen, shown};
use dockyard_client::text::printable;

use crate::cli::PortForwardArgs;
use crate::connect::Connector;

pub async fn run(conn: &Connector, args: PortForwardArgs, toolbox: String) -> anyhow::Result<i32> {
    let specs: Vec<PortSpec> = args
        .ports
        .iter()
        .map(|p| p.parse())
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    let addresses: Vec<IpAddr> = if args.address.is_empty() {
        forward::default_addresses()
    } else {
        args.address
            .iter()
            .flat_map(|a| a.split(','))
            .map(|a| match a.trim() {
                "localhost" => Ok(forward::default_addresses()),
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
            say(format_args!(
                "Forwarding from {} -> {}",
                shown(&addr),
                spec.remote
            ));
            listeners.push((l, spec.remote));
        }
    }
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let serving = tokio::spawn(forward::serve(
        client.clone(),
        args.container.clone(),
        toolbox,
        listeners,
        tx,
    ));
    let mut seen = first;
    let mut client = client;
    let end = wait_for_end();
    tokio::pin!(end);
    loop {
        let ev = tokio::select! {
            _ = &mut end => break,
            ev = events.recv() => match ev {
                Some(ev) => ev,
                None => break,
            },
        };
        match ev {
            forward::ForwardEvent::Moved { .. } => {}
            forward::ForwardEvent::Opened { port } => {
                say(format_args!("Handling connection for {port}"));
            }
            forward::ForwardEvent::Closed { remote, result, .. } => {
                let name = printable(&args.container);
                match result {
                    Ok(c) => {
                        if let Some(why) = c.refused {
                            eprintln!("dockyard: {name} port {remote}: {why}");
                        }
                    }
                    Err(e) => eprintln!("dockyard: {name} port {remote}: {e}"),
                }
                // A container made again under its name (or started
                // again) is said once.
                if let Ok(now) = whose(&mut client, &args.container).await
                    && now != seen
                {
                    eprintln!(
                        "dockyard: {name} is a new container now (started {}): connections reach it",
                        now.1
                    );
                    seen = now;
                }
            }
        }
    }
    // Ending the forward drops each connection's exec stream: the agent
    // ends its exec (and the debug helper with the last of them).
    serving.abort();
    let _ = serving.await;
    Ok(0)
}

/// A line on stdout; a closed stdout (a reader that went) is not an
/// error that ends the forward.
fn say(line: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
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
