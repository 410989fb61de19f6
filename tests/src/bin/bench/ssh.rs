//! Hosts over SSH against `DOCKER_HOST=ssh://` through the same `sshd`
//! (the tests' fixture: loopback, ed25519 keys): `exec c true` as a
//! script runs it (a process each time, its SSH handshake included), the
//! same exec again and again over one connection (what the TUI and a
//! fan-out pay after the first), and stdout throughput.

use std::process::{Command, Stdio};
use std::time::Instant;

use dockyard_tests::ssh::{ALIAS, Sshd};
use dockyard_tests::{TestAgent, TestContainer};

use crate::exec::read_count;
use crate::table::{Table, alternate, timed};

/// `DOCKER_HOST=ssh://` through the fixture's server, its `ssh` the
/// fixture's.
fn docker_over(sshd: &Sshd, args: &[&str]) -> Command {
    let mut c = Command::new("docker");
    c.env("PATH", sshd.path())
        .env("DOCKER_HOST", format!("ssh://root@127.0.0.1:{}", sshd.port))
        .args(args);
    c
}

pub fn ssh_hosts(t: &mut Table, c: &TestContainer, rounds: usize) {
    let sshd = Sshd::start();
    let socket = sshd.socket("agent.sock");
    let listen = format!("unix://{}", socket.display());
    let _agent = TestAgent::start_with(&["--listen", &listen], &[]);
    let host = format!("ssh://{ALIAS}{}", socket.display());
    let quiet = |mut cmd: Command| {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    };
    let (ours, theirs) = alternate(
        rounds,
        || timed(quiet(sshd.dockyard(&host, &["exec", &c.name, "true"]))),
        || timed(quiet(docker_over(&sshd, &["exec", &c.name, "true"]))),
    );
    t.add(
        "`exec c true` over ssh://, a process each (SSH handshake included)",
        &ours,
        &theirs,
        "DOCKER_HOST=ssh:// docker exec",
        "ms",
    );
    // After the first: execs over the connection a client keeps.
    let later = later_calls(&sshd, &host, &c.name, rounds.max(10));
    t.add(
        "`exec c true` over ssh://, later calls on one connection",
        &later,
        &theirs,
        "DOCKER_HOST=ssh:// docker exec (a process each)",
        "ms",
    );
    // A host with no agent: its engine through docker's dial-stdio.
    let bare = Sshd::start_without_agent();
    let bare_host = format!("ssh://{ALIAS}");
    let (ours, theirs) = alternate(
        rounds,
        || timed(quiet(bare.dockyard(&bare_host, &["exec", &c.name, "true"]))),
        || timed(quiet(docker_over(&bare, &["exec", &c.name, "true"]))),
    );
    t.add(
        "`exec c true` over ssh:// to a host without an agent, a process each",
        &ours,
        &theirs,
        "DOCKER_HOST=ssh:// docker exec",
        "ms",
    );
    let big = "head -c 100000000 /dev/zero";
    let (ours, theirs) = alternate(
        rounds.min(5),
        || read_count(sshd.dockyard(&host, &["exec", &c.name, "sh", "-c", big])).0,
        || read_count(docker_over(&sshd, &["exec", &c.name, "sh", "-c", big])).0,
    );
    t.add(
        "stdout MB/s over ssh://, 100 MB",
        &ours,
        &theirs,
        "DOCKER_HOST=ssh:// docker exec",
        "MB/s",
    );
}

/// Milliseconds per `exec c true` over one SSH connection, after a first
/// one that opened it.
fn later_calls(sshd: &Sshd, host: &str, container: &str, n: usize) -> Vec<f64> {
    let target: dockyard_client::ssh::SshTarget = host.parse().expect("ssh target");
    let opts = dockyard_client::DialOptions {
        // The fixture's ssh, with its config.
        ssh: Some(sshd.dir().join("bin").join("ssh")),
        ..Default::default()
    };
    let rt = dockyard_tests::runtime();
    rt.block_on(async {
        let link = dockyard_client::ssh::SshLink::new(target, opts.ssh.clone());
        let mut client = dockyard_client::dial::connect_ssh(&link, &opts)
            .await
            .expect("connect over ssh");
        let start = dockyard_client::pb::ExecStart {
            container_identifier: container.to_string(),
            command: vec!["true".into()],
            ..Default::default()
        };
        let mut out = Vec::with_capacity(n + 1);
        for _ in 0..=n {
            let t = Instant::now();
            let mut session = dockyard_client::ExecSession::start(&mut client, start.clone())
                .await
                .expect("start");
            while session.next_event().await.expect("event").is_some() {}
            out.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // The first opened the exec path; the rest are what is measured.
        out.remove(0);
        out
    })
}
