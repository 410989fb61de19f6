//! The exec measures, each side by side with `docker exec`: latency,
//! stdout and stdin throughput, TTY echo, 100 concurrent sessions.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, docker, dockyard_bin, dockyard_command};
use futures::StreamExt;

use crate::process::{rss_kib, watch_process};
use crate::table::{Table, alternate, ms, pct, timed};

pub fn dockyard(host: Option<&str>, args: &[&str]) -> Command {
    let mut c = dockyard_command();
    if let Some(h) = host {
        c.args(["--host", h]);
    }
    c.args(args);
    c
}

pub fn docker_cli(args: &[&str]) -> Command {
    let mut c = Command::new("docker");
    c.args(args);
    c
}

pub fn exec_latency(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let rounds = rounds.max(10) * 2;
    let floor = EngineFloor::new(c);
    // All four interleaved, so load on the machine falls on each alike.
    let mut samples = [vec![], vec![], vec![], vec![]];
    for round in 0..=rounds {
        let s = [
            timed(dockyard(Some(&agent.addr), &["exec", &c.name, "true"])),
            timed(dockyard(None, &["exec", &c.name, "true"])),
            timed(docker_cli(&["exec", &c.name, "true"])),
            floor.once(),
        ];
        if round > 0 {
            for (v, x) in samples.iter_mut().zip(s) {
                v.push(x);
            }
        }
    }
    let [remote, embedded, docker, floor] = samples;
    t.add(
        "exec latency, `exec c true`, remote agent",
        &remote,
        &docker,
        "docker exec",
        "ms",
    );
    t.add(
        "exec latency, remote agent vs engine floor",
        &remote,
        &floor,
        "create+start+inspect",
        "ms",
    );
    t.add(
        "exec latency, embedded (no --host)",
        &embedded,
        &docker,
        "docker exec",
        "ms",
    );
    t.add(
        "exec latency, embedded vs engine floor",
        &embedded,
        &floor,
        "create+start+inspect",
        "ms",
    );
}

/// The engine's own cost of an exec, from a warm in-process client:
/// create, start attached until the stream ends, inspect.
pub struct EngineFloor {
    docker: bollard::Docker,
    rt: tokio::runtime::Runtime,
    container: String,
}

impl EngineFloor {
    pub fn new(c: &TestContainer) -> Self {
        EngineFloor {
            docker: docker(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt"),
            container: c.name.clone(),
        }
    }

    fn once(&self) -> f64 {
        let d = &self.docker;
        self.rt.block_on(async {
            let t = Instant::now();
            let created = d
                .create_exec(
                    &self.container,
                    bollard::exec::CreateExecOptions::<String> {
                        cmd: Some(vec!["true".into()]),
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        ..Default::default()
                    },
                )
                .await
                .expect("create");
            if let bollard::exec::StartExecResults::Attached { mut output, .. } =
                d.start_exec(&created.id, None).await.expect("start")
            {
                while output.next().await.is_some() {}
            }
            d.inspect_exec(&created.id).await.expect("inspect");
            ms(t.elapsed())
        })
    }
}

pub const BULK: usize = 200_000_000;

/// MB/s of `head -c 200000000 /dev/zero` read to the end.
pub fn read_all(cmd: Command) -> f64 {
    let (rate, n) = read_count(cmd);
    assert_eq!(n, BULK, "every byte delivered");
    rate
}

/// Reads a command's stdout to the end: MB/s, and how many bytes.
pub fn read_count(mut cmd: Command) -> (f64, usize) {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0usize;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => panic!("read: {e}"),
        }
    }
    assert!(child.wait().expect("wait").success());
    (n as f64 / t.elapsed().as_secs_f64() / 1e6, n)
}

pub fn stdout_throughput(
    t: &mut Table,
    agent: &TestAgent,
    c: &TestContainer,
    rounds: usize,
    tty: bool,
) {
    let bulk = BULK.to_string();
    let mut args = vec!["exec"];
    if tty {
        args.push("-t");
    }
    args.extend([c.name.as_str(), "head", "-c", &bulk, "/dev/zero"]);
    let (ours, theirs) = alternate(
        rounds,
        || read_all(dockyard(Some(&agent.addr), &args)),
        || read_all(docker_cli(&args)),
    );
    let label = if tty {
        "stdout MB/s, TTY"
    } else {
        "stdout MB/s, no TTY"
    };
    t.add(label, &ours, &theirs, "docker exec", "MB/s");
    if !tty {
        let floor = raw_stream_floor(c, rounds);
        t.add(
            "stdout MB/s, no TTY, vs engine floor",
            &ours,
            &floor,
            "engine's raw attach stream",
            "MB/s",
        );
    }
}

/// The engine's attach stream read in-process, demultiplexed, nothing more.
pub fn raw_stream_floor(c: &TestContainer, rounds: usize) -> Vec<f64> {
    let d = docker();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let one = || {
        rt.block_on(async {
            let created = d
                .create_exec(
                    &c.name,
                    bollard::exec::CreateExecOptions::<String> {
                        cmd: Some(vec![
                            "head".into(),
                            "-c".into(),
                            BULK.to_string(),
                            "/dev/zero".into(),
                        ]),
                        attach_stdout: Some(true),
                        ..Default::default()
                    },
                )
                .await
                .expect("create");
            let t = Instant::now();
            let mut n = 0;
            if let bollard::exec::StartExecResults::Attached { mut output, .. } =
                d.start_exec(&created.id, None).await.expect("start")
            {
                while let Some(Ok(chunk)) = output.next().await {
                    n += chunk.into_bytes().len();
                }
            }
            assert_eq!(n, BULK);
            BULK as f64 / t.elapsed().as_secs_f64() / 1e6
        })
    };
    one();
    (0..rounds).map(|_| one()).collect()
}

pub fn write_all(mut cmd: Command) -> f64 {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let chunk = vec![b'x'; 1 << 20];
    let mut left = BULK;
    while left > 0 {
        let k = left.min(chunk.len());
        stdin.write_all(&chunk[..k]).expect("write");
        left -= k;
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    BULK as f64 / t.elapsed().as_secs_f64() / 1e6
}

pub fn stdin_throughput(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let args = ["exec", "-i", c.name.as_str(), "sh", "-c", "cat >/dev/null"];
    let (ours, theirs) = alternate(
        rounds,
        || write_all(dockyard(Some(&agent.addr), &args)),
        || write_all(docker_cli(&args)),
    );
    t.add(
        "stdin MB/s, 200 MB into `cat >/dev/null`",
        &ours,
        &theirs,
        "docker exec -i",
        "MB/s",
    );
}

/// Round trips of one byte through `-it c cat` (remote side in raw mode,
/// so cat answers each byte at once), in a pseudo-terminal.
pub fn echo_samples(program: &std::path::Path, args: &[&str], n: usize) -> Vec<f64> {
    let mut pty = Pty::spawn(program, args, 24, 80);
    pty.wait_for_text("ready", Duration::from_secs(20));
    let mut seen = pty.raw_output().len();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let b = b'a' + (i % 26) as u8;
        let t = Instant::now();
        pty.type_bytes(&[b]);
        loop {
            let raw = pty.raw_output();
            if let Some(pos) = raw[seen..].iter().position(|x| *x == b) {
                seen += pos + 1;
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                panic!("no echo");
            }
            std::hint::spin_loop();
        }
        samples.push(ms(t.elapsed()));
    }
    pty.type_bytes(b"\x04");
    samples
}

pub fn echo_latency(t: &mut Table, agent: &TestAgent, c: &TestContainer) {
    let cmd = "stty raw -echo; echo ready; exec cat";
    let n = 1000;
    let ours = echo_samples(
        &dockyard_bin(),
        &[
            "--host",
            &agent.addr,
            "exec",
            "-it",
            &c.name,
            "sh",
            "-c",
            cmd,
        ],
        n,
    );
    let theirs = echo_samples(
        std::path::Path::new("/usr/bin/docker"),
        &["exec", "-it", &c.name, "sh", "-c", cmd],
        n,
    );
    t.add(
        "TTY echo p50, `exec -it c cat`",
        &[pct(&ours, 0.5)],
        &[pct(&theirs, 0.5)],
        "docker exec -it",
        "ms",
    );
    t.add(
        "TTY echo p99",
        &[pct(&ours, 0.99)],
        &[pct(&theirs, 0.99)],
        "docker exec -it",
        "ms",
    );
}

pub fn many(make: impl Fn() -> Command) -> f64 {
    let t = Instant::now();
    let children: Vec<_> = (0..100)
        .map(|_| {
            make()
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for ch in children {
        let o = ch.wait_with_output().expect("wait");
        assert!(o.status.success());
        assert_eq!(o.stdout, b"ok\n", "each session gets its own output");
    }
    ms(t.elapsed())
}

pub fn many_sessions(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    let args = ["exec", c.name.as_str(), "sh", "-c", "sleep 1; echo ok"];
    let idle = rss_kib(agent.pid());
    let ((ours, theirs), rss, threads) = watch_process(agent.pid(), || {
        alternate(
            rounds,
            || many(|| dockyard(Some(&agent.addr), &args)),
            || many(|| docker_cli(&args)),
        )
    });
    t.add(
        "100 concurrent `sh -c 'sleep 1; echo ok'`",
        &ours,
        &theirs,
        "100 docker exec",
        "ms",
    );
    t.note(
        "agent during 100 sessions",
        format!(
            "peak RSS {rss} KiB (idle {idle} KiB, {:.0} KiB per session), peak threads {threads}",
            (rss.saturating_sub(idle)) as f64 / 100.0
        ),
    );
}
