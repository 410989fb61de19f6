//! `dockyard launch | stop | rm | ps`.

use dockyard_client::lifecycle::{Lifecycle, Options};
use std::io::IsTerminal;

use dockyard_client::Client;
use dockyard_client::launch::LaunchInput;
use dockyard_client::pb::{self, ListContainersRequest};
use dockyard_client::pull::{Step, pull_showing};
use dockyard_client::text::{ports_text, printable};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{LaunchArgs, PsArgs, PsFormat, RmArgs, StopArgs};
use crate::connect::Connector;

/// What `dockyard launch`'s flags ask for, in the form the TUI's launch
/// dialog produces too.
pub fn launch_input(args: LaunchArgs) -> LaunchInput {
    LaunchInput {
        image: args.image,
        name: args.name.unwrap_or_default(),
        command: args.command,
        env: args.env,
        ports: args.ports,
        labels: args.labels,
        restart: args.restart.unwrap_or_default(),
    }
}

pub async fn launch(conn: &Connector, args: LaunchArgs) -> anyhow::Result<i32> {
    let node = args.node.clone();
    let request = launch_input(args).request().map_err(anyhow::Error::msg)?;
    let mut client = conn.one().await?;
    pull_with_progress(&mut client, node.as_deref(), &request.image).await?;
    let resp = client
        .launch_container(dockyard_client::routed(request, node.as_deref()))
        .await?
        .into_inner();
    println!("{}", resp.container_id);
    Ok(0)
}

/// Pulls the image if it is missing, with a progress bar on a terminal and
/// one line per layer change otherwise (for logs).
pub async fn pull_with_progress(
    client: &mut Client,
    node: Option<&str>,
    image: &str,
) -> anyhow::Result<()> {
    let mut view = PullView::new(image);
    pull_showing(client, node, image, |step| view.show(step)).await?;
    Ok(())
}

/// How the CLI shows a pull on stderr: a bar on a terminal; elsewhere a
/// line saying what is pulled, then one per layer change (for logs).
pub struct PullView {
    image: String,
    fancy: bool,
    bar: Option<ProgressBar>,
}

impl PullView {
    pub fn new(image: &str) -> Self {
        PullView {
            image: image.to_string(),
            fancy: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    pub fn show(&mut self, step: Step<'_>) {
        match step {
            Step::Progress {
                progress,
                changed,
                tally,
            } => {
                let (image, fancy) = (&self.image, self.fancy);
                let b = self.bar.get_or_insert_with(|| progress_bar(image, fancy));
                if !fancy && changed {
                    eprintln!(
                        "{}: {}",
                        printable(&progress.layer),
                        printable(&progress.status)
                    );
                }
                let (cur, total) = tally.totals();
                b.set_length(total);
                b.set_position(cur);
            }
            Step::Done => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                eprintln!("Pulled {}", printable(&self.image));
            }
        }
    }
}

/// A bar on a terminal; elsewhere a line saying what is pulled (the
/// layers' lines follow, for logs).
fn progress_bar(image: &str, fancy: bool) -> ProgressBar {
    if !fancy {
        eprintln!("Pulling {}", printable(image));
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0).with_message(format!("Pulling {}", printable(image)));
    // The template is this constant one: it parses.
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}")
    {
        b.set_style(style.progress_chars("=> "));
    }
    b
}

pub async fn stop(conn: &Connector, args: StopArgs) -> anyhow::Result<i32> {
    let opts = Options {
        timeout: args.timeout,
        ..Options::default()
    };
    one(conn, Lifecycle::Stop, &args.container, &opts).await
}

pub async fn rm(conn: &Connector, args: RmArgs) -> anyhow::Result<i32> {
    let opts = Options {
        force: args.force,
        ..Options::default()
    };
    one(conn, Lifecycle::Remove, &args.container, &opts).await
}

/// `op` on the one `container`, whose name is printed when it is done.
async fn one(
    conn: &Connector,
    op: Lifecycle,
    container: &str,
    opts: &Options,
) -> anyhow::Result<i32> {
    let mut client = conn.for_container(container).await?;
    op.apply(&mut client, None, container, opts).await?;
    println!("{}", printable(container));
    Ok(0)
}

pub async fn ps(conn: &Connector, args: PsArgs) -> anyhow::Result<i32> {
    let filters =
        dockyard_client::filter::Filters::parse(&args.filter).map_err(anyhow::Error::msg)?;
    // A status filter asks for stopped containers too, as in docker ps.
    let all = args.all || filters.wants_all();
    let mut rows: Vec<(String, pb::ContainerInfo)> = Vec::new();
    // A host that cannot be listed is reported and the rest still shown;
    // the exit status says something was missing.
    let mut failed = false;
    for (host, client) in conn.clients().await {
        let listed = match client {
            Ok(mut c) => c
                .list_containers(ListContainersRequest { all })
                .await
                .map(|r| {
                    let r = r.into_inner();
                    // Nodes of a cluster that did not answer: said, and
                    // the exit status says something was missing.
                    failed |= crate::output::say_unreachable(&host, &r.unreachable);
                    r.containers
                })
                .map_err(|s| anyhow::anyhow!("{}", dockyard_client::dial::status_text(&s))),
            Err(e) => Err(e),
        };
        match listed {
            Ok(list) => rows.extend(
                list.into_iter()
                    .filter(|c| filters.matches(c))
                    .map(|c| (host.clone(), c)),
            ),
            Err(e) if conn.hosts().len() == 1 => return Err(e),
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
                        "node": c.node,
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
        PsFormat::Table => {
            // A NODE column when the containers come from several nodes
            // (a cluster of one looks like a single host).
            let nodes: std::collections::BTreeSet<&str> =
                rows.iter().map(|(_, c)| c.node.as_str()).collect();
            print_table(&rows, conn.hosts().len() > 1, nodes.len() > 1)
        }
    }
    Ok(if failed {
        crate::output::EXIT_DOCKYARD
    } else {
        0
    })
}

fn print_table(rows: &[(String, pb::ContainerInfo)], with_host: bool, with_node: bool) {
    let mut table: Vec<Vec<String>> = vec![];
    let mut header = vec!["CONTAINER ID", "NAME", "IMAGE", "STATE", "STATUS", "PORTS"];
    if with_node {
        header.insert(0, "NODE");
    }
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
            ports_text(&c.ports),
        ];
        if with_node {
            row.insert(0, printable(&c.node));
        }
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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use dockyard_client::launch::{Field, SHARED_CASES};

    use super::launch_input;
    use crate::cli::{Cli, Command};

    /// The same table the TUI's launch form is tested with: the flags
    /// accept and refuse exactly what the form does, with the same words.
    #[test]
    fn flags_accept_and_refuse_what_the_form_does() {
        for (field, value, want) in SHARED_CASES {
            let mut argv = vec!["dockyard", "launch"];
            match field {
                Field::Image => argv.push(value),
                Field::Name => argv.extend(["busybox", "--name", value]),
                Field::Env => argv.extend(["busybox", "-e", value]),
                Field::Ports => argv.extend(["busybox", "-p", value]),
                Field::Labels => argv.extend(["busybox", "--label", value]),
            }
            let cli = Cli::try_parse_from(&argv).expect("clap parses");
            let Some(Command::Launch(args)) = cli.command else {
                panic!("not a launch: {argv:?}");
            };
            match (launch_input(args).request(), want) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.starts_with(w), "{value}: {e}"),
                (got, want) => panic!("{value}: got {got:?}, want {want:?}"),
            }
        }
    }
}
