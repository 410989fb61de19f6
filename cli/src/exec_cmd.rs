//! `dockyard exec`: docker exec's behaviour over an [`ExecSession`].
//!
//! stdout carries only the command's bytes, stderr its stderr; the exit
//! status is the command's own. Raw mode only with a TTY on stdin, undone
//! on every path out. stdin is read on its own thread (reads block) and
//! handed over through a bounded channel, so a fast pipe waits for the
//! network instead of filling memory.

use std::io::{ErrorKind, Read};

use anyhow::bail;
use bytes::Bytes;
use dockyard_client::exec_session::default_shell;
use dockyard_client::pb::{DebugOptions, ExecStart};
use dockyard_client::{Client, ExecError, ExecEvent, ExecInput, ExecSession};
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::{DebugArgs, ExecArgs};
use crate::detach_keys::{DetachKeys, Scan};
use crate::record::Recording;
use dockyard_client::parse::environment;

use crate::connect::Connector;
use crate::output::EXIT_DOCKYARD;
use crate::output::OutputWriter;
use crate::terminal;

/// Bulk stdin moves in pieces this large; a keystroke still goes alone,
/// since a read returns whatever is there.
const STDIN_CHUNK: usize = 256 * 1024;

/// `dockyard debug`'s arguments as an exec's: a debug session with the
/// toolbox `image`; with no command, the toolbox's shell on a TTY when
/// this is a terminal (as `docker debug`).
pub fn debug_args(a: DebugArgs, image: String) -> ExecArgs {
    let mut exec = a.exec;
    exec.debug = Some(DebugOptions {
        image,
        toolbox_root: a.toolbox_root,
    });
    if exec.command.is_empty() && terminal::stdin_is_tty() && terminal::stdout_is_tty() {
        exec.interactive = true;
        exec.tty = true;
    }
    exec
}

/// Starts `start`; a debug session's missing toolbox is pulled with
/// progress, as `launch` shows it.
pub async fn start_on(
    client: &mut Client,
    node: Option<&str>,
    start: ExecStart,
) -> Result<ExecSession, ExecError> {
    let image = start
        .debug
        .as_ref()
        .map(|d| d.image.clone())
        .unwrap_or_default();
    let mut view = crate::containers_cmd::PullView::new(&image);
    ExecSession::start_pulling(client, node, start, |step| view.show(step)).await
}

pub async fn run(conn: &Connector, mut args: ExecArgs) -> anyhow::Result<i32> {
    if args.detach && args.debug.is_some() {
        bail!("debug has no -d: its helper lives as long as a session is attached to it");
    }
    if args.record.is_some() && (args.detach || !args.filter.is_empty()) {
        bail!("--record records one attached terminal session: not with -d or --filter");
    }
    if !args.filter.is_empty() {
        return crate::fanout::run(conn, args).await;
    }
    let container = args.container.take().unwrap_or_default();
    if args.detach {
        return run_detached(conn, container, args).await;
    }
    let stdin_tty = terminal::stdin_is_tty();
    // docker's -t; and the lab's `exec --interactive c sh`, typed at a
    // terminal, gets a working shell: -i from a terminal implies -t.
    let tty = args.tty || (args.interactive && stdin_tty && terminal::stdout_is_tty());
    if tty && args.interactive && !stdin_tty {
        bail!("the input device is not a TTY; drop -t to pipe into the command");
    }
    let env = environment(&args.env, &args.env_file).map_err(anyhow::Error::msg)?;
    let command = if args.command.is_empty() {
        if !tty {
            bail!("no command given (with -t, the default is a shell)");
        }
        // A debug session's default is the toolbox's shell, which the
        // agent's launcher knows the path of.
        if args.debug.is_some() {
            Vec::new()
        } else {
            default_shell()
        }
    } else {
        args.command
    };
    let (rows, cols) = if tty {
        terminal::size().unwrap_or((24, 80))
    } else {
        (0, 0)
    };

    if args.record.is_some() && !tty {
        bail!("--record needs -t: a recording is of a terminal");
    }
    let (host, mut client) = conn.locate(&container).await?;
    tracing::debug!("connected");
    let recording = match &args.record {
        Some(path) => Some(Recording::start(
            path,
            (rows, cols),
            &command,
            format!("{host}/{container}"),
            args.record_input,
        )?),
        None => None,
    };
    let start = ExecStart {
        container_identifier: container,
        command,
        interactive: args.interactive,
        user: args.user.unwrap_or_default(),
        working_dir: args.workdir.unwrap_or_default(),
        environment: env,
        tty: Some(tty),
        attach_stdin: Some(args.interactive),
        rows: rows.into(),
        cols: cols.into(),
        detach: false,
        privileged: args.privileged,
        debug: args.debug.clone(),
    };
    let session = start_on(&mut client, args.node.as_deref(), start).await?;
    tracing::debug!("exec started");
    let detach_keys = detach_keys(args.detach_keys.as_deref(), args.interactive)?;
    let how = Interaction {
        tty,
        interactive: args.interactive,
        raw: tty && stdin_tty && args.interactive,
        detach_keys,
        recording,
    };
    interact(session, how).await
}

/// How a session is driven from this terminal.
pub struct Interaction {
    pub tty: bool,
    /// stdin goes to the command.
    pub interactive: bool,
    /// The terminal is put in raw mode: keys go to the command.
    pub raw: bool,
    pub detach_keys: Option<DetachKeys>,
    /// `--record`: what the terminal shows (and, if asked, what is typed).
    pub recording: Option<Recording>,
}

pub fn detach_keys(spec: Option<&str>, interactive: bool) -> anyhow::Result<Option<DetachKeys>> {
    match spec {
        Some(s) if interactive => Ok(Some(DetachKeys::parse(s).map_err(anyhow::Error::msg)?)),
        Some(_) => bail!("--detach-keys needs -i: without input there are no keys to read"),
        None => Ok(None),
    }
}

/// Carries a started (or attached) session between this terminal and the
/// agent until it ends, the user detaches, or a signal says to leave.
/// Returns the exit status.
pub async fn interact(mut session: ExecSession, how: Interaction) -> anyhow::Result<i32> {
    let Interaction {
        tty,
        interactive,
        raw,
        mut detach_keys,
        recording,
    } = how;
    if detach_keys.is_some() && session.session_id().is_empty() {
        eprintln!(
            "dockyard: this agent keeps no sessions (--detached-ttl 0): --detach-keys is ignored"
        );
        detach_keys = None;
    }
    // Raw mode only when keys go to the command: with -t alone, Ctrl-C
    // must still interrupt dockyard (as with docker exec -t).
    let raw_mode = if raw {
        Some(terminal::RawMode::enable()?)
    } else {
        None
    };
    if interactive {
        // At a terminal, stdin ends only when the terminal goes away: a
        // session then runs on, with nothing typed into it.
        let close_at_eof = !raw || session.session_id().is_empty();
        spawn_stdin_pump(
            session.input(),
            detach_keys,
            recording.clone(),
            close_at_eof,
        );
    }
    let mut winch = if tty {
        signal(SignalKind::window_change()).ok()
    } else {
        None
    };
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let input = session.input();
    let mut writer = OutputWriter::spawn()?;

    let code = loop {
        tokio::select! {
            ev = session.next_event() => match ev {
                Ok(Some(ExecEvent::Output { stream, data })) => {
                    if let Some(r) = &recording {
                        r.output(&data);
                    }
                    if writer.write(stream, data).await.is_err() {
                        break writer.finish()?;
                    }
                }
                Ok(Some(ExecEvent::Exited { code, message, .. })) => {
                    tracing::debug!(code, "exec finished");
                    if code < 0 {
                        bail!("{message}");
                    }
                    writer.finish()?;
                    break code;
                }
                Ok(Some(ExecEvent::Detached { session_id })) => {
                    if tty {
                        let _ = writer.write(dockyard_client::OutputStream::Stdout, dockyard_term::modes::RESTORE.into()).await;
                    }
                    writer.finish()?;
                    drop(raw_mode);
                    eprintln!("dockyard: detached from session {session_id}; `dockyard attach {session_id}` returns to it");
                    break 0;
                }
                Ok(None) => break EXIT_DOCKYARD,
                Err(e) => return Err(lost(e, session.session_id())),
            },
            Some(()) = async { match winch.as_mut() { Some(w) => w.recv().await, None => std::future::pending().await } } => {
                if let Some((r, c)) = terminal::size() {
                    if let Some(rec) = &recording {
                        rec.resize(dockyard_term::Size::new(r, c));
                    }
                    // Not awaited here: behind a stalled stdin queue a
                    // resize must not stop output from being read.
                    let input = input.clone();
                    tokio::spawn(async move { input.resize(r, c).await });
                }
            }
            // Told to stop: the command is ended, a session included (an
            // embedded agent is shut down by the caller).
            Some(()) = interrupt.recv() => break end(&mut session, 128 + libc::SIGINT).await,
            Some(()) = terminate.recv() => break end(&mut session, 128 + libc::SIGTERM).await,
            // The terminal went away (a closed window, a dropped SSH
            // connection): a session runs on, to be attached again.
            Some(()) = hangup.recv() => break 128 + libc::SIGHUP,
        }
    };
    if let Some(r) = &recording {
        r.finish();
    }
    Ok(code)
}

/// Ends the command and waits (briefly) for the agent to say it did, so
/// the request is not lost with the connection.
async fn end(session: &mut ExecSession, code: i32) -> i32 {
    if session.input().end().await.is_ok() {
        let wait = async {
            while let Ok(Some(ev)) = session.next_event().await {
                if !matches!(ev, ExecEvent::Output { .. }) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), wait).await;
    }
    code
}

/// A lost connection to a session leaves it running: say how to return.
fn lost(e: ExecError, session_id: &str) -> anyhow::Error {
    match e {
        e if e.is_transient() && !session_id.is_empty() => anyhow::anyhow!(
            "{e}; the session runs on: `dockyard attach {session_id}` returns to it"
        ),
        ExecError::Disconnected => {
            anyhow::anyhow!("the agent went away before the command finished")
        }
        e => e.into(),
    }
}

/// `exec -d`, as docker does it: a command is required, nothing is
/// attached (`-i` has nothing to read then, and is accepted), `-t` gives
/// the command a TTY; the answer comes as soon as the process started.
/// Exit 0 and nothing printed; if the runtime refused the command, its
/// reason on stderr and 126 or 127.
async fn run_detached(conn: &Connector, container: String, args: ExecArgs) -> anyhow::Result<i32> {
    if args.command.is_empty() {
        bail!("no command given (-d needs one)");
    }
    let env = environment(&args.env, &args.env_file).map_err(anyhow::Error::msg)?;
    let mut client = conn.for_container(&container).await?;
    let start = ExecStart {
        container_identifier: container,
        command: args.command,
        user: args.user.unwrap_or_default(),
        working_dir: args.workdir.unwrap_or_default(),
        environment: env,
        tty: Some(args.tty),
        attach_stdin: Some(false),
        detach: true,
        privileged: args.privileged,
        ..Default::default()
    };
    let mut session = ExecSession::start_on(&mut client, args.node.as_deref(), start).await?;
    let mut writer = OutputWriter::spawn()?;
    loop {
        match session.next_event().await? {
            Some(ExecEvent::Output { stream, data }) => {
                let _ = writer.write(stream, data).await;
            }
            Some(ExecEvent::Exited { code, message, .. }) => {
                writer.finish()?;
                if code < 0 {
                    bail!("{message}");
                }
                return Ok(code);
            }
            Some(ExecEvent::Detached { .. }) | None => {
                bail!("the agent went away before the command started")
            }
        }
    }
}

/// Reads stdin on a plain thread and feeds the session; half-closes at EOF.
/// With detach keys, typing them detaches instead.
fn spawn_stdin_pump(
    input: ExecInput,
    mut detach_keys: Option<DetachKeys>,
    recording: Option<Recording>,
    close_at_eof: bool,
) {
    let handle = tokio::runtime::Handle::current();
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; STDIN_CHUNK];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Some(r) = &recording {
                            r.input(&buf[..n]);
                        }
                        let (data, detach) = match detach_keys.as_mut().map(|k| k.scan(&buf[..n])) {
                            None => (Bytes::copy_from_slice(&buf[..n]), false),
                            Some(Scan::Send(d)) => (Bytes::from(d), false),
                            Some(Scan::Detach(d)) => (Bytes::from(d), true),
                        };
                        if !data.is_empty() && handle.block_on(input.send(data)).is_err() {
                            return;
                        }
                        if detach {
                            let _ = handle.block_on(input.detach());
                            return;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => {
                        tracing::debug!("stdin read failed: {e}");
                        break;
                    }
                }
            }
            if close_at_eof {
                let _ = handle.block_on(input.close_stdin());
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the stdin thread: {e}");
    }
}
