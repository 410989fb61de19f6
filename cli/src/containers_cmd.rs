//! `dockyard launch | stop | rm | ps`.

use std::collections::HashMap;
use std::io::IsTerminal;

use anyhow::{Context, bail};
use dockyard_proto::pb::{self, ListContainersRequest, PullRequest};
use dockyard_proto::{Client, HostSpec};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{LaunchArgs, PsArgs, PsFormat, RmArgs, StopArgs};
use crate::{connect, envs};
use dockyard_proto::text::printable;

pub async fn launch(hosts: &[HostSpec], args: LaunchArgs) -> anyhow::Result<i32> {
    let environment = envs::collect(&args.env, &[] as &[&str]).map_err(anyhow::Error::msg)?;
    let ports = args
        .ports
        .iter()
        .map(|p| dockyard_proto::args::parse_port(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let mut labels = HashMap::new();
    for l in &args.labels {
        let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
        if k.is_empty() {
            bail!("invalid label '{}': expected KEY=VALUE", printable(l));
        }
        labels.insert(k.to_string(), v.to_string());
    }
    let mut client = connect::one(hosts).await?;
    pull_with_progress(&mut client, &args.image).await?;
    let resp = client
        .launch_container(pb::LaunchRequest {
            image: args.image,
            name: args.name.unwrap_or_default(),
            command: args.command,
            environment,
            ports,
            labels,
            restart_policy: args.restart.unwrap_or_default(),
        })
        .await?
        .into_inner();
    println!("{}", resp.container_id);
    Ok(0)
}

/// Pulls the image if it is missing, with a progress bar on a terminal and
/// one line per layer change otherwise (for logs).
async fn pull_with_progress(client: &mut Client, image: &str) -> anyhow::Result<()> {
    let mut stream = client
        .pull_image(PullRequest {
            image: image.to_string(),
            only_if_missing: true,
        })
        .await?
        .into_inner();
    let fancy = std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let mut layers: HashMap<String, (u64, u64, String)> = HashMap::new();
    while let Some(p) = stream.message().await? {
        if p.already_present {
            return Ok(());
        }
        if p.done {
            break;
        }
        if bar.is_none() {
            if fancy {
                let b = ProgressBar::new(0).with_message(format!("Pulling {}", printable(image)));
                b.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
                    )
                    .context("progress template")?
                    .progress_chars("=> "),
                );
                bar = Some(b);
            } else {
                eprintln!("Pulling {}", printable(image));
                bar = Some(ProgressBar::hidden());
            }
        }
        if p.layer.is_empty() {
            continue;
        }
        let entry = layers.entry(p.layer.clone()).or_default();
        let changed = entry.2 != p.status;
        if p.status == "Downloading" {
            entry.0 = p.current;
            entry.1 = p.total.max(entry.1);
        } else if matches!(
            p.status.as_str(),
            "Download complete" | "Pull complete" | "Already exists"
        ) {
            entry.0 = entry.1;
        }
        entry.2 = p.status.clone();
        if !fancy && changed {
            eprintln!("{}: {}", printable(&p.layer), printable(&p.status));
        }
        if let Some(b) = &bar {
            let (cur, total) = layers.values().fold((0, 0), |(c, t), l| (c + l.0, t + l.1));
            b.set_length(total);
            b.set_position(cur);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
        eprintln!("Pulled {}", printable(image));
    }
    Ok(())
}

pub async fn stop(hosts: &[HostSpec], args: StopArgs) -> anyhow::Result<i32> {
    let mut client = connect::for_container(hosts, &args.container).await?;
    client
        .stop_container(pb::StopRequest {
            container_identifier: args.container.clone(),
            timeout_seconds: args.timeout,
        })
        .await?;
    println!("{}", printable(&args.container));
    Ok(0)
}

pub async fn rm(hosts: &[HostSpec], args: RmArgs) -> anyhow::Result<i32> {
    let mut client = connect::for_container(hosts, &args.container).await?;
    client
        .remove_container(pb::RemoveRequest {
            container_identifier: args.container.clone(),
            force: args.force,
        })
        .await?;
    println!("{}", printable(&args.container));
    Ok(0)
}

pub async fn ps(hosts: &[HostSpec], args: PsArgs) -> anyhow::Result<i32> {
    let mut rows: Vec<(String, pb::ContainerInfo)> = Vec::new();
    // A host that cannot be listed is reported and the rest still shown;
    // the exit status says something was missing.
    let mut failed = false;
    for (host, client) in connect::clients(hosts).await {
        let listed = match client {
            Ok(mut c) => c
                .list_containers(ListContainersRequest { all: args.all })
                .await
                .map(|r| r.into_inner().containers)
                .map_err(|s| anyhow::anyhow!("{}", dockyard_proto::dial::status_text(&s))),
            Err(e) => Err(e),
        };
        match listed {
            Ok(list) => rows.extend(list.into_iter().map(|c| (host.clone(), c))),
            Err(e) if hosts.len() == 1 => return Err(e),
            Err(e) => {
                eprintln!("dockyard: {host}: {}", printable(&format!("{e:#}")));
                failed = true;
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.created));
    match args.format {
        PsFormat::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|(host, c)| {
                    serde_json::json!({
                        "host": host,
                        "id": c.id,
                        "name": c.name,
                        "image": c.image,
                        "command": c.command,
                        "state": c.state,
                        "status": c.status,
                        "created": c.created,
                        "ports": c.ports.iter().map(|p| serde_json::json!({
                            "ip": p.ip, "private_port": p.private_port,
                            "public_port": p.public_port, "protocol": p.protocol,
                        })).collect::<Vec<_>>(),
                        "labels": c.labels,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        PsFormat::Table => print_table(&rows, hosts.len() > 1),
    }
    Ok(if failed { crate::EXIT_DOCKYARD } else { 0 })
}

fn ports_text(c: &pb::ContainerInfo) -> String {
    let mut v: Vec<String> = c
        .ports
        .iter()
        .map(|p| {
            if p.public_port != 0 {
                let ip = if p.ip.is_empty() { "" } else { &p.ip };
                format!("{ip}:{}->{}/{}", p.public_port, p.private_port, p.protocol)
            } else {
                format!("{}/{}", p.private_port, p.protocol)
            }
        })
        .collect();
    v.sort();
    v.dedup();
    v.join(", ")
}

fn print_table(rows: &[(String, pb::ContainerInfo)], with_host: bool) {
    let mut table: Vec<Vec<String>> = vec![];
    let mut header = vec!["CONTAINER ID", "NAME", "IMAGE", "STATE", "STATUS", "PORTS"];
    if with_host {
        header.insert(0, "HOST");
    }
    table.push(header.iter().map(|s| s.to_string()).collect());
    for (host, c) in rows {
        let mut row = vec![
            c.id.chars().take(12).collect(),
            printable(&c.name),
            printable(&c.image),
            printable(&c.state),
            printable(&c.status),
            printable(&ports_text(c)),
        ];
        if with_host {
            row.insert(0, host.clone());
        }
        table.push(row);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &table {
        let last = row.len() - 1;
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 3));
            }
        }
        out.push('\n');
    }
    print!("{out}");
}
