//! `dockyard cp`: docker's `cp`, its syntax, rules, words and exit
//! status, through any agent (a cluster's entry takes it to the node):
//! `client::copy` does the work, this reads the arguments and shows
//! progress on a terminal.

use std::io::IsTerminal;

use dockyard_client::Cause;
use dockyard_client::copy::{self, CopyError, Sink, Source};
use dockyard_client::text::printable;

use crate::cli::CpArgs;
use crate::connect::Connector;

/// docker cp's status for every failure.
const EXIT_CP: i32 = 1;

/// docker's `splitCpArg`: `CONTAINER:PATH`, or a local path (absolute,
/// no colon, or a relative one starting with `.`).
fn split(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.starts_with('.') => (Some(c), p),
        _ => (None, arg),
    }
}

pub async fn cp(conn: &Connector, args: CpArgs) -> anyhow::Result<i32> {
    match run(conn, &args).await {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("dockyard: {e}");
            Ok(EXIT_CP)
        }
    }
}

async fn run(conn: &Connector, args: &CpArgs) -> Result<(), String> {
    if args.src.is_empty() {
        return Err("source can not be empty".into());
    }
    if args.dest.is_empty() {
        return Err("destination can not be empty".into());
    }
    let (src_container, src_path) = split(&args.src);
    let (dst_container, dst_path) = split(&args.dest);
    let (container, from) = match (src_container, dst_container) {
        (Some(c), None) => (c, true),
        (None, Some(c)) => (c, false),
        (Some(_), Some(_)) => return Err("copying between containers is not supported".into()),
        (None, None) => return Err("must specify at least one container source".into()),
    };
    let (_, mut client) = crate::browse_cmd::locate(conn, container)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let bar = Progress::new(!args.quiet && std::io::stderr().is_terminal(), from);
    let shown = bar.clone();
    let result = if from {
        let sink = if dst_path == "-" {
            Sink::Tar(Box::new(std::io::stdout()))
        } else {
            Sink::Path(dst_path.to_string())
        };
        copy::copy_from(
            &mut client,
            container,
            src_path,
            sink,
            args.follow_link,
            move |n| shown.set(n),
        )
        .await
    } else {
        let source = if src_path == "-" {
            Source::Tar(Box::new(std::io::stdin()))
        } else {
            Source::Path(src_path.to_string())
        };
        copy::copy_to(
            &mut client,
            container,
            source,
            dst_path,
            args.follow_link,
            args.archive,
            move |n| shown.set(n),
        )
        .await
    };
    match result {
        Ok(total) => {
            let target = if from {
                dst_path.to_string()
            } else {
                format!("{container}:{dst_path}")
            };
            bar.done(total, &target);
            Ok(())
        }
        Err(e) => {
            bar.abandon();
            Err(match e {
                CopyError::Agent(s) if Cause::of(&s) == Cause::ContainerNotFound => {
                    format!("No such container: {}", printable(container))
                }
                e => e.to_string(),
            })
        }
    }
}

/// docker's progress line on a terminal's stderr (`Copying to container -
/// 12.3MB`, then `Successfully copied 12.3MB to c:/x`); nothing in a pipe
/// or with -q.
#[derive(Clone)]
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(shown: bool, from: bool) -> Self {
        if !shown {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(10),
        );
        let what = if from {
            "Copying from container"
        } else {
            "Copying to container"
        };
        // docker's units ("2.05kB"), not indicatif's ("2.05 kB").
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!("{what} - {{msg}}"))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Progress(Some(bar))
    }

    fn set(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.set_message(dockyard_client::text::decimal_bytes(n));
        }
    }

    fn done(&self, total: u64, target: &str) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
            eprintln!(
                "Successfully copied {} to {target}",
                dockyard_client::text::decimal_bytes(total)
            );
        }
    }

    fn abandon(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
