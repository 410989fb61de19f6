//! `dockyard-agent`: serves the local Docker engine to Dockyard clients.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use dockyard_agent::{Engine, server};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "dockyard-agent",
    version,
    about = "Serve this host's Docker engine to Dockyard clients over gRPC"
)]
struct Args {
    /// Address to listen on. Port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:50051", env = "DOCKYARD_LISTEN")]
    listen: SocketAddr,

    /// Allow listening on a non-loopback address without TLS or a token.
    /// Anyone who can reach the port gets a root shell in every container.
    #[arg(long)]
    insecure: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dockyard-agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dockyard-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        if !args.insecure {
            bail!(
                "refusing to listen on {} without TLS and a token: TLS is not built yet, so only loopback is safe; pass --insecure to accept the risk",
                args.listen
            );
        }
        tracing::warn!(listen = %args.listen, "listening off loopback with --insecure: no TLS, no authentication");
    }
    let engine = Arc::new(Engine::from_env()?);
    match engine.docker().await {
        Ok(d) => match d.version().await {
            Ok(v) => tracing::info!(
                version = v.version.unwrap_or_default(),
                api = v.api_version.unwrap_or_default(),
                "connected to the Docker engine"
            ),
            Err(e) => tracing::warn!("Docker engine not answering yet: {e}"),
        },
        Err(e) => tracing::warn!("Docker engine not reachable yet: {e}"),
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    // Scripts and tests read the real address (port 0) from this line.
    println!("dockyard-agent listening on {local}");
    tracing::info!(%local, "listening");

    let shutdown = CancellationToken::new();
    tokio::spawn(watch_signals(shutdown.clone()));
    let serve = server::serve(listener, engine, shutdown.clone());
    tokio::pin!(serve);
    tokio::select! {
        r = &mut serve => r?,
        _ = async {
            shutdown.cancelled().await;
            // Running execs get their final status; a client that never
            // reads it does not hold the agent up for long.
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => tracing::warn!("sessions did not close in 10 s; exiting anyway"),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn watch_signals(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    shutdown.cancel();
}
