//! `dockyard-agent`: serves the local Docker engine to Dockyard clients.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use std::io::IsTerminal;
use std::net::SocketAddr;

use dockyard_agent::cli::{Args, Command, LogFormat};
use dockyard_agent::listen::Listen;
use dockyard_agent::{Engine, auth, server};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_format);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dockyard-agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match &args.command {
        Some(Command::Health { addr }) => {
            let Some(addr) = addr.or(args.health_listen).or(args.tcp_listen()) else {
                eprintln!(
                    "dockyard-agent health: no TCP address to ask (give one, or --health-listen)"
                );
                return ExitCode::FAILURE;
            };
            return rt.block_on(health(addr));
        }
        Some(Command::DialStdio { path }) => {
            let path = path
                .clone()
                .unwrap_or_else(|| dockyard_agent::listen::DEFAULT_SOCKET.into());
            return match rt.block_on(dockyard_agent::dial_stdio::run(&path)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("dockyard-agent dial-stdio: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        None => {}
    }
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dockyard-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The cluster this agent is part of, from its flags: peers need the
/// cluster's CA and this agent's certificate (agents know each other by
/// them, never by address alone).
fn cluster(args: &Args) -> anyhow::Result<server::Cluster> {
    let clustered = !args.peers.is_empty() || args.peers_dns.is_some();
    // An entry lets its callers into every node: it must know who they
    // are, whatever address it listens on.
    if clustered && args.insecure {
        anyhow::bail!(
            "--peer and --peers cannot go with --insecure: an open entry would open every node"
        );
    }
    if clustered && args.token_file.is_none() && args.tls_client_ca.is_none() {
        anyhow::bail!(
            "--peer and --peers need --token-file or --tls-client-ca: an entry must know its callers, since it acts for them on every node"
        );
    }
    let tls = match (&args.peer_ca, &args.tls_cert, &args.tls_key) {
        (Some(ca), Some(cert), Some(key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
            };
            let ca_pem = read(ca)?;
            if let Some(client_ca) = &args.tls_client_ca
                && read(client_ca)? == ca_pem
            {
                anyhow::bail!(
                    "--tls-client-ca and --peer-ca are the same CA: users' certificates must come from a CA of their own, or a user could make one that names an agent"
                );
            }
            dockyard_agent::fleet::gate::ca_der(&ca_pem)
                .map_err(|e| anyhow::anyhow!("--peer-ca {}: {e}", ca.display()))?;
            Some(dockyard_agent::fleet::PeerTls {
                ca_pem,
                cert_pem: read(cert)?,
                key_pem: read(key)?,
                server_name: args.peer_server_name.clone(),
            })
        }
        (Some(_), _, _) => anyhow::bail!(
            "--peer-ca needs --tls-cert and --tls-key: this agent's certificate, signed by that CA"
        ),
        _ if clustered => anyhow::bail!(
            "--peer and --peers need --peer-ca, --tls-cert and --tls-key: agents of a cluster know each other by their certificates"
        ),
        _ => None,
    };
    Ok(server::Cluster {
        node_name: args.node_name.clone(),
        peers: args.peers.clone(),
        peers_dns: args.peers_dns.clone(),
        tls,
    })
}

/// Log lines to stderr: text, coloured only when stderr is a terminal
/// (`docker logs` would show the escape codes), or JSON a line.
fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// `dockyard-agent health`: asks the agent at `addr` (its wildcard
/// address asked on loopback) through the gRPC health checking protocol.
async fn health(addr: SocketAddr) -> ExitCode {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let addr = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => {
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, addr.port()))
        }
        ip if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        _ => addr,
    };
    let ask = async {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        let answer = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await?;
        anyhow::Ok(answer.into_inner().status())
    };
    match tokio::time::timeout(Duration::from_secs(5), ask).await {
        Ok(Ok(ServingStatus::Serving)) => {
            println!("serving");
            ExitCode::SUCCESS
        }
        Ok(Ok(status)) => {
            eprintln!(
                "dockyard-agent: {addr}: {} (the engine does not answer)",
                status.as_str_name()
            );
            ExitCode::FAILURE
        }
        Ok(Err(e)) => {
            eprintln!("dockyard-agent: {addr}: {}", e.root_cause());
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("dockyard-agent: {addr}: no answer in 5 s");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let cluster = cluster(&args)?;
    let peer_ca = cluster.tls.as_ref().map(|t| t.ca_pem.as_slice());
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(auth::server_tls(
            c,
            k,
            args.tls_client_ca.as_deref(),
            peer_ca,
        )?),
        _ => None,
    };
    let tokens = match args.token_file.as_deref() {
        Some(f) => auth::read_tokens(f)?,
        None => Vec::new(),
    };
    let token = !tokens.is_empty();
    for listen in &args.listen {
        let Listen::Tcp(addr) = *listen else {
            continue;
        };
        auth::check_listen(addr, tls.is_some(), token, args.insecure)?;
        if args.insecure && !addr.ip().is_loopback() && (tls.is_none() || !token) {
            tracing::warn!(listen = %addr, "listening off loopback with --insecure: anyone who reaches this port gets a root shell in every container");
        }
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
    let engine = Arc::new(Engine::from_env()?.with_only_label(args.only_label.clone()));
    greet(&engine).await;
    let mut listeners = Vec::new();
    let mut shown = Vec::new();
    let mut sockets = Vec::new();
    for listen in &args.listen {
        match listen {
            Listen::Tcp(addr) => {
                let l = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                shown.push(l.local_addr()?.to_string());
                listeners.push(server::Listener::Tcp(l));
            }
            Listen::Unix(path) => {
                let l = dockyard_agent::listen::bind_unix(path, &args.socket_access())
                    .await
                    .with_context(|| format!("cannot listen on {listen}"))?;
                shown.push(listen.to_string());
                sockets.push(path.clone());
                listeners.push(server::Listener::Unix(l));
            }
        }
    }
    let health_listener = match args.health_listen {
        Some(addr) if !addr.ip().is_loopback() => anyhow::bail!(
            "--health-listen {addr}: the health port answers without TLS or a token; give a loopback address"
        ),
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for health checks"))?,
        ),
        None => None,
    };
    // Scripts and tests read the real address (port 0) from the first
    // line. Written without `println!`: a reader that took its line and
    // closed the pipe is no reason to stop.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for local in &shown {
            let _ = writeln!(out, "dockyard-agent listening on {local}");
            tracing::info!(%local, "listening");
        }
        let _ = out.flush();
    }

    let shutdown = CancellationToken::new();
    tokio::spawn(watch_signals(shutdown.clone()));
    let serve = server::serve(
        listeners,
        engine,
        server::Settings {
            tls,
            tokens,
            sessions: args.session_config(),
            audit,
            health_listener,
            cluster,
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
    for path in sockets {
        let _ = std::fs::remove_file(path);
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
