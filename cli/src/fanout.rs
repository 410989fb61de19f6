//! `dockyard exec --filter F... -- CMD`: one command in every matching
//! running container on every host, at most `--parallel` at once. Output
//! streams as it comes, a line at a time behind a `NAME | ` prefix (as
//! `docker compose logs`), or raw (`--no-prefix`), or into files
//! (`--output-dir`), or as one JSON object per container (`--format json`).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use bytes::Bytes;
use dockyard_client::container::ContainerState;
use dockyard_client::filter::Filters;
use dockyard_client::pb::{ExecStart, ListContainersRequest};
use dockyard_client::text::printable;
use dockyard_client::{Client, ExecEvent, ExecInput, ExecSession, OutputStream};
use tokio::sync::{Semaphore, mpsc};

use crate::cli::{ExecArgs, FanoutFormat};
use crate::connect::Connector;
use crate::output::EXIT_DOCKYARD;

/// One container the command runs in.
struct Target {
    host: String,
    client: Client,
    /// Its node, in a cluster (empty otherwise).
    node: String,
    id: String,
    name: String,
    /// What output lines are prefixed with (before padding).
    label: String,
}

/// How a container's run ended.
enum Outcome {
    Exited(i32),
    /// The command could not be run there (refused, agent gone).
    Failed(String),
}

/// What goes to the printer thread.
enum Piece {
    /// Raw bytes (`--no-prefix`), or a whole line to prefix.
    Out {
        target: usize,
        stream: OutputStream,
        data: Bytes,
        line: bool,
    },
    /// A finished JSON object (`--format json`).
    Json(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Prefixed,
    Raw,
    Files,
    Json,
}

pub async fn run(conn: &Connector, args: ExecArgs) -> anyhow::Result<i32> {
    let filters = Filters::parse(&args.filter).map_err(anyhow::Error::msg)?;
    if args.tty || args.detach {
        bail!("--filter runs without a TTY and waits for every command: drop -t and -d");
    }
    // With --filter every word after the options is the command.
    let command: Vec<String> = args
        .container
        .clone()
        .into_iter()
        .chain(args.command.clone())
        .collect();
    if command.is_empty() {
        bail!("no command given (after --filter, everything is the command)");
    }
    if args.parallel == 0 {
        bail!("--parallel must be at least 1");
    }
    let env = dockyard_client::parse::environment(&args.env, &args.env_file)
        .map_err(anyhow::Error::msg)?;
    let mode = match (&args.output_dir, args.format, args.no_prefix) {
        (Some(_), _, _) => Mode::Files,
        (None, FanoutFormat::Json, _) => Mode::Json,
        (None, _, true) => Mode::Raw,
        _ => Mode::Prefixed,
    };
    let (targets, mut trouble) = select(conn, &filters).await;
    if targets.is_empty() {
        for t in &trouble {
            eprintln!("dockyard: {}", printable(t));
        }
        bail!("no running container matches the filters");
    }
    if args.interactive && targets.len() > args.parallel {
        // stdin is read once and handed to every container as it is read:
        // one still waiting for its turn would hold the rest back forever.
        bail!(
            "-i gives stdin to all containers at once: {} match, raise --parallel (now {}) to at least that",
            targets.len(),
            args.parallel
        );
    }
    let width = targets
        .iter()
        .map(|t| t.label.chars().count())
        .max()
        .unwrap_or(0);
    let colour = std::io::stdout().is_terminal();
    let labels: Vec<String> = targets.iter().map(|t| t.label.clone()).collect();
    let (pieces, printer) = spawn_printer(labels, width, colour);
    let inputs = if args.interactive {
        Some(spawn_stdin_copier(targets.len()))
    } else {
        None
    };
    let (mut input_rxs, stdin_thread) = match inputs {
        Some((rxs, thread)) => (rxs.into_iter().map(Some).collect(), Some(thread)),
        None => ((0..targets.len()).map(|_| None).collect::<Vec<_>>(), None),
    };
    let limit = Arc::new(Semaphore::new(args.parallel));
    let mut tasks = Vec::new();
    for (i, t) in targets.into_iter().enumerate() {
        let start = ExecStart {
            container_identifier: t.id.clone(),
            command: command.clone(),
            user: args.user.clone().unwrap_or_default(),
            working_dir: args.workdir.clone().unwrap_or_default(),
            environment: env.clone(),
            tty: Some(false),
            attach_stdin: Some(args.interactive),
            privileged: args.privileged,
            debug: args.debug.clone(),
            ..Default::default()
        };
        let job = Job {
            index: i,
            mode,
            dir: args.output_dir.clone(),
            pieces: pieces.clone(),
            stdin: input_rxs[i].take(),
        };
        let limit = limit.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let (outcome, ms) = job.run(t.client.clone(), start, &t).await;
            (t, outcome, ms)
        }));
    }
    drop(pieces);
    let mut results = Vec::new();
    for task in tasks {
        match task.await {
            Ok(r) => results.push(r),
            Err(e) => trouble.push(format!("a run failed: {e}")),
        }
    }
    let reader_gone = printer.join().unwrap_or(true);
    if let Some(t) = stdin_thread {
        // It may sit in a read of a terminal; the process exits anyway.
        drop(t);
    }
    if reader_gone {
        // `| head`: as a program killed by SIGPIPE, the commands ended.
        return Ok(128 + libc::SIGPIPE);
    }
    Ok(summarise(&results, &trouble))
}

/// The matching running containers of every host, and what went wrong
/// on the way (hosts that could not be listed).
async fn select(conn: &Connector, filters: &Filters) -> (Vec<Target>, Vec<String>) {
    let mut targets = Vec::new();
    let mut trouble = Vec::new();
    let several = conn.hosts().len() > 1;
    for (host, client) in conn.clients().await {
        let mut client = match client {
            Ok(c) => c,
            Err(e) => {
                trouble.push(format!("{host}: {e:#}"));
                continue;
            }
        };
        let listed = client
            .list_containers(ListContainersRequest { all: false })
            .await;
        let list = match listed {
            Ok(l) => {
                let l = l.into_inner();
                for u in &l.unreachable {
                    trouble.push(format!("{host}: node {}: {}", u.node, u.error));
                }
                l.containers
            }
            Err(s) => {
                trouble.push(format!(
                    "{host}: {}",
                    dockyard_client::dial::status_text(&s)
                ));
                continue;
            }
        };
        let mut matched: Vec<_> = list
            .into_iter()
            .filter(|c| ContainerState::parse(&c.state).is_running() && filters.matches(c))
            .collect();
        matched.sort_by(|a, b| (&a.node, &a.name).cmp(&(&b.node, &b.name)));
        // A cluster of several nodes behind this host: NODE/NAME.
        let nodes = matched
            .iter()
            .map(|c| c.node.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        for c in matched {
            let mut label = c.name.clone();
            if nodes > 1 {
                label = format!("{}/{label}", c.node);
            }
            if several {
                label = format!("{host}/{label}");
            }
            targets.push(Target {
                host: host.clone(),
                client: client.clone(),
                node: c.node.clone(),
                id: c.id,
                name: c.name,
                label: printable(&label),
            });
        }
    }
    (targets, trouble)
}

/// One container's run and where its output goes.
struct Job {
    index: usize,
    mode: Mode,
    dir: Option<PathBuf>,
    pieces: mpsc::Sender<Piece>,
    stdin: Option<mpsc::Receiver<Bytes>>,
}

impl Job {
    async fn run(mut self, mut client: Client, start: ExecStart, t: &Target) -> (Outcome, u128) {
        let began = Instant::now();
        let mut files = match self.mode {
            Mode::Files => match Files::create(self.dir.as_deref(), t) {
                Ok(f) => Some(f),
                Err(e) => return (Outcome::Failed(e), 0),
            },
            _ => None,
        };
        let node = Some(t.node.as_str()).filter(|n| !n.is_empty());
        let mut session = match ExecSession::start_on(&mut client, node, start).await {
            Ok(s) => s,
            Err(e) => {
                let outcome = Outcome::Failed(e.to_string());
                self.finish_files(files.as_mut(), &outcome);
                self.json(t, &outcome, &[], &[], began).await;
                return (outcome, began.elapsed().as_millis());
            }
        };
        if let Some(rx) = self.stdin.take() {
            tokio::spawn(feed(session.input(), rx));
        }
        let mut partial: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = loop {
            match session.next_event().await {
                Ok(Some(ExecEvent::Output { stream, data })) => {
                    let slot = usize::from(stream == OutputStream::Stderr);
                    // Nobody reads the output any more (`| head`): the
                    // session is dropped, which ends the command.
                    let mut reader_gone = false;
                    match self.mode {
                        Mode::Raw => reader_gone = !self.send(stream, data).await,
                        Mode::Prefixed => {
                            partial[slot].extend_from_slice(&data);
                            while let Some(end) = partial[slot].iter().position(|b| *b == b'\n') {
                                let line: Vec<u8> = partial[slot].drain(..=end).collect();
                                reader_gone |= !self.send(stream, line.into()).await;
                            }
                        }
                        Mode::Files => {
                            if let Some(f) = files.as_mut()
                                && let Err(e) = f.write(stream, &data)
                            {
                                break Outcome::Failed(e);
                            }
                        }
                        Mode::Json => [&mut out, &mut err][slot].extend_from_slice(&data),
                    }
                    if reader_gone {
                        break Outcome::Failed("the output's reader went away".into());
                    }
                }
                Ok(Some(ExecEvent::Exited { code, message, .. })) => {
                    break if code < 0 {
                        Outcome::Failed(message)
                    } else {
                        Outcome::Exited(code)
                    };
                }
                Ok(Some(ExecEvent::Detached { .. })) => {
                    break Outcome::Failed("detached from the session".into());
                }
                Ok(None) => break Outcome::Failed("the agent went away".into()),
                Err(e) => break Outcome::Failed(e.to_string()),
            }
        };
        // A last line without its newline is still a line.
        for (slot, stream) in [(0, OutputStream::Stdout), (1, OutputStream::Stderr)] {
            if !partial[slot].is_empty() {
                let mut line = std::mem::take(&mut partial[slot]);
                line.push(b'\n');
                self.send(stream, line.into()).await;
            }
        }
        self.finish_files(files.as_mut(), &outcome);
        self.json(t, &outcome, &out, &err, began).await;
        (outcome, began.elapsed().as_millis())
    }

    /// False when the printer has stopped (its reader went away).
    async fn send(&self, stream: OutputStream, data: Bytes) -> bool {
        let piece = Piece::Out {
            target: self.index,
            stream,
            data,
            line: self.mode == Mode::Prefixed,
        };
        self.pieces.send(piece).await.is_ok()
    }

    fn finish_files(&self, files: Option<&mut Files>, outcome: &Outcome) {
        if let Some(f) = files {
            f.exit(outcome);
        }
    }

    async fn json(&self, t: &Target, outcome: &Outcome, out: &[u8], err: &[u8], began: Instant) {
        if self.mode != Mode::Json {
            return;
        }
        let mut obj = serde_json::json!({
            "host": t.host,
            "name": t.name,
            "id": t.id,
            "duration_ms": began.elapsed().as_millis() as u64,
        });
        match outcome {
            Outcome::Exited(code) => obj["exit_code"] = (*code).into(),
            Outcome::Failed(why) => {
                obj["exit_code"] = EXIT_DOCKYARD.into();
                obj["error"] = why.clone().into();
            }
        }
        // Valid UTF-8 as a string; anything else as base64 under its own
        // key, so no byte is lost or guessed at.
        for (key, bytes) in [("stdout", out), ("stderr", err)] {
            match std::str::from_utf8(bytes) {
                Ok(text) => obj[key] = text.into(),
                Err(_) => {
                    use base64::Engine as _;
                    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                    obj[format!("{key}_base64")] = b64.into();
                }
            }
        }
        let _ = self.pieces.send(Piece::Json(obj.to_string())).await;
    }
}

/// `--output-dir`: DIR/HOST/NAME.out, .err and .exit, byte for byte.
struct Files {
    out: std::fs::File,
    err: std::fs::File,
    exit: PathBuf,
}

impl Files {
    fn create(dir: Option<&std::path::Path>, t: &Target) -> Result<Files, String> {
        let dir = dir.ok_or("no output directory")?;
        // A host label is an address (127.0.0.1:50051) or `local`; a
        // container name has no slash. Neither can leave the directory.
        let host_dir = dir.join(t.host.replace('/', "_"));
        std::fs::create_dir_all(&host_dir)
            .map_err(|e| format!("cannot create {}: {e}", host_dir.display()))?;
        let file = |ext: &str| {
            let p = host_dir.join(format!("{}.{ext}", t.name));
            std::fs::File::create(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))
        };
        Ok(Files {
            out: file("out")?,
            err: file("err")?,
            exit: host_dir.join(format!("{}.exit", t.name)),
        })
    }

    fn write(&mut self, stream: OutputStream, data: &[u8]) -> Result<(), String> {
        let f = match stream {
            OutputStream::Stdout => &mut self.out,
            OutputStream::Stderr => &mut self.err,
        };
        f.write_all(data)
            .map_err(|e| format!("writing output: {e}"))
    }

    fn exit(&mut self, outcome: &Outcome) {
        let text = match outcome {
            Outcome::Exited(code) => format!("{code}\n"),
            Outcome::Failed(_) => format!("{EXIT_DOCKYARD}\n"),
        };
        if let Err(e) = std::fs::write(&self.exit, text) {
            eprintln!("dockyard: cannot write {}: {e}", self.exit.display());
        }
    }
}

/// Colours for prefixes on a terminal, as `docker compose logs` uses.
const COLOURS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

/// Writes pieces on its own thread, a line at a time, so lines from two
/// containers never mix and a slow reader holds back the runs (bounded
/// queue), not memory. Returns true when the reader went away.
fn spawn_printer(
    labels: Vec<String>,
    width: usize,
    colour: bool,
) -> (mpsc::Sender<Piece>, std::thread::JoinHandle<bool>) {
    let (tx, mut rx) = mpsc::channel::<Piece>(256);
    let prefixes: Vec<Vec<u8>> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let padded = format!("{l:<width$} | ");
            if colour {
                format!("\x1b[{}m{padded}\x1b[0m", COLOURS[i % COLOURS.len()]).into_bytes()
            } else {
                padded.into_bytes()
            }
        })
        .collect();
    let thread = std::thread::spawn(move || {
        let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
        let write =
            |to: &mut dyn Write, bytes: &[u8]| to.write_all(bytes).and_then(|()| to.flush());
        while let Some(piece) = rx.blocking_recv() {
            let written = match piece {
                Piece::Json(mut line) => {
                    line.push('\n');
                    write(&mut stdout.lock(), line.as_bytes())
                }
                Piece::Out {
                    target,
                    stream,
                    data,
                    line,
                } => {
                    // One write per line, prefix included: lines from two
                    // containers never interleave.
                    let joined;
                    let bytes: &[u8] = if line {
                        joined = [&prefixes[target][..], &data[..]].concat();
                        &joined
                    } else {
                        &data
                    };
                    match stream {
                        OutputStream::Stdout => write(&mut stdout.lock(), bytes),
                        OutputStream::Stderr => write(&mut stderr.lock(), bytes),
                    }
                }
            };
            if written.is_err() {
                // Returning drops the queue: every run sees it and ends.
                return true;
            }
        }
        false
    });
    (tx, thread)
}

/// `-i`: stdin read once, each chunk handed to every container's input in
/// turn, so the slowest of them sets the pace.
fn spawn_stdin_copier(n: usize) -> (Vec<mpsc::Receiver<Bytes>>, std::thread::JoinHandle<()>) {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::channel::<Bytes>(4)).unzip();
    let thread = std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let k = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => k,
            };
            let chunk = Bytes::copy_from_slice(&buf[..k]);
            for tx in &txs {
                // A run that ended takes no more; the others still do.
                let _ = tx.blocking_send(chunk.clone());
            }
        }
    });
    (rxs, thread)
}

/// One container's stdin: what the copier hands over, then end of input.
async fn feed(input: ExecInput, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(chunk) = rx.recv().await {
        if input.send(chunk).await.is_err() {
            return;
        }
    }
    let _ = input.close_stdin().await;
}

/// The exit status, and a summary on stderr when anything was not 0.
fn summarise(results: &[(Target, Outcome, u128)], trouble: &[String]) -> i32 {
    let mut code = 0;
    let mut bad: BTreeMap<String, String> = BTreeMap::new();
    for (t, outcome, _) in results {
        match outcome {
            Outcome::Exited(0) => {}
            Outcome::Exited(c) => {
                code = code.max(*c);
                bad.insert(t.label.clone(), format!("exit {c}"));
            }
            Outcome::Failed(why) => {
                code = code.max(EXIT_DOCKYARD);
                bad.insert(
                    t.label.clone(),
                    format!("could not run: {}", printable(why)),
                );
            }
        }
    }
    for t in trouble {
        eprintln!("dockyard: {}", printable(t));
        code = code.max(EXIT_DOCKYARD);
    }
    if !bad.is_empty() {
        let list: Vec<String> = bad.iter().map(|(l, w)| format!("{l} ({w})")).collect();
        eprintln!(
            "dockyard: {} of {} did not exit 0: {}",
            bad.len(),
            results.len(),
            list.join(", ")
        );
    }
    if !trouble.is_empty() && code == 0 {
        code = EXIT_DOCKYARD;
    }
    code
}
