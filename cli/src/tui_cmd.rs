//! `dockyard` / `dockyard tui`: the terminal UI on the embedded agent or on
//! every `--host`. Logs go to a file; the screen belongs to the UI.

use dockyard_tui::state::hosts::{HostName, Reach};
use std::io::IsTerminal;

use std::sync::Arc;

use anyhow::{Context, bail};
use dockyard_client::{HostSpec, dial};
use dockyard_tui::{Options, Target};

use crate::cli::TuiArgs;
use crate::connect::Connector;

pub fn run(
    conn: Arc<Connector>,
    args: TuiArgs,
    config: &crate::config::Config,
    replay: Option<std::path::PathBuf>,
) -> anyhow::Result<i32> {
    let overrides = &config.key_overrides();
    let on_quit = crate::config::on_quit(config)?;
    let history = config.history()?;
    let debug_image = crate::config::debug_image(None, config);
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!("the terminal UI needs a terminal; for scripts use 'dockyard exec', 'ps', 'launch'");
    }
    let (leader_text, _) = crate::config::leader(args.leader.as_deref(), config);
    let leader_text = leader_text.as_str();
    let leader = dockyard_tui::input::parse_leader(leader_text)
        .map_err(|_| anyhow::anyhow!("invalid leader key '{leader_text}': use ctrl-<letter>"))?;
    let keymap = dockyard_tui::input::Keymap::with_overrides(leader, overrides)
        .map_err(|e| anyhow::anyhow!("config file: {e}"))?;
    let log = init_file_logging();
    // Two workers: the UI and (when embedded) the agent keep each other
    // responsive.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let targets = targets(&conn)?;
        let options = Options {
            keymap,
            on_quit,
            workspace: state_dir().map(|d| d.join("workspace.json")),
            recordings: recordings_dir(),
            replay,
            history,
            debug_image,
        };
        let r = dockyard_tui::run(targets, options)
            .await
            .context("terminal UI");
        conn.shutdown_embedded().await;
        r
    })?;
    if let Some(path) = log {
        tracing::info!("TUI closed; log at {}", path.display());
    }
    Ok(0)
}

fn targets(conn: &Arc<Connector>) -> anyhow::Result<Vec<Target>> {
    conn.hosts()
        .iter()
        .map(|h| {
            let connect: Box<dyn Fn() -> dockyard_tui::tasks::hosts::ConnectFuture + Send + Sync> =
                match h {
                    HostSpec::Local => {
                        // One embedded agent for the whole session; reconnecting
                        // reuses its channel.
                        let client = conn.embedded()?;
                        Box::new(move || {
                            let c = client.clone();
                            Box::pin(async move { Ok(c) })
                        })
                    }
                    HostSpec::Ssh(_) => {
                        // The connector's rule: the agent there, or its
                        // engine through docker's dial-stdio.
                        let (spec, conn) = (h.clone(), conn.clone());
                        Box::new(move || {
                            let (spec, conn) = (spec.clone(), conn.clone());
                            Box::pin(async move {
                                conn.connect(&spec).await.map_err(|e| format!("{e:#}"))
                            })
                        })
                    }
                    HostSpec::Remote(addr) => {
                        let addr = addr.clone();
                        let opts = conn.dialing().for_host(&addr);
                        Box::new(move || {
                            let (addr, opts) = (addr.clone(), opts.clone());
                            Box::pin(async move {
                                dial::connect(&addr, &opts).await.map_err(|e| e.to_string())
                            })
                        })
                    }
                };
            let reach = match h {
                HostSpec::Local => Reach::Embedded,
                HostSpec::Remote(_) | HostSpec::Ssh(_) => Reach::Remote,
            };
            let name = HostName {
                label: h.to_string(),
                reach,
            };
            Ok(Target { name, connect })
        })
        .collect()
}

/// $XDG_DATA_HOME/dockyard/recordings (~/.local/share/...): where
/// `Ctrl-a r` puts recordings.
fn recordings_dir() -> Option<std::path::PathBuf> {
    Some(
        std::env::var_os("XDG_DATA_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/share"))
            })?
            .join("dockyard/recordings"),
    )
}

/// $XDG_STATE_HOME/dockyard (~/.local/state/dockyard): the log, and the
/// workspace kept with sessions.
fn state_dir() -> Option<std::path::PathBuf> {
    Some(
        std::env::var_os("XDG_STATE_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/state"))
            })?
            .join("dockyard"),
    )
}

/// Logs to $XDG_STATE_HOME/dockyard/dockyard.log (~/.local/state/...),
/// level from DOCKYARD_LOG (default info).
fn init_file_logging() -> Option<std::path::PathBuf> {
    let dir = state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("dockyard.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter = std::env::var("DOCKYARD_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
    Some(path)
}
