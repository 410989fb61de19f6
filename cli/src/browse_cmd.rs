//! `dockyard logs | stats | inspect | restart | pause | unpause | kill`:
//! docker's commands of the same names, with its flags, output and exit
//! codes, on any `--host`.

use dockyard_client::lifecycle::{Lifecycle, Options};
use dockyard_client::routed;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use anyhow::Context;
use dockyard_client::pb::{self, ContainerStats};
use dockyard_client::text::printable;
use dockyard_client::{Cause, Client, OutputStream};
use futures::StreamExt;
use tokio_stream::StreamMap;

use crate::cli::{InspectArgs, LogsArgs, PsFormat, StatsArgs};
use crate::connect::{Connector, NoSuchContainer};
use crate::output::EXIT_DOCKYARD;
use crate::output::OutputWriter;

/// docker's wording for a container that is not there; other errors as
/// the agent gave them.
fn about(container: &str, s: tonic::Status) -> anyhow::Error {
    // An agent from before causes says NotFound alone.
    let old_not_found = Cause::of(&s) == Cause::Unspecified && s.code() == tonic::Code::NotFound;
    if Cause::of(&s) == Cause::ContainerNotFound || old_not_found {
        anyhow::anyhow!("No such container: {}", printable(container))
    } else {
        anyhow::anyhow!("{}", dockyard_client::dial::status_text(&s))
    }
}

/// The agent holding `container`, or docker's "No such container".
pub(crate) async fn locate(conn: &Connector, container: &str) -> anyhow::Result<(String, Client)> {
    conn.locate(container)
        .await
        .map_err(|e| match e.downcast_ref::<NoSuchContainer>() {
            Some(none) if none.unreachable.is_empty() => {
                anyhow::anyhow!("No such container: {}", printable(container))
            }
            _ => e,
        })
}

pub async fn logs(conn: &Connector, args: LogsArgs) -> anyhow::Result<i32> {
    let now = chrono::Utc::now();
    let time = |flag: &str, v: &Option<String>| -> anyhow::Result<String> {
        match v {
            Some(v) => dockyard_client::since::engine_time(v, now)
                .map_err(|e| anyhow::anyhow!("{flag}: {e}")),
            None => Ok(String::new()),
        }
    };
    let tail = match args.tail.as_str() {
        "all" | "-1" => None,
        n => Some(n.parse::<u64>().map_err(|_| {
            anyhow::anyhow!(
                "--tail: invalid value '{}': want a number or all",
                printable(n)
            )
        })?),
    };
    let request = pb::LogsRequest {
        container_identifier: args.container.clone(),
        follow: args.follow,
        tail,
        since: time("--since", &args.since)?,
        until: time("--until", &args.until)?,
        timestamps: args.timestamps,
    };
    let (_, client) = locate(conn, &args.container).await?;
    let mut stream = client
        .clone()
        .container_logs(request)
        .await
        .map_err(|s| about(&args.container, s))?
        .into_inner();
    let mut writer = OutputWriter::spawn()?;
    loop {
        let chunk = match stream.message().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(s) => {
                writer.finish()?;
                return Err(about(&args.container, s));
            }
        };
        if chunk.data.is_empty() {
            continue;
        }
        let to = if chunk.output_kind() == pb::OutputKind::Stderr {
            OutputStream::Stderr
        } else {
            OutputStream::Stdout
        };
        if writer.write(to, chunk.data).await.is_err() {
            break;
        }
    }
    writer.finish()
}

pub async fn inspect(conn: &Connector, args: InspectArgs) -> anyhow::Result<i32> {
    let mut found = Vec::new();
    let mut failed = false;
    for name in &args.containers {
        let answer = async {
            let (_, client) = locate(conn, name).await?;
            let req = pb::ContainerRef {
                container_identifier: name.clone(),
            };
            let r = client
                .clone()
                .inspect_container(req)
                .await
                .map_err(|s| about(name, s))?;
            anyhow::Ok(r.into_inner().json)
        };
        match answer.await {
            Ok(json) => found.push(json),
            Err(e) => {
                // docker prints what it found and names what it did not.
                eprintln!("dockyard: {}", printable(&format!("{e:#}")));
                failed = true;
            }
        }
    }
    if !crate::output::print(&dockyard_client::inspect::docker_output(&found))? {
        return Ok(crate::output::EXIT_PIPE);
    }
    Ok(if failed { EXIT_DOCKYARD } else { 0 })
}

/// Each container in turn; its name on stdout when done, as docker
/// prints it, the reason on stderr when not. 125 if any failed.
pub async fn lifecycle(
    conn: &Connector,
    op: Lifecycle,
    opts: Options,
    containers: Vec<String>,
) -> anyhow::Result<i32> {
    let mut failed = false;
    let mut reader_here = true;
    for name in containers {
        let done = async {
            let (_, client) = locate(conn, &name).await?;
            let r = op.apply(&mut client.clone(), None, &name, &opts).await;
            r.map_err(|s| about(&name, s))?;
            anyhow::Ok(())
        };
        match done.await {
            // Every container is still done when nobody reads the names.
            Ok(()) if reader_here => {
                reader_here = crate::output::print(&format!("{}\n", printable(&name)))?;
            }
            Ok(()) => {}
            Err(e) => {
                eprintln!("dockyard: {}", printable(&format!("{e:#}")));
                failed = true;
            }
        }
    }
    Ok(if failed {
        EXIT_DOCKYARD
    } else if !reader_here {
        crate::output::EXIT_PIPE
    } else {
        0
    })
}

/// A row of the stats table: the host's label, the container's name, and
/// its latest sample (zeros until one arrives, as docker shows a stopped
/// container).
type Rows = BTreeMap<(String, String), (String, ContainerStats)>;

pub async fn stats(conn: &Connector, args: StatsArgs) -> anyhow::Result<i32> {
    let stream = !args.no_stream;
    let mut rows: Rows = BTreeMap::new();
    let mut streams = StreamMap::new();
    let mut failed = false;
    let mut report = |host: &str, e: anyhow::Error| {
        eprintln!("dockyard: {host}: {}", printable(&format!("{e:#}")));
        failed = true;
    };
    // Which containers each host watches: the named ones where they are;
    // with -a every container listed; otherwise every running one (the
    // agent follows starts and stops).
    // By host and, in a cluster, by node.
    let mut plan: BTreeMap<(String, String), (Client, Vec<String>)> = BTreeMap::new();
    if !args.containers.is_empty() {
        for name in &args.containers {
            let (host, client) = locate(conn, name).await?;
            let node = dockyard_client::locate(&mut client.clone(), name)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            plan.entry((host, node))
                .or_insert_with(|| (client, Vec::new()))
                .1
                .push(name.clone());
        }
    } else {
        for (host, client) in conn.clients().await {
            match client {
                Ok(client) => {
                    plan.insert((host, String::new()), (client, Vec::new()));
                }
                Err(e) if conn.hosts().len() == 1 => return Err(e),
                Err(e) => report(&host, e),
            }
        }
    }
    for ((host, node), (mut client, names)) in plan {
        if args.all && names.is_empty() {
            let list = client
                .list_containers(pb::ListContainersRequest { all: true })
                .await
                .context("listing containers")?
                .into_inner()
                .containers;
            // Every container shows, the stopped ones at zero; the running
            // ones (and any that start later) come from the agent's
            // stream of every running container.
            for c in list {
                rows.insert((host.clone(), c.id.clone()), (c.name, zero(&c.id)));
            }
        }
        let request = pb::StatsRequest {
            container_identifiers: names.clone(),
            stream,
        };
        match client
            .container_stats(routed(request, Some(node.as_str())))
            .await
        {
            Ok(s) => {
                streams.insert((host, node), s.into_inner());
            }
            Err(s) => {
                // The agent names the first container it could not find.
                let subject = dockyard_client::cause::subject(&s);
                let missing = names.iter().find(|n| Some(n.as_str()) == subject);
                return Err(match missing {
                    Some(name) => about(name, s),
                    None => anyhow::anyhow!("{}", dockyard_client::dial::status_text(&s)),
                });
            }
        }
    }
    let hosts_shown = conn.hosts().len() > 1;
    let fancy = stream && std::io::stdout().is_terminal();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let keep_gone = args.all || !args.containers.is_empty();
    loop {
        tokio::select! {
            item = streams.next() => match item {
                Some(((host, _), Ok(batch))) => absorb(&mut rows, &host, batch, keep_gone),
                Some((key, Err(s))) => {
                    report(&key.0, anyhow::anyhow!("{}", dockyard_client::dial::status_text(&s)));
                    streams.remove(&key);
                }
                None => break,
            },
            _ = tick.tick(), if stream => print_stats(&rows, args.format, hosts_shown, fancy)?,
        }
    }
    print_stats(&rows, args.format, hosts_shown, fancy)?;
    Ok(if failed { EXIT_DOCKYARD } else { 0 })
}

fn zero(id: &str) -> ContainerStats {
    ContainerStats {
        id: id.to_string(),
        ..Default::default()
    }
}

fn absorb(rows: &mut Rows, host: &str, batch: pb::StatsResponse, keep_gone: bool) {
    for s in batch.stats {
        let key = (host.to_string(), s.id.clone());
        if s.gone {
            if keep_gone {
                if let Some(row) = rows.get_mut(&key) {
                    row.1 = zero(&s.id);
                }
            } else {
                rows.remove(&key);
            }
            continue;
        }
        let name = match rows.get(&key) {
            Some((n, _)) if s.name.is_empty() => n.clone(),
            _ => s.name.clone(),
        };
        rows.insert(key, (name, s));
    }
}

fn print_stats(rows: &Rows, format: PsFormat, with_host: bool, fancy: bool) -> anyhow::Result<()> {
    let mut out = String::new();
    if fancy {
        // docker's redraw: clear, home, the table.
        out.push_str("\x1b[2J\x1b[H");
    }
    match format {
        PsFormat::Json => {
            for ((host, id), (name, s)) in rows {
                let mut obj = dockyard_client::stats::json(id, name, s);
                if with_host {
                    obj["Host"] = serde_json::Value::String(host.clone());
                }
                out.push_str(&serde_json::to_string(&obj)?);
                out.push('\n');
            }
        }
        PsFormat::Table => {
            let mut table: Vec<Vec<String>> = Vec::new();
            let mut header: Vec<String> = dockyard_client::stats::HEADER.map(String::from).to_vec();
            if with_host {
                header.insert(0, "HOST".into());
            }
            table.push(header);
            for ((host, id), (name, s)) in rows {
                let mut row = dockyard_client::stats::row(id, name, s).to_vec();
                if with_host {
                    row.insert(0, host.clone());
                }
                table.push(row);
            }
            out.push_str(&crate::output::tabwriter(&table));
        }
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        r => Ok(r?),
    }
}
