//! Which agent(s) a command talks to: the `--host`s given, or an agent
//! embedded in this process on the local Docker socket.

use std::sync::Arc;

use anyhow::{Context, bail};
use dockyard_proto::{Client, HostAddr, dial};

/// One client per target, labelled for display ("local" when embedded).
pub async fn clients(hosts: &[HostAddr]) -> anyhow::Result<Vec<(String, Client)>> {
    if hosts.is_empty() {
        return Ok(vec![("local".to_string(), embedded()?)]);
    }
    let mut out = Vec::with_capacity(hosts.len());
    for h in hosts {
        out.push((h.to_string(), dial::connect(h).await?));
    }
    Ok(out)
}

/// The single agent a command acts on.
pub async fn one(hosts: &[HostAddr]) -> anyhow::Result<Client> {
    match hosts {
        [] => embedded(),
        [h] => Ok(dial::connect(h).await?),
        _ => bail!(
            "this command acts on one host; {} were given with --host",
            hosts.len()
        ),
    }
}

fn embedded() -> anyhow::Result<Client> {
    let engine = dockyard_agent::Engine::from_env().context("local Docker engine")?;
    let channel = dockyard_agent::server::embedded_channel(Arc::new(engine));
    Ok(dial::client(channel))
}
