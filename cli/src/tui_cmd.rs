//! `dockyard` / `dockyard tui`: the terminal UI on the embedded agent or on
//! every `--host`. Logs go to a file; the screen belongs to the UI.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, bail};
use dockyard_proto::{HostAddr, dial};
use dockyard_tui::{Options, Target};

use crate::cli::TuiArgs;

pub fn run(hosts: &[HostAddr], args: TuiArgs) -> anyhow::Result<i32> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!("the terminal UI needs a terminal; for scripts use 'dockyard exec', 'ps', 'launch'");
    }
    let leader = dockyard_tui::app::parse_leader(&args.leader)
        .with_context(|| format!("invalid leader key '{}': use ctrl-<letter>", args.leader))?;
    let log = init_file_logging();
    // Two workers: the UI and (when embedded) the agent keep each other
    // responsive.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let targets = targets(hosts)?;
        dockyard_tui::run(targets, Options { leader })
            .await
            .context("terminal UI")
    })?;
    if let Some(path) = log {
        tracing::info!("TUI closed; log at {}", path.display());
    }
    Ok(0)
}

fn targets(hosts: &[HostAddr]) -> anyhow::Result<Vec<Target>> {
    if hosts.is_empty() {
        let engine = dockyard_agent::Engine::from_env().context("local Docker engine")?;
        let channel = dockyard_agent::server::embedded_channel(Arc::new(engine));
        let client = dial::client(channel);
        return Ok(vec![Target {
            label: "local".into(),
            connect: Box::new(move || {
                let c = client.clone();
                Box::pin(async move { Ok(c) })
            }),
        }]);
    }
    Ok(hosts
        .iter()
        .map(|h| {
            let addr = h.clone();
            Target {
                label: h.to_string(),
                connect: Box::new(move || {
                    let addr = addr.clone();
                    Box::pin(async move { dial::connect(&addr).await.map_err(|e| e.to_string()) })
                }),
            }
        })
        .collect())
}

/// Logs to $XDG_STATE_HOME/dockyard/dockyard.log (~/.local/state/...),
/// level from DOCKYARD_LOG (default info).
fn init_file_logging() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("XDG_STATE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/state"))
        })?
        .join("dockyard");
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
