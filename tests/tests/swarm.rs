//! The project's stack file deployed on a single-node Swarm, from the
//! project's own image, reached only through its published port: exec, a
//! TTY session detached and attached again, logs, fan-out and the TUI. A
//! Swarm this test turns on is left again; one that was on is left on.

use std::process::Command;
use std::time::Duration;

use dockyard_client::{DialOptions, ExecSession};
use dockyard_tests::certs::TestPki;
use dockyard_tests::pty::Pty;
use dockyard_tests::{
    TestContainer, dockyard_bin, dockyard_command, eventually, run, runtime, stderr_str,
    stdout_str, unique_name,
};
use dockyard_tests::{docker_cli_ok, output_until, tty_shell};

const TOKEN: &str = "swarm-test-token-0123456789";
const WAIT: Duration = Duration::from_secs(60);

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().expect("docker")
}

/// Everything the test made, removed whatever happens.
struct Deployment {
    stack: String,
    secrets: Vec<String>,
    image: String,
    leave_swarm: bool,
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let _ = docker(&["stack", "rm", &self.stack]);
        // The stack's containers and network go in the background.
        let gone = || {
            let o = docker(&[
                "ps",
                "-aq",
                "--filter",
                &format!("label=com.docker.stack.namespace={}", self.stack),
            ]);
            o.stdout.is_empty()
        };
        eventually(Duration::from_secs(30), gone);
        for s in &self.secrets {
            let _ = docker(&["secret", "rm", s]);
        }
        let _ = docker(&["rmi", &self.image]);
        if self.leave_swarm {
            let _ = docker(&["swarm", "leave", "--force"]);
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    l.local_addr().expect("addr").port()
}

#[test]
fn the_stack_serves_a_swarm_through_its_published_port() {
    let state = docker_cli_ok(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
    let was_on = state.trim() == "active";
    let stack = unique_name("dyst").replace('-', "_");
    let prefix = format!("{stack}_");
    let mut d = Deployment {
        stack: stack.clone(),
        secrets: Vec::new(),
        image: format!("{}:test", unique_name("swarmagent")),
        leave_swarm: false,
    };
    if !was_on {
        docker_cli_ok(&["swarm", "init", "--advertise-addr", "127.0.0.1"]);
        d.leave_swarm = true;
    }
    dockyard_tests::build_agent_image(&d.image);
    let pki = TestPki::new();
    let tokens = pki.file("tokens", &format!("ops {TOKEN}\n"));
    for (name, file) in [
        ("dockyard-ca", &pki.ca),
        ("dockyard-agent-cert", &pki.agent_cert),
        ("dockyard-agent-key", &pki.agent_key),
        ("dockyard-tokens", &tokens),
    ] {
        let secret = format!("{prefix}{name}");
        docker_cli_ok(&["secret", "create", &secret, &file.display().to_string()]);
        d.secrets.push(secret);
    }
    let port = free_port();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../assets/swarm/dockyard-stack.yml"
    );
    let deployed = Command::new("docker")
        .args(["stack", "deploy", "-c", file, &stack])
        .env("DOCKYARD_IMAGE", &d.image)
        .env("DOCKYARD_PORT", port.to_string())
        .env("DOCKYARD_SECRETS", &prefix)
        .env("DOCKYARD_LABEL", "dockyard.test=1")
        .output()
        .expect("stack deploy");
    assert!(
        deployed.status.success(),
        "{}",
        String::from_utf8_lossy(&deployed.stderr)
    );

    let entry = format!("127.0.0.1:{port}");
    let ca = pki.ca.display().to_string();
    let client = |args: &[&str]| {
        let mut c = dockyard_command();
        c.args(["--host", &entry, "--tls-ca", &ca, "--token", TOKEN])
            .args(args);
        c
    };
    let group = unique_name("swarmgrp");
    let c = TestContainer::start_custom(
        "swarm",
        &["sh", "-c", "echo from-the-log; exec sleep 1000000"],
        |b| {
            b.labels
                .get_or_insert_with(Default::default)
                .insert("dyt.fan".into(), group.clone());
        },
    );
    let task_logs = || {
        let o = docker(&["service", "logs", &format!("{stack}_agent")]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(
        eventually(WAIT, || stdout_str(&run(client(&["ps"]))).contains(&c.name)),
        "the stack never answered on {entry}; its log:\n{}",
        task_logs()
    );
    // The image's health check, as Swarm runs it.
    let healthy = || {
        let ids = docker_cli_ok(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.stack.namespace={stack}"),
        ]);
        ids.lines().next().is_some_and(|id| {
            docker_cli_ok(&["inspect", "--format", "{{.State.Health.Status}}", id]).trim()
                == "healthy"
        })
    };
    assert!(
        eventually(WAIT, healthy),
        "the agent's task never became healthy"
    );

    let o = run(client(&[
        "exec",
        &c.name,
        "sh",
        "-c",
        "echo via-swarm; exit 3",
    ]));
    assert_eq!(
        (stdout_str(&o).as_str(), o.status.code()),
        ("via-swarm\n", Some(3)),
        "{}",
        stderr_str(&o)
    );
    let o = run(client(&["logs", &c.name]));
    assert_eq!(stdout_str(&o), "from-the-log\n", "{}", stderr_str(&o));
    let o = run(client(&[
        "exec",
        "--filter",
        &format!("label=dyt.fan={group}"),
        "--",
        "echo",
        "fan",
    ]));
    assert!(
        stdout_str(&o).contains(&format!("{} | fan", c.name)),
        "{}{}",
        stdout_str(&o),
        stderr_str(&o)
    );
    let o = run(client(&["version"]));
    assert!(stdout_str(&o).contains(" Node:"), "{}", stdout_str(&o));

    // A TTY session, detached and attached again through the port.
    let rt = runtime();
    let opts = DialOptions {
        token: Some(TOKEN.into()),
        tls_ca: Some(pki.ca.clone()),
        ..Default::default()
    };
    let mut grpc = rt
        .block_on(dockyard_client::dial::connect(
            &entry.parse().expect("addr"),
            &opts,
        ))
        .expect("dial");
    let start = tty_shell(&c.name);
    let wait_for = |s: &mut ExecSession, text: &str| rt.block_on(output_until(s, text));
    let mut s = rt
        .block_on(ExecSession::start(&mut grpc, start))
        .expect("start");
    let id = s.session_id().to_string();
    rt.block_on(s.input().send(b"echo kept-$((20+22))\r".to_vec().into()))
        .expect("type");
    wait_for(&mut s, "kept-42");
    rt.block_on(s.input().detach()).expect("detach");
    drop(s);
    let node = run(client(&["sessions", "--format", "json"]));
    assert!(stdout_str(&node).contains(&id), "{}", stdout_str(&node));
    let mut s = rt
        .block_on(ExecSession::attach(&mut grpc, &id, (24, 80), None))
        .expect("attach again");
    wait_for(&mut s, "kept-42");
    rt.block_on(s.input().end()).expect("end");

    // The TUI through the port lists the container.
    let args = [
        "--host",
        entry.as_str(),
        "--tls-ca",
        ca.as_str(),
        "--token",
        TOKEN,
    ];
    let mut pty = Pty::spawn(&dockyard_bin(), &args, 30, 160);
    pty.wait_for_text(&c.name, Duration::from_secs(20));
    pty.type_bytes(b"q");
    assert_eq!(pty.wait_exit(Duration::from_secs(20)), 0);
    drop(d);
}
