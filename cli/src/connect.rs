//! Which agent(s) a command talks to: the `--host`s given (or the config
//! file's), where `local` is an agent embedded in this process on the local
//! Docker socket; with none, `local` alone.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};
use dockyard_agent::server::Embedded;
use dockyard_proto::pb::ListContainersRequest;
use dockyard_proto::{Auth, Client, DialOptions, HostAddr, HostSpec, dial};

/// The agent inside this process, started on first use. One per process:
/// the TUI's reconnects and the CLI's calls share it.
static EMBEDDED: OnceLock<Embedded> = OnceLock::new();

pub fn embedded() -> anyhow::Result<Client> {
    if let Some(e) = EMBEDDED.get() {
        return Ok(dial::client(e.channel.clone(), Auth::default()));
    }
    let engine = dockyard_agent::Engine::from_env().context("local Docker engine")?;
    let e = EMBEDDED.get_or_init(|| Embedded::start(Arc::new(engine)));
    Ok(dial::client(e.channel.clone(), Auth::default()))
}

/// Token and TLS settings for remote agents, from flags, environment and
/// the config file; set once at start.
static DIAL: OnceLock<Dialing> = OnceLock::new();

#[derive(Debug, Default, Clone)]
pub struct Dialing {
    pub defaults: DialOptions,
    /// Tokens for particular hosts, keyed by `HostAddr`'s display form.
    pub per_host: std::collections::HashMap<String, String>,
}

impl Dialing {
    pub fn for_host(&self, addr: &HostAddr) -> DialOptions {
        let mut opts = self.defaults.clone();
        if let Some(t) = self.per_host.get(&addr.to_string()) {
            opts.token = Some(t.clone());
        }
        opts
    }
}

pub fn configure(d: Dialing) {
    let _ = DIAL.set(d);
}

pub fn dialing() -> Dialing {
    DIAL.get().cloned().unwrap_or_default()
}

/// Before leaving: ends the embedded agent's execs that are still running
/// (their client is about to vanish with this process) and waits briefly
/// for them. Without it, `dockyard exec c yes | head` or quitting the TUI
/// would leave processes behind in the containers.
pub async fn shutdown_embedded() {
    if let Some(e) = EMBEDDED.get() {
        // Normally milliseconds; an engine slowed down by load can take
        // seconds to answer the inspect that precedes the kill.
        e.shutdown(std::time::Duration::from_secs(10)).await;
    }
}

pub async fn connect(spec: &HostSpec) -> anyhow::Result<Client> {
    match spec {
        HostSpec::Local => embedded(),
        HostSpec::Remote(addr) => Ok(dial::connect(addr, &dialing().for_host(addr)).await?),
    }
}

/// One client per host, labelled for display.
pub async fn clients(hosts: &[HostSpec]) -> Vec<(String, anyhow::Result<Client>)> {
    let mut out = Vec::with_capacity(hosts.len());
    for h in hosts {
        out.push((h.to_string(), connect(h).await));
    }
    out
}

/// The single agent a command acts on when nothing else tells which.
pub async fn one(hosts: &[HostSpec]) -> anyhow::Result<Client> {
    match hosts {
        [h] => connect(h).await,
        _ => bail!(
            "this command acts on one host and {} are configured: choose one with --host",
            hosts.len()
        ),
    }
}

/// The agent whose host has `container`: with one host that host; with
/// several, the one where a container of that name (or id prefix) exists.
pub async fn for_container(hosts: &[HostSpec], container: &str) -> anyhow::Result<Client> {
    if hosts.len() == 1 {
        return one(hosts).await;
    }
    let mut found = Vec::new();
    let mut unreachable = Vec::new();
    for (label, client) in clients(hosts).await {
        let mut client = match client {
            Ok(c) => c,
            Err(e) => {
                unreachable.push(format!("{label} ({e:#})"));
                continue;
            }
        };
        let list = match client
            .list_containers(ListContainersRequest { all: true })
            .await
        {
            Ok(l) => l.into_inner().containers,
            Err(s) => {
                unreachable.push(format!("{label} ({})", dial::status_text(&s)));
                continue;
            }
        };
        if list
            .iter()
            .any(|c| c.name == container || (container.len() >= 4 && c.id.starts_with(container)))
        {
            found.push((label, client));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 if unreachable.is_empty() => bail!("Container '{container}' not found on any host"),
        0 => bail!(
            "Container '{container}' not found on the reachable hosts; unreachable: {}",
            unreachable.join(", ")
        ),
        _ => bail!(
            "Container '{container}' exists on {}: choose one with --host",
            found
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}
