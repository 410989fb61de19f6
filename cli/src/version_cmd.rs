//! `dockyard version`: this client's version, and for every `--host` the
//! agent's and its engine's (as `docker version` shows client and server);
//! for a host that is the entry of a cluster, every node's.

use dockyard_client::dial::status_text;
use dockyard_client::pb;
use dockyard_client::text::printable;

use crate::cli::{PsFormat, VersionArgs};
use crate::connect::Connector;
use crate::output::EXIT_DOCKYARD;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One host's answer, or why there is none (escaped when shown), and how
/// the host was reached.
type Answer = (String, Result<pb::VersionResponse, String>, String);

pub async fn run(conn: &Connector, args: VersionArgs) -> anyhow::Result<i32> {
    let mut answers: Vec<Answer> = Vec::new();
    for spec in conn.hosts() {
        let host = spec.to_string();
        let connected = conn.connect(spec).await;
        // After connecting: an ssh:// host is known to have an agent or not.
        let over = conn.reached_over(spec);
        match connected {
            Ok(mut c) => answers.extend(
                ask(&host, &mut c)
                    .await
                    .into_iter()
                    .map(|(h, a)| (h, a, over.clone())),
            ),
            Err(e) => answers.push((host, Err(format!("{e:#}")), over)),
        }
    }
    let text = match args.format {
        PsFormat::Json => format!("{}\n", serde_json::to_string_pretty(&json(&answers))?),
        PsFormat::Table => table(&answers),
    };
    if !crate::output::print(&text)? {
        return Ok(crate::output::EXIT_PIPE);
    }
    // As docker version: a server that cannot be asked is a failure.
    Ok(if answers.iter().any(|(_, a, _)| a.is_err()) {
        EXIT_DOCKYARD
    } else {
        0
    })
}

/// One host's agents: every node's when it is a cluster's entry (an agent
/// that predates clusters is asked its own version).
async fn ask(
    host: &str,
    client: &mut dockyard_client::Client,
) -> Vec<(String, Result<pb::VersionResponse, String>)> {
    let nodes = match client.list_nodes(pb::ListNodesRequest {}).await {
        Ok(r) => r.into_inner().nodes,
        Err(s) if s.code() == tonic::Code::Unimplemented => {
            let answer = client
                .version(pb::VersionRequest {})
                .await
                .map(|r| r.into_inner())
                .map_err(|s| status_text(&s));
            return vec![(host.to_string(), answer)];
        }
        Err(s) => return vec![(host.to_string(), Err(status_text(&s)))],
    };
    let cluster = nodes.len() > 1;
    nodes
        .into_iter()
        .map(|n| {
            let label = if cluster {
                format!("{host}, node {}", n.name)
            } else {
                host.to_string()
            };
            let answer = match (n.version, n.up) {
                (Some(v), true) => Ok(v),
                _ => Err(if n.error.is_empty() {
                    "down".to_string()
                } else {
                    n.error
                }),
            };
            (label, answer)
        })
        .collect()
}

fn json(answers: &[Answer]) -> serde_json::Value {
    let agents: Vec<serde_json::Value> = answers
        .iter()
        .map(|(host, a, over)| match a {
            Ok(v) => serde_json::json!({
                "host": host,
                "reached": over,
                "node": v.node,
                "version": v.agent_version,
                "api_version": v.api_version,
                "engine": {
                    "version": v.engine_version,
                    "api_version": v.engine_api_version,
                    "os": v.os,
                    "arch": v.arch,
                    "kernel_version": v.kernel_version,
                },
            }),
            Err(e) => serde_json::json!({ "host": host, "reached": over, "error": e }),
        })
        .collect();
    serde_json::json!({
        "client": {
            "version": VERSION,
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
        },
        "agents": agents,
    })
}

fn table(answers: &[Answer]) -> String {
    let mut out = format!(
        "Client:\n Version:     {VERSION}\n OS/Arch:     {}/{}\n",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    for (host, answer, over) in answers {
        out.push_str(&format!(
            "\nAgent {}:\n Reached:     {over}\n",
            printable(host)
        ));
        match answer {
            Ok(v) => {
                if !v.node.is_empty() {
                    out.push_str(&format!(" Node:        {}\n", printable(&v.node)));
                }
                out.push_str(&format!(
                    " Version:     {}\n Engine:      {}\n API version: {} (engine speaks up to {})\n OS/Arch:     {}/{}\n Kernel:      {}\n",
                    printable(&v.agent_version),
                    printable(&v.engine_version),
                    printable(&v.api_version),
                    printable(&v.engine_api_version),
                    printable(&v.os),
                    printable(&v.arch),
                    printable(&v.kernel_version),
                ));
            }
            Err(e) => out.push_str(&format!(" unreachable: {}\n", printable(e))),
        }
    }
    out
}
