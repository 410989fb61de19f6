//! Which agent(s) a command talks to: the `--host`s given (or the config
//! file's), where `local` is an agent embedded in this process on the local
//! Docker socket; with none, `local` alone.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};
use dockyard_agent::server::Embedded;
use dockyard_client::find::{Found, find};
use dockyard_client::pb::ListContainersRequest;
use dockyard_client::ssh::SshLink;
use dockyard_client::{Auth, Client, DialOptions, Flow, HostAddr, HostSpec, dial};

/// How this run reaches agents: the hosts it acts on, token and TLS
/// settings (flags, environment and config file, decided once at start),
/// and the agent embedded in this process for `local`, started on first
/// use and shared by everything that talks to `local` (the TUI's
/// reconnects included).
pub struct Connector {
    hosts: Vec<HostSpec>,
    dialing: Dialing,
    embedded: OnceLock<Embedded>,
    /// Agents in this process for `ssh://` hosts without one, each on its
    /// host's engine through `docker system dial-stdio`.
    over_ssh:
        std::sync::Mutex<std::collections::HashMap<dockyard_client::ssh::SshTarget, Embedded>>,
    /// Each `ssh://` host's one SSH connection, shared by everything that
    /// talks to it (the TUI's reconnects included).
    links:
        std::sync::Mutex<std::collections::HashMap<dockyard_client::ssh::SshTarget, Arc<SshLink>>>,
}

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

impl Connector {
    pub fn new(hosts: Vec<HostSpec>, dialing: Dialing) -> Self {
        Connector {
            hosts,
            dialing,
            embedded: OnceLock::new(),
            over_ssh: Default::default(),
            links: Default::default(),
        }
    }

    pub fn hosts(&self) -> &[HostSpec] {
        &self.hosts
    }

    pub fn dialing(&self) -> &Dialing {
        &self.dialing
    }

    pub fn embedded(&self) -> anyhow::Result<Client> {
        if let Some(e) = self.embedded.get() {
            return Ok(dial::client(e.channel.clone(), Auth::default()));
        }
        let engine = dockyard_agent::Engine::from_env().context("local Docker engine")?;
        let e = self
            .embedded
            .get_or_init(|| Embedded::start(Arc::new(engine), self.dialing.defaults.flow));
        Ok(dial::client(e.channel.clone(), Auth::default()))
    }

    /// Before leaving: ends the embedded agent's execs that are still
    /// running (their client is about to vanish with this process) and
    /// waits briefly for them. Without it, `dockyard exec c yes | head` or
    /// quitting the TUI would leave processes behind in the containers.
    pub async fn shutdown_embedded(&self) {
        if let Some(e) = self.embedded.get() {
            // Normally milliseconds; an engine slowed down by load can
            // take seconds to answer the inspect that precedes the kill.
            e.shutdown(std::time::Duration::from_secs(10)).await;
        }
        let over_ssh: Vec<Embedded> = match self.over_ssh.lock() {
            Ok(mut m) => m.drain().map(|(_, e)| e).collect(),
            Err(_) => Vec::new(),
        };
        for e in over_ssh {
            e.shutdown(std::time::Duration::from_secs(10)).await;
        }
    }

    /// The client of the agent in this process for `target`'s engine,
    /// when the host has no agent (None before it was found so).
    fn over_ssh(&self, target: &dockyard_client::ssh::SshTarget) -> Option<Client> {
        let m = self.over_ssh.lock().ok()?;
        m.get(target)
            .map(|e| dial::client(e.channel.clone(), Auth::default()))
    }

    /// Starts an agent in this process on `target`'s engine, reached
    /// through `ssh HOST docker system dial-stdio`.
    fn start_over_ssh(&self, link: Arc<SshLink>) -> Client {
        let target = link.target().clone();
        let dialer = crate::ssh_engine::SshEngine::new(link);
        let addr = dockyard_agent::engine::EngineAddr::Piped(dockyard_agent::engine::Piped(
            Arc::new(dialer),
        ));
        let engine = Arc::new(dockyard_agent::Engine::new(addr));
        let e = Embedded::start(engine, self.dialing.defaults.flow);
        let client = dial::client(e.channel.clone(), Auth::default());
        if let Ok(mut m) = self.over_ssh.lock() {
            m.insert(target, e);
        }
        client
    }

    /// `target`'s SSH connection, made on first use.
    fn link(&self, target: &dockyard_client::ssh::SshTarget) -> Arc<SshLink> {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        links
            .entry(target.clone())
            .or_insert_with(|| SshLink::new(target.clone(), self.dialing.defaults.ssh.clone()))
            .clone()
    }

    pub async fn connect(&self, spec: &HostSpec) -> anyhow::Result<Client> {
        match spec {
            HostSpec::Local => self.embedded(),
            HostSpec::Remote(addr) => Ok(dial::connect(addr, &self.dialing.for_host(addr)).await?),
            HostSpec::Ssh(target) => {
                if let Some(c) = self.over_ssh(target) {
                    return Ok(c);
                }
                let link = self.link(target);
                match dial::connect_ssh(&link, &self.dialing.defaults).await {
                    // No agent there: its engine through docker's own
                    // dial-stdio, with an agent in this process.
                    Err(dockyard_client::DialError::NoAgent(why)) => {
                        tracing::info!(
                            "{why}; reaching its engine through docker system dial-stdio"
                        );
                        Ok(self.start_over_ssh(link))
                    }
                    other => Ok(other?),
                }
            }
        }
    }

    /// The `ssh://` hosts reached without an agent there (their engine
    /// through `docker system dial-stdio`), as labelled.
    pub fn without_agent(&self) -> Vec<String> {
        self.hosts
            .iter()
            .filter_map(|h| match h {
                HostSpec::Ssh(t) if self.over_ssh(t).is_some() => Some(h.to_string()),
                _ => None,
            })
            .collect()
    }

    /// How a host is reached, for a person (`dockyard version`).
    pub fn reached_over(&self, spec: &HostSpec) -> String {
        match spec {
            HostSpec::Local => "the agent in this process, on the local engine".into(),
            HostSpec::Remote(addr) => {
                let tls = self.dialing.for_host(addr).tls_for(addr);
                format!("an agent over TCP{}", if tls { " with TLS" } else { "" })
            }
            HostSpec::Ssh(t) if self.over_ssh(t).is_some() => {
                "the engine over SSH (docker system dial-stdio), no agent there: an agent in this process".into()
            }
            HostSpec::Ssh(t) => format!(
                "an agent over SSH, its socket {}",
                t.socket
                    .as_deref()
                    .unwrap_or(dockyard_client::DEFAULT_SOCKET)
            ),
        }
    }

    /// One client per host, labelled for display.
    pub async fn clients(&self) -> Vec<(String, anyhow::Result<Client>)> {
        let mut out = Vec::with_capacity(self.hosts.len());
        for h in &self.hosts {
            out.push((h.to_string(), self.connect(h).await));
        }
        out
    }

    /// The single agent a command acts on when nothing else tells which.
    pub async fn one(&self) -> anyhow::Result<Client> {
        match self.hosts.as_slice() {
            [h] => self.connect(h).await,
            hosts => bail!(
                "this command acts on one host and {} are configured: choose one with --host",
                hosts.len()
            ),
        }
    }

    /// The agent whose host has `container`: with one host that host; with
    /// several, the one where a container of that name (or id prefix) exists.
    pub async fn for_container(&self, container: &str) -> anyhow::Result<Client> {
        Ok(self.locate(container).await?.1)
    }

    /// Like [`for_container`](Self::for_container), with the host's label.
    /// A container that no host has is a [`NoSuchContainer`] error.
    pub async fn locate(&self, container: &str) -> anyhow::Result<(String, Client)> {
        if let [h] = self.hosts.as_slice() {
            return Ok((h.to_string(), self.connect(h).await?));
        }
        let mut found = Vec::new();
        let mut unreachable = Vec::new();
        for (label, client) in self.clients().await {
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
            if !matches!(find(&list, container), Found::None) {
                found.push((label, client));
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(NoSuchContainer {
                container: container.to_string(),
                unreachable,
            }
            .into()),
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
}

/// No host has the container; some may not have answered.
#[derive(Debug)]
pub struct NoSuchContainer {
    pub container: String,
    /// The hosts that could not be asked, each with why.
    pub unreachable: Vec<String>,
}

impl std::fmt::Display for NoSuchContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = &self.container;
        if self.unreachable.is_empty() {
            write!(f, "Container '{name}' not found on any host")
        } else {
            write!(
                f,
                "Container '{name}' not found on the reachable hosts; unreachable: {}",
                self.unreachable.join(", ")
            )
        }
    }
}

impl std::error::Error for NoSuchContainer {}

/// What decides how agents are reached: the flags (or their environment
/// variables), before the config file fills in what they leave out.
pub struct Reach {
    pub hosts: Vec<HostSpec>,
    pub token: Option<String>,
    pub tls_ca: Option<std::path::PathBuf>,
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
}

/// Which layer decided a setting: what was given (a flag, or its
/// environment variable: `dockyard config` tells which), the config file,
/// or the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Given,
    File,
    Default,
}

/// How this run reaches agents, every setting decided once with the
/// layer it came from: `connector` builds the run's [`Connector`] from it
/// and `dockyard config` shows it, so they cannot disagree.
pub struct Reached {
    pub hosts: Vec<HostSpec>,
    /// The hosts as written where they came from.
    pub hosts_text: Vec<String>,
    pub hosts_from: Layer,
    pub token: (Option<String>, Layer),
    pub tls_ca: (Option<std::path::PathBuf>, Layer),
    pub tls_cert: (Option<std::path::PathBuf>, Layer),
    pub tls_key: (Option<std::path::PathBuf>, Layer),
    /// The config file's tokens for particular hosts, by `HostAddr`'s
    /// form; unused when a token was given for every host.
    pub per_host: std::collections::HashMap<String, String>,
}

fn layered<T>(given: Option<T>, file: Option<T>) -> (Option<T>, Layer) {
    match (given, file) {
        (Some(v), _) => (Some(v), Layer::Given),
        (None, Some(v)) => (Some(v), Layer::File),
        (None, None) => (None, Layer::Default),
    }
}

impl Reach {
    /// The flags' hosts, else the config file's, else `local`; what was
    /// given wins over the config file; a token given is for every host.
    pub fn resolve(self, config: &crate::config::Config) -> anyhow::Result<Reached> {
        let (hosts, hosts_text, hosts_from) = if !self.hosts.is_empty() {
            let text = self.hosts.iter().map(ToString::to_string).collect();
            (self.hosts, text, Layer::Given)
        } else if !config.hosts.is_empty() {
            let parsed = config
                .hosts
                .iter()
                .map(|h| h.parse().map_err(|e| anyhow::anyhow!("config file: {e}")))
                .collect::<anyhow::Result<_>>()?;
            (parsed, config.hosts.clone(), Layer::File)
        } else {
            (vec![HostSpec::Local], vec!["local".into()], Layer::Default)
        };
        let mut per_host = std::collections::HashMap::new();
        if self.token.is_none() {
            for (h, t) in &config.tokens {
                let addr: dockyard_client::HostAddr = h
                    .parse()
                    .map_err(|e| anyhow::anyhow!("config file tokens: {e}"))?;
                per_host.insert(addr.to_string(), t.clone());
            }
        }
        Ok(Reached {
            hosts,
            hosts_text,
            hosts_from,
            token: layered(self.token, config.token.clone()),
            tls_ca: layered(self.tls_ca, config.tls_ca.clone()),
            tls_cert: layered(self.tls_cert, config.tls_cert.clone()),
            tls_key: layered(self.tls_key, config.tls_key.clone()),
            per_host,
        })
    }
}

/// The agents of this run, as [`Reach::resolve`] decides them.
pub fn connector(
    config: &crate::config::Config,
    reach: Reach,
    flow: Flow,
) -> anyhow::Result<Connector> {
    let r = reach.resolve(config)?;
    let dialing = Dialing {
        defaults: dockyard_client::DialOptions {
            token: r.token.0,
            tls_ca: r.tls_ca.0,
            tls_cert: r.tls_cert.0,
            tls_key: r.tls_key.0,
            flow,
            ssh: None,
        },
        per_host: r.per_host,
    };
    Ok(Connector::new(r.hosts, dialing))
}

/// The agents a completion asks: as a run with no flags would reach them
/// (environment variables, then the config file).
pub fn connector_from_env() -> anyhow::Result<Connector> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let hosts = env("DOCKYARD_HOST")
        .map(|v| {
            v.split(',')
                .map(|h| h.parse().map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<Vec<HostSpec>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let reach = Reach {
        hosts,
        token: env("DOCKYARD_TOKEN"),
        tls_ca: env("DOCKYARD_TLS_CA").map(Into::into),
        tls_cert: None,
        tls_key: None,
    };
    connector(&crate::config::load()?, reach, Flow::Bulk)
}
