//! `dockyard-agent`: serves the local Docker engine to Dockyard clients.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use dockyard_agent::cli::Args;
use dockyard_agent::{Engine, auth, server};
use tokio_util::sync::CancellationToken;

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
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(auth::server_tls(c, k, args.tls_client_ca.as_deref())?),
        _ => None,
    };
    let tokens = match args.token_file.as_deref() {
        Some(f) => auth::read_tokens(f)?,
        None => Vec::new(),
    };
    let token = !tokens.is_empty();
    auth::check_listen(args.listen, tls.is_some(), token, args.insecure)?;
    if args.insecure && !args.listen.ip().is_loopback() && (tls.is_none() || !token) {
        tracing::warn!(listen = %args.listen, "listening off loopback with --insecure: anyone who reaches this port gets a root shell in every container");
    }
    tracing::info!(
        tls = tls.is_some(),
        tokens = tokens.len(),
        client_certs = args.tls_client_ca.is_some(),
        "protection"
    );
    let audit = Arc::new(
        dockyard_agent::audit::Audit::open(&args.audit_config())
            .context("cannot open the audit log or the recording directory")?,
    );
    let engine = Arc::new(Engine::from_env()?);
    greet(&engine).await;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    // Scripts and tests read the real address (port 0) from this line.
    println!("dockyard-agent listening on {local}");
    tracing::info!(%local, "listening");

    let shutdown = CancellationToken::new();
    tokio::spawn(watch_signals(shutdown.clone()));
    let serve = server::serve(
        listener,
        engine,
        server::Settings {
            tls,
            tokens,
            sessions: args.session_config(),
            audit,
        },
        shutdown.clone(),
    );
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

/// Says in the log which engine answers. One that does not yet is no
/// reason to stop: it is asked again on first use.
async fn greet(engine: &Engine) {
    match engine.docker().await {
        Ok(d) => match d.version().await {
            Ok(v) => tracing::info!(
                version = v.version.unwrap_or_default(),
                api = v.api_version.unwrap_or_default(),
                "connected to the Docker engine"
            ),
            Err(e) => tracing::warn!("Docker engine not answering yet: {e}"),
        },
        Err(e) => tracing::warn!("{e}; waiting for it"),
    }
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
