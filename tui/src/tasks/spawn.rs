//! What a pane's session runs, by the pane's kind: an exec (the shell, a
//! debug shell, a chosen command, an agent's session attached again) in
//! `exec_run`, a followed log in `logs`, a recording in `replay`. Each is
//! a task behind one [`Session`] handle.

use std::path::PathBuf;

use dockyard_client::Client;
use dockyard_client::exec_session::default_shell;
use dockyard_client::pb::{DebugOptions, ExecStart, LogsRequest};

use super::exec_run::{self, Opening};
use super::session::Session;
use super::{logs, replay};
use crate::state::panes::PaneKind;

/// A recording played in a pane.
pub fn spawn_replay(file: PathBuf) -> Session {
    Session::spawn_with(true, |input, events| replay::run(file, input, events))
}

/// Starts what `kind` says in `container`, at the given size.
pub fn spawn(
    client: Client,
    container: String,
    kind: PaneKind,
    rows: u16,
    cols: u16,
    history: dockyard_term::Limits,
) -> Session {
    let mut start = ExecStart {
        container_identifier: container,
        command: default_shell(),
        interactive: true,
        tty: Some(true),
        attach_stdin: Some(true),
        rows: rows.into(),
        cols: cols.into(),
        environment: [("TERM".to_string(), "xterm-256color".to_string())].into(),
        ..Default::default()
    };
    let opening = match kind {
        PaneKind::Logs { timestamps } => {
            let request = LogsRequest {
                container_identifier: start.container_identifier,
                follow: true,
                // What the pane can keep, no more.
                tail: Some(history.lines as u64),
                timestamps,
                ..Default::default()
            };
            return Session::spawn_with(true, |_, events| logs::run_logs(client, request, events));
        }
        PaneKind::Replay { file } => return spawn_replay(file),
        PaneKind::File { path } => {
            let container = start.container_identifier;
            return Session::spawn_with(true, |_, events| {
                super::files::run_view(client, container, path, events)
            });
        }
        PaneKind::Command(spec) => {
            start.command = spec.command;
            start.user = spec.user;
            start.working_dir = spec.workdir;
            let term = start.environment.remove("TERM");
            start.environment = spec.env;
            start
                .environment
                .entry("TERM".into())
                .or_insert_with(|| term.unwrap_or_default());
            Opening::Start(start)
        }
        PaneKind::Debug { image } => {
            // No command: the toolbox's shell.
            start.command = Vec::new();
            start.debug = Some(DebugOptions {
                image,
                toolbox_root: false,
            });
            Opening::Start(start)
        }
        PaneKind::Shell => Opening::Start(start),
        PaneKind::Attached {
            session_id, node, ..
        } => {
            let node = Some(node).filter(|n| !n.is_empty());
            Opening::Attach { session_id, node }
        }
    };
    let size = (rows, cols);
    Session::spawn_with(false, move |input, events| {
        exec_run::run(client, opening, size, input, events)
    })
}
