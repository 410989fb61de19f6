//! `dockyard`: the command-line client.
//!
//! Exit status follows docker exec: the command's own; 125 when dockyard
//! itself could not run it (agent unreachable, container missing or
//! stopped, bad flag).

mod browse_cmd;
mod cli;
mod completion;
mod config;
mod config_cmd;
mod connect;
mod containers_cmd;
mod cp_cmd;
mod detach_keys;
mod exec_cmd;
mod fanout;
mod forward_cmd;
mod man_cmd;
mod output;
mod record;
mod replay_cmd;
mod sessions_cmd;
mod ssh_engine;
mod terminal;
mod tui_cmd;
mod version_cmd;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};
use dockyard_client::lifecycle::{Lifecycle, Options};

use std::sync::Arc;

use dockyard_client::Flow;

use crate::cli::{Cli, Command};
use crate::connect::Reach;

use output::EXIT_DOCKYARD;

fn main() {
    completion::handle_callback();
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => exit_on_clap_error(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => exit_on_clap_error(e),
    };
    let sources = config_cmd::Sources::of(&matches);
    if !matches!(cli.command, None | Some(Command::Tui(_))) {
        init_logging();
    }
    let code = match run(cli, &sources) {
        Ok(code) => code,
        Err(e) => {
            terminal::restore();
            eprintln!("dockyard: {}", one_line(&e));
            EXIT_DOCKYARD
        }
    };
    terminal::restore();
    // exit() rather than returning: the stdin thread may sit in a blocking
    // read that nothing else would end.
    std::process::exit(code);
}

/// Help and version to stdout, exit 0; anything else as one line, 125.
fn exit_on_clap_error(e: clap::Error) -> ! {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        std::process::exit(0);
    }
    // clap's first line says what is wrong; the usage block after it is
    // noise in a script's log.
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut msg = lines.next().unwrap_or("invalid arguments").to_string();
    // "the following required arguments were not provided:" names them on
    // the next line.
    if msg.ends_with(':')
        && let Some(next) = lines.next()
    {
        msg = format!("{msg} {next}");
    }
    eprintln!("dockyard: {}", msg.trim_start_matches("error: "));
    std::process::exit(EXIT_DOCKYARD);
}

fn run(mut cli: Cli, sources: &config_cmd::Sources) -> anyhow::Result<i32> {
    let config = config::load()?;
    if let Some(Command::Config(a)) = &cli.command {
        return config_cmd::run(&config, &cli, sources, a.format);
    }
    let reach = Reach {
        hosts: std::mem::take(&mut cli.host),
        token: cli.token.clone(),
        tls_ca: cli.tls_ca.clone(),
        tls_cert: cli.tls_cert.clone(),
        tls_key: cli.tls_key.clone(),
    };
    let tui = match &cli.command {
        None | Some(Command::Tui(_)) => true,
        Some(Command::Replay(a)) => a.tui,
        _ => false,
    };
    let flow = if tui { Flow::Panes } else { Flow::Bulk };
    let connector = Arc::new(connect::connector(&config, reach, flow)?);
    // A recording in a pane of the TUI, beside whatever the hosts show.
    if let Some(Command::Replay(a)) = &cli.command
        && a.tui
    {
        replay_cmd::check(&a.file)?;
        let args = cli::TuiArgs {
            leader: cli.tui.leader.clone(),
        };
        return tui_cmd::run(connector, args, &config, Some(a.file.clone()));
    }
    if matches!(cli.command, None | Some(Command::Tui(_))) {
        // `dockyard --leader X tui` as well as `dockyard tui --leader X`.
        let args = match cli.command {
            Some(Command::Tui(a)) => cli::TuiArgs {
                leader: a.leader.or(cli.tui.leader),
            },
            _ => cli.tui,
        };
        return tui_cmd::run(connector, args, &config, None);
    }
    // One thread: a CLI drives one session, and starting worker threads
    // costs more than it saves.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let conn = &connector;
        let result = match cli.command {
            Some(Command::Exec(a)) => exec_cmd::run(conn, a).await,
            Some(Command::Debug(a)) => {
                let image = config::debug_image(a.image.as_deref(), &config);
                exec_cmd::run(conn, exec_cmd::debug_args(a, image)).await
            }
            Some(Command::Launch(a)) => containers_cmd::launch(conn, a).await,
            Some(Command::Stop(a)) => containers_cmd::stop(conn, a).await,
            Some(Command::Rm(a)) => containers_cmd::rm(conn, a).await,
            Some(Command::Ps(a)) => containers_cmd::ps(conn, a).await,
            Some(Command::Logs(a)) => browse_cmd::logs(conn, a).await,
            Some(Command::Cp(a)) => cp_cmd::cp(conn, a).await,
            Some(Command::PortForward(a)) => {
                let image = config::debug_image(a.image.as_deref(), &config);
                forward_cmd::run(conn, a, image).await
            }
            Some(Command::Stats(a)) => browse_cmd::stats(conn, a).await,
            Some(Command::Inspect(a)) => browse_cmd::inspect(conn, a).await,
            Some(Command::Restart(a)) => {
                let opts = Options {
                    timeout: a.timeout,
                    ..Options::default()
                };
                browse_cmd::lifecycle(conn, Lifecycle::Restart, opts, a.containers).await
            }
            Some(Command::Pause(a)) => {
                browse_cmd::lifecycle(conn, Lifecycle::Pause, Options::default(), a.containers)
                    .await
            }
            Some(Command::Unpause(a)) => {
                let opts = Options::default();
                browse_cmd::lifecycle(conn, Lifecycle::Unpause, opts, a.containers).await
            }
            Some(Command::Version(a)) => version_cmd::run(conn, a).await,
            Some(Command::Sessions(a)) => sessions_cmd::run(conn, a).await,
            Some(Command::Attach(a)) => sessions_cmd::attach(conn, a).await,
            Some(Command::Replay(a)) => replay_cmd::run(a).await,
            Some(Command::Completions(a)) => completion::print_script(a.shell),
            Some(Command::Man(a)) => man_cmd::run(a),
            Some(Command::Kill(a)) => {
                let opts = Options {
                    signal: a.signal,
                    ..Options::default()
                };
                browse_cmd::lifecycle(conn, Lifecycle::Kill, opts, a.containers).await
            }
            None | Some(Command::Tui(_)) | Some(Command::Config(_)) => {
                unreachable!("handled above")
            }
        };
        connector.shutdown_embedded().await;
        result
    })
}

/// Errors reach the user as one line, control characters escaped.
fn one_line(e: &anyhow::Error) -> String {
    let status = e.downcast_ref::<tonic::Status>().or_else(|| {
        match e.downcast_ref::<dockyard_client::ExecError>() {
            Some(dockyard_client::ExecError::Rpc(s)) => Some(s),
            _ => None,
        }
    });
    let msg = match status {
        Some(s) => dockyard_client::dial::status_text(s),
        None => format!("{e:#}"),
    };
    dockyard_client::text::printable(&msg.replace('\n', " "))
}

fn init_logging() {
    // Logs only when asked for (DOCKYARD_LOG=debug): stdout and stderr
    // belong to the command being run.
    if let Ok(filter) = std::env::var("DOCKYARD_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            // Time since start: what a latency question needs.
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_writer(std::io::stderr)
            .init();
    }
}
