//! Shell completion: `dockyard completions SHELL` prints a script that asks
//! `dockyard` itself what to offer (clap_complete's environment-driven
//! completion), so flags and subcommands always match this binary, and
//! container names and session ids come from the agents: those of `DOCKYARD_HOST` or the
//! config file (else the local engine), each asked for at most a second,
//! silently skipped when it does not answer.

use std::ffi::OsStr;
use std::time::Duration;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use crate::cli::{Cli, CompletionShell};

/// The variable the generated scripts set when they call back.
const VAR: &str = "COMPLETE";

/// How long one agent may take to list its containers for a completion.
const ASK_LIMIT: Duration = Duration::from_millis(1000);

/// Answers the scripts' call-backs (and exits) when `COMPLETE` is set;
/// otherwise returns and the command runs.
pub fn handle_callback() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .complete();
}

pub fn print_script(shell: CompletionShell) -> anyhow::Result<i32> {
    // The script calls this very binary back, wherever it is installed.
    let me = std::env::current_exe()?;
    let me = me.to_string_lossy();
    let shell: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
    };
    let mut out = std::io::stdout().lock();
    shell.write_registration(VAR, "dockyard", "dockyard", &me, &mut out)?;
    Ok(0)
}

/// Host names: the config file's, and `local`.
pub fn hosts(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut names = vec!["local".to_string()];
    if let Ok(config) = crate::config::load() {
        names.extend(config.hosts);
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| n.starts_with(current.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// Names of the containers on the configured hosts that start with what
/// is typed.
pub fn containers(current: &OsStr) -> Vec<CompletionCandidate> {
    offer(current, |mut client| async move {
        let request = dockyard_client::pb::ListContainersRequest { all: true };
        let list = client.list_containers(request).await.ok()?;
        Some(
            list.into_inner()
                .containers
                .into_iter()
                .map(|c| c.name)
                .collect(),
        )
    })
}

/// Ids of the sessions the configured hosts keep for this identity.
pub fn sessions(current: &OsStr) -> Vec<CompletionCandidate> {
    offer(current, |mut client| async move {
        let request = dockyard_client::pb::ListSessionsRequest {};
        let list = client.list_sessions(request).await.ok()?;
        Some(
            list.into_inner()
                .sessions
                .into_iter()
                .map(|s| s.id)
                .collect(),
        )
    })
}

/// What `ask` finds on every configured host, each asked (dialing
/// included) within the limit, that starts with what is typed.
fn offer<F, Fut>(current: &OsStr, ask: F) -> Vec<CompletionCandidate>
where
    F: Fn(dockyard_client::Client) -> Fut,
    Fut: std::future::Future<Output = Option<Vec<String>>>,
{
    let current = current.to_string_lossy().into_owned();
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return vec![];
    };
    let mut names = rt.block_on(async {
        let Ok(conn) = crate::connect::connector_from_env() else {
            return vec![];
        };
        let mut names = Vec::new();
        for host in conn.hosts() {
            let one = async {
                let client = conn.connect(host).await.ok()?;
                ask(client).await
            };
            if let Ok(Some(found)) = tokio::time::timeout(ASK_LIMIT, one).await {
                names.extend(found);
            }
        }
        conn.shutdown_embedded().await;
        names
    });
    names.sort();
    names.dedup();
    names
        .into_iter()
        // A name with control characters is not offered to a shell.
        .filter(|n| n.starts_with(&current) && !n.chars().any(char::is_control))
        .map(CompletionCandidate::new)
        .collect()
}
