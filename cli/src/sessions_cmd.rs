//! `dockyard sessions`, `sessions rm` and `attach`: the durable TTY
//! sessions the agents keep for this identity (token or client
//! certificate), on every `--host`.

use anyhow::bail;
use dockyard_client::pb::{ListSessionsRequest, SessionInfo, SessionRef};
use dockyard_client::text::{human_duration, printable};
use dockyard_client::{Client, ExecSession};

use crate::cli::{AttachArgs, PsFormat, SessionsArgs, SessionsCommand};
use crate::connect::Connector;
use crate::exec_cmd::{Interaction, detach_keys, interact};
use crate::output::{print, tabwriter};
use crate::record::Recording;
use crate::terminal;

pub async fn run(conn: &Connector, args: SessionsArgs) -> anyhow::Result<i32> {
    if let Some(SessionsCommand::Rm { ids }) = args.command {
        return rm(conn, ids).await;
    }
    let (rows, failed) = list_all(conn).await?;
    let text = match args.format {
        PsFormat::Table => table(&rows),
        PsFormat::Json => {
            let items: Vec<serde_json::Value> = rows.iter().map(|(h, s)| json(h, s)).collect();
            serde_json::to_string_pretty(&items)? + "\n"
        }
    };
    print(&text)?;
    Ok(if failed {
        crate::output::EXIT_DOCKYARD
    } else {
        0
    })
}

/// Every host's sessions, oldest first per host. A host that cannot be
/// asked is reported (the others still listed); with one host, it is the
/// error.
async fn list_all(conn: &Connector) -> anyhow::Result<(Vec<(String, SessionInfo)>, bool)> {
    let mut rows = Vec::new();
    let mut failed = false;
    for (host, client) in conn.clients().await {
        let listed = match client {
            Ok(mut c) => c
                .list_sessions(ListSessionsRequest {})
                .await
                .map(|r| {
                    let r = r.into_inner();
                    failed |= crate::output::say_unreachable(&host, &r.unreachable);
                    r.sessions
                })
                .map_err(|s| anyhow::anyhow!("{}", dockyard_client::dial::status_text(&s))),
            Err(e) => Err(e),
        };
        match listed {
            Ok(list) => rows.extend(list.into_iter().map(|s| (host.clone(), s))),
            Err(e) if conn.hosts().len() == 1 => return Err(e),
            Err(e) => {
                eprintln!("dockyard: {host}: {}", printable(&format!("{e:#}")));
                failed = true;
            }
        }
    }
    // Where someone looks for a session that outlived its client.
    for host in conn.without_agent() {
        eprintln!(
            "dockyard: {}: no dockyard-agent there, so no sessions outlive their client (see docs/ssh.md)",
            printable(&host)
        );
    }
    Ok((rows, failed))
}

fn state(s: &SessionInfo) -> String {
    match s.clients {
        0 => "detached".into(),
        n => format!("attached ({n})"),
    }
}

/// Its command; a debug session's is marked, and with none, it runs the
/// toolbox's shell.
fn command(s: &SessionInfo) -> String {
    let cmd = printable(&shell_words::join(&s.command));
    match (s.debug_image.is_empty(), cmd.is_empty()) {
        (true, _) => cmd,
        (false, true) => "[debug] sh".into(),
        (false, false) => format!("[debug] {cmd}"),
    }
}

fn table(rows: &[(String, SessionInfo)]) -> String {
    // A NODE column when the sessions run on several nodes of a cluster.
    let nodes: std::collections::BTreeSet<&str> =
        rows.iter().map(|(_, s)| s.node.as_str()).collect();
    let with_node = nodes.len() > 1;
    let mut t = vec![
        [
            "ID",
            "HOST",
            "NODE",
            "CONTAINER",
            "COMMAND",
            "STATE",
            "SIZE",
            "IDLE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (host, s) in rows {
        let mut cmd = command(s);
        if cmd.chars().count() > 30 {
            cmd = cmd.chars().take(29).collect::<String>() + "…";
        }
        t.push(vec![
            s.id.clone(),
            printable(host),
            printable(&s.node),
            printable(&s.container_name),
            cmd,
            state(s),
            format!("{}x{}", s.cols, s.rows),
            human_duration(std::time::Duration::from_secs(s.idle_seconds)),
        ]);
    }
    if !with_node {
        t.iter_mut().for_each(|row| {
            row.remove(2);
        });
    }
    tabwriter(&t)
}

fn json(host: &str, s: &SessionInfo) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "host": host,
        "node": s.node,
        "container": s.container_name,
        "command": s.command,
        "user": s.user,
        "exec_id": s.exec_id,
        "state": if s.clients == 0 { "detached" } else { "attached" },
        "clients": s.clients,
        "rows": s.rows,
        "cols": s.cols,
        "created": s.created,
        "idle_seconds": s.idle_seconds,
        "expires_in_seconds": (s.clients == 0).then_some(s.expires_in_seconds),
        "title": s.title,
        "debug_image": (!s.debug_image.is_empty()).then_some(&s.debug_image),
    })
}

/// The host and the session `id` names: an id or a prefix of exactly one
/// session's id, on any host.
async fn locate(conn: &Connector, id: &str) -> anyhow::Result<(String, Client, SessionInfo)> {
    if id.is_empty() {
        bail!("a session id is needed (see `dockyard sessions`)");
    }
    let (rows, _) = list_all(conn).await?;
    let exact: Vec<_> = rows.iter().filter(|(_, s)| s.id == id).collect();
    let matches: Vec<_> = if exact.is_empty() {
        rows.iter().filter(|(_, s)| s.id.starts_with(id)).collect()
    } else {
        exact
    };
    let (host, s) = match matches.as_slice() {
        [one] => *one,
        [] => bail!("No such session: {}", printable(id)),
        _ => bail!("session id {} is ambiguous: give more of it", printable(id)),
    };
    let spec = conn
        .hosts()
        .iter()
        .find(|h| &h.to_string() == host)
        .ok_or_else(|| anyhow::anyhow!("host {host} went away"))?;
    Ok((host.clone(), conn.connect(spec).await?, s.clone()))
}

async fn rm(conn: &Connector, ids: Vec<String>) -> anyhow::Result<i32> {
    let mut failed = false;
    for id in ids {
        let ended = async {
            let (_, mut client, info) = locate(conn, &id).await?;
            let node = Some(info.node.as_str());
            client
                .end_session(dockyard_client::routed(
                    SessionRef {
                        session_id: info.id,
                    },
                    node,
                ))
                .await
                .map_err(|s| anyhow::anyhow!("{}", dockyard_client::dial::status_text(&s)))?;
            anyhow::Ok(())
        };
        match ended.await {
            Ok(()) => println!("{}", printable(&id)),
            Err(e) => {
                eprintln!("dockyard: {}", printable(&format!("{e:#}")));
                failed = true;
            }
        }
    }
    Ok(if failed {
        crate::output::EXIT_DOCKYARD
    } else {
        0
    })
}

/// `dockyard attach ID`: the screen as the program left it, resized to
/// this terminal, then live, with `exec -it`'s exit-status rules.
pub async fn attach(conn: &Connector, args: AttachArgs) -> anyhow::Result<i32> {
    let detach_keys = detach_keys(args.detach_keys.as_deref(), true)?;
    let (host, mut client, info) = locate(conn, &args.id).await?;
    let id = info.id.clone();
    if !terminal::stdin_is_tty() || !terminal::stdout_is_tty() {
        bail!("attach needs a terminal (stdin and stdout): a session is a full screen");
    }
    let size = terminal::size().unwrap_or((24, 80));
    let recording = match &args.record {
        Some(path) => Some(Recording::start(
            path,
            size,
            &info.command,
            format!("{host}/{}", info.container_name),
            args.record_input,
        )?),
        None => None,
    };
    let node = Some(info.node.as_str());
    let session = ExecSession::attach_on(&mut client, node, &id, size, None).await?;
    let how = Interaction {
        tty: true,
        interactive: true,
        raw: true,
        detach_keys,
        recording,
    };
    interact(session, how).await
}
