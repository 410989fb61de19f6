//! Hosts over SSH: a real `sshd` on a loopback port with keys, a
//! known_hosts and an alias made by the test; the agent on a Unix socket
//! reached through `dockyard-agent dial-stdio`; the real `dockyard`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use dockyard_tests::pty::Pty;
use dockyard_tests::ssh::{ALIAS, OTHER_USER, Sshd, ensure_other_user};
use dockyard_tests::{
    TestAgent, TestContainer, dockyard_bin, eventually, run, run_with_input, running_in,
    stderr_str, stdout_str,
};

const WAIT: Duration = Duration::from_secs(20);

/// An agent on a Unix socket in the server's directory (and on TCP, which
/// the tests do not use), and its `ssh://` host.
fn agent_on_socket(sshd: &Sshd, mode: &str) -> (TestAgent, String) {
    let socket = sshd.socket("agent.sock");
    let listen = format!("unix://{}", socket.display());
    let agent = TestAgent::start_with(&["--listen", &listen, "--socket-mode", mode], &[]);
    let host = format!("ssh://{ALIAS}{}", socket.display());
    (agent, host)
}

/// No `ssh` of ours is left running.
fn no_ssh_left(sshd: &Sshd) -> bool {
    let config = sshd.dir().join("ssh_config");
    let out = std::process::Command::new("pgrep")
        .args(["-f", &format!("ssh -F {}", config.display())])
        .output()
        .expect("pgrep");
    out.stdout.is_empty()
}

#[test]
fn exec_through_ssh_is_byte_exact_both_ways() {
    let sshd = Sshd::start();
    let (agent, host) = agent_on_socket(&sshd, "660");
    let c = TestContainer::start("ssh-exec");
    // Every byte value, and more than one message's worth.
    let input: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let o = run_with_input(
        sshd.dockyard(&host, &["exec", "-i", &c.name, "sh", "-c", "cat; exit 3"]),
        &input,
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr_str(&o));
    assert!(
        o.stdout == input,
        "stdout differs ({} bytes)",
        o.stdout.len()
    );
    // stderr stays stderr.
    let o = run(sshd.dockyard(
        &host,
        &["exec", &c.name, "sh", "-c", "echo out; echo err >&2"],
    ));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(
        (stdout_str(&o), stderr_str(&o)),
        ("out\n".into(), "err\n".into())
    );
    // The agent names the caller by the Unix user SSH logged in as.
    assert!(agent.log().contains("user root"), "{}", agent.log());
    // `version` says how the host was reached.
    let o = run(sshd.dockyard(&host, &["version"]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let socket = sshd.socket("agent.sock");
    let want = format!(
        " Reached:     an agent over SSH, its socket {}",
        socket.display()
    );
    assert!(stdout_str(&o).contains(&want), "{}", stdout_str(&o));
    // `ps` through the same host.
    let o = run(sshd.dockyard(&host, &["ps"]));
    assert!(stdout_str(&o).contains(&c.name), "{}", stderr_str(&o));
    // A client killed outright leaves no ssh behind (its master
    // connection included), and the agent ends its command.
    let mut client = sshd
        .dockyard(
            &host,
            &["exec", &c.name, "sh", "-c", "echo up; exec sleep 600"],
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut up = [0u8; 3];
    std::io::Read::read_exact(client.stdout.as_mut().expect("stdout"), &mut up).expect("up");
    assert!(!no_ssh_left(&sshd), "no ssh while the exec runs");
    client.kill().expect("SIGKILL");
    let _ = client.wait();
    assert!(
        eventually(WAIT, || no_ssh_left(&sshd)),
        "an ssh outlived its killed client"
    );
    assert!(
        eventually(WAIT, || !running_in(&agent, &c, "sleep 600")),
        "the command outlived its killed client"
    );
    drop(agent);
    assert!(
        eventually(WAIT, || no_ssh_left(&sshd)),
        "an ssh was left running"
    );
}

#[test]
fn a_tty_shell_and_a_durable_session_over_ssh() {
    let sshd = Sshd::start();
    let (agent, host) = agent_on_socket(&sshd, "660");
    let c = TestContainer::start("ssh-tty");
    let path = sshd.path();
    let env = [("PATH", path.as_str())];
    let mut shell = Pty::spawn_env(
        &dockyard_bin(),
        &[
            "--host",
            &host,
            "exec",
            "-it",
            "--detach-keys",
            "ctrl-p,ctrl-q",
            &c.name,
            "sh",
        ],
        &env,
        24,
        80,
    );
    shell.wait_for("a prompt", WAIT, |s| s.contains('#'));
    shell.type_bytes(b"echo typed-$((6*7)); stty size\r");
    shell.wait_for_text("typed-42", WAIT);
    shell.wait_for_text("24 80", WAIT);
    // The client goes (detach keys): the session runs on at the agent.
    shell.type_bytes(b"\x10\x11");
    assert_eq!(shell.wait_exit(WAIT), 0);
    let o = run(sshd.dockyard(&host, &["sessions", "--format", "json"]));
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&stdout_str(&o)).unwrap_or_else(|_| panic!("{}", stderr_str(&o)));
    assert_eq!(list.len(), 1, "{list:?}");
    let id = list[0]["id"].as_str().expect("id").to_string();
    let mut again = Pty::spawn_env(
        &dockyard_bin(),
        &["--host", &host, "attach", &id],
        &env,
        24,
        80,
    );
    again.wait_for_text("typed-42", WAIT);
    again.type_bytes(b"exit 5\r");
    assert_eq!(again.wait_exit(WAIT), 5);
    drop(agent);
}

#[test]
fn one_unix_user_cannot_see_anothers_session() {
    ensure_other_user();
    let sshd = Sshd::start();
    // Both users may open the socket: who they are is what counts.
    let (agent, host) = agent_on_socket(&sshd, "666");
    let socket_path = &host[format!("ssh://{ALIAS}").len()..];
    let other = format!("ssh://{OTHER_USER}@{ALIAS}{socket_path}");
    let c = TestContainer::start("ssh-users");
    let mut root = sshd
        .dockyard(&host, &["exec", "-t", &c.name, "sleep", "4247"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let sessions = |h: &str| {
        let o = run(sshd.dockyard(h, &["sessions", "--format", "json"]));
        assert!(o.status.success(), "{h}: {}", stderr_str(&o));
        serde_json::from_str::<Vec<serde_json::Value>>(&stdout_str(&o)).expect("json")
    };
    assert!(eventually(WAIT, || sessions(&host).len() == 1));
    let id = sessions(&host)[0]["id"].as_str().expect("id").to_string();
    assert!(
        sessions(&other).is_empty(),
        "{OTHER_USER} sees root's session"
    );
    let o = run(sshd.dockyard(&other, &["sessions", "rm", &id]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o), format!("dockyard: No such session: {id}\n"));
    // What the other user runs is theirs, in the agent's log too.
    let o = run(sshd.dockyard(&other, &["exec", &c.name, "id", "-u"]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let log = agent.log();
    assert!(log.contains(&format!("user {OTHER_USER}")), "{log}");
    let _ = root.kill();
    let _ = root.wait();
}

/// A wrong host key and a refused port: one line with ssh's own words,
/// exit 125, within a few seconds, nothing left running.
#[test]
fn ssh_failures_are_one_line_in_ssh_words() {
    let sshd = Sshd::start();
    let (_agent, host) = agent_on_socket(&sshd, "660");
    let c = TestContainer::start("ssh-fail");
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let refused = format!("ssh://127.0.0.1:{closed}");
    let started = Instant::now();
    let o = run(sshd.dockyard(&refused, &["exec", &c.name, "true"]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(err.starts_with(&format!("dockyard: {refused}")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The server's key is not the one known.
    sshd.forget_host_key();
    let o = run(sshd.dockyard(&host, &["exec", &c.name, "true"]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Host key verification failed"), "{err}");
    assert!(
        eventually(WAIT, || no_ssh_left(&sshd)),
        "an ssh was left running"
    );
}

/// A host with neither an agent nor the docker CLI: the remote shell's
/// own words, one line, exit 125, nothing left running.
#[test]
fn a_host_with_neither_says_what_is_missing() {
    let sshd = Sshd::start_bare();
    let host = format!("ssh://{ALIAS}");
    let started = Instant::now();
    let o = run(sshd.dockyard(&host, &["exec", "some-container", "true"]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("docker: command not found"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}: {err}",
        started.elapsed()
    );
    assert!(
        eventually(WAIT, || no_ssh_left(&sshd)),
        "an ssh was left running"
    );
}

/// `dial-stdio` with no agent behind the socket says so, and the client
/// passes it on.
#[test]
fn no_agent_on_the_socket_is_said() {
    let sshd = Sshd::start();
    let host = format!("ssh://{ALIAS}{}", sshd.socket("none.sock").display());
    let c = TestContainer::start("ssh-none");
    let o = run(sshd.dockyard(&host, &["exec", &c.name, "true"]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach the agent's socket"), "{err}");
}

/// The TUI over an `ssh://` host next to `local`: a shell on the SSH
/// host, whose `ssh` is killed under it; the pane comes back through a
/// new one, the same shell.
#[test]
fn the_tui_over_ssh_survives_its_ssh_being_killed() {
    let sshd = Sshd::start();
    let (agent, host) = agent_on_socket(&sshd, "660");
    let c = TestContainer::start("ssh-tui");
    let state = std::env::temp_dir().join(dockyard_tests::unique_name("ssh-tui-state"));
    std::fs::create_dir_all(&state).expect("state dir");
    let path = sshd.path();
    let mut pty = Pty::spawn_env(
        &dockyard_bin(),
        &["--host", &host, "--host", "local"],
        &[
            ("PATH", path.as_str()),
            ("XDG_STATE_HOME", state.to_str().expect("utf-8")),
        ],
        40,
        140,
    );
    // Both hosts list the container (they share this machine's engine).
    // (Its name cut to the column's width.)
    let shown = &c.name[..20];
    pty.wait_for("the container on both hosts", WAIT, |s| {
        s.matches(shown).count() >= 2
    });
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    // The first match is the SSH host's (hosts are listed in order).
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt in the pane", WAIT, |s| s.contains("/ #"));
    pty.type_bytes(b"export K=kept; echo before-$((3*3))\r");
    pty.wait_for_text("before-9", WAIT);
    let o = run(sshd.dockyard(&host, &["sessions", "--format", "json"]));
    assert!(
        stdout_str(&o).contains(&c.name),
        "not on the ssh host: {}",
        stdout_str(&o)
    );
    // Every ssh of ours, killed.
    let config = sshd.dir().join("ssh_config");
    let killed = std::process::Command::new("pkill")
        .args(["-9", "-f", &format!("ssh -F {}", config.display())])
        .status()
        .expect("pkill");
    assert!(killed.success(), "no ssh to kill");
    // The pane noticed, and dialled again: a new ssh.
    assert!(
        eventually(Duration::from_secs(30), || !no_ssh_left(&sshd)),
        "no ssh dialled again"
    );
    pty.wait_for("the pane back", Duration::from_secs(30), |s| {
        !s.contains("[reconnecting]") && !s.contains("[failed]") && s.contains("before-9")
    });
    pty.type_bytes(b"echo K=$K-$((5*5))\r");
    pty.wait_for_text("K=kept-25", Duration::from_secs(30));
    // Quitting ends the pane's session: nothing is left behind.
    pty.type_bytes(b"\x01x");
    pty.type_bytes(b"q");
    let _ = pty.wait_exit(WAIT);
    drop(agent);
    assert!(
        eventually(WAIT, || no_ssh_left(&sshd)),
        "an ssh was left running"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// An engine reached through pipes a program opens (`EngineAddr::Piped`),
/// as a host without an agent is reached through `ssh HOST docker system
/// dial-stdio`: here the local `docker system dial-stdio`, so the same
/// requests (a list, an exec's hijacked stream) run over a program's stdio.
#[test]
fn an_agent_over_an_engine_through_dial_stdio() {
    use dockyard_agent::engine::{EngineAddr, EngineDialer, EngineIo, Piped};
    use dockyard_client::ExecEvent;

    struct LocalDialStdio;
    impl EngineDialer for LocalDialStdio {
        fn dial(&self) -> futures::future::BoxFuture<'static, std::io::Result<Box<dyn EngineIo>>> {
            Box::pin(async {
                let mut cmd = tokio::process::Command::new("docker");
                cmd.args(["system", "dial-stdio"]);
                let pipe = dockyard_proto::pipe::ChildPipe::spawn(cmd)?;
                Ok(Box::new(pipe) as Box<dyn EngineIo>)
            })
        }
        fn describe(&self) -> String {
            "docker system dial-stdio".into()
        }
    }

    let c = TestContainer::start("piped");
    let rt = dockyard_tests::runtime();
    let (names, out, code) = rt.block_on(async {
        let addr = EngineAddr::Piped(Piped(std::sync::Arc::new(LocalDialStdio)));
        let engine = std::sync::Arc::new(dockyard_agent::Engine::new(addr));
        let embedded = dockyard_agent::server::Embedded::start(engine, dockyard_client::Flow::Bulk);
        let mut client =
            dockyard_client::dial::client(embedded.channel.clone(), Default::default());
        let listed = client
            .list_containers(dockyard_client::pb::ListContainersRequest::default())
            .await
            .expect("list")
            .into_inner();
        let names: Vec<String> = listed.containers.into_iter().map(|c| c.name).collect();
        let start = dockyard_client::pb::ExecStart {
            container_identifier: c.name.clone(),
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo piped-$((6*7)); exit 3".into(),
            ],
            ..Default::default()
        };
        let mut session = dockyard_client::ExecSession::start(&mut client, start)
            .await
            .expect("start");
        let (mut out, mut code) = (Vec::new(), None);
        while let Some(ev) = session.next_event().await.expect("event") {
            match ev {
                ExecEvent::Output { data, .. } => out.extend_from_slice(&data),
                ExecEvent::Exited { code: c, .. } => code = Some(c),
                _ => {}
            }
        }
        embedded.shutdown(Duration::from_secs(5)).await;
        (names, out, code)
    });
    assert!(names.contains(&c.name), "{names:?}");
    assert_eq!(String::from_utf8_lossy(&out), "piped-42\n");
    assert_eq!(code, Some(3));
}

/// A host with the docker CLI and no agent: its engine through `ssh HOST
/// docker system dial-stdio`, with an agent in the client's process.
#[test]
fn a_host_without_an_agent_is_reached_through_docker_dial_stdio() {
    let sshd = Sshd::start_without_agent();
    let host = format!("ssh://{ALIAS}");
    let c = TestContainer::start("ssh-noagent");
    let input: Vec<u8> = (0..300_000u32).map(|i| (i * 13 % 256) as u8).collect();
    let o = run_with_input(
        sshd.dockyard(&host, &["exec", "-i", &c.name, "sh", "-c", "cat; exit 4"]),
        &input,
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr_str(&o));
    assert!(
        o.stdout == input,
        "stdout differs ({} bytes)",
        o.stdout.len()
    );
    let o = run(sshd.dockyard(&host, &["ps"]));
    assert!(stdout_str(&o).contains(&c.name), "{}", stderr_str(&o));
    let o = run(sshd.dockyard(&host, &["version"]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert!(
        stdout_str(&o).contains(" Reached:     the engine over SSH (docker system dial-stdio)"),
        "{}",
        stdout_str(&o)
    );
    // Where sessions would be looked for, it is said why there are none.
    let o = run(sshd.dockyard(&host, &["sessions"]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert!(
        stderr_str(&o).contains("no dockyard-agent there, so no sessions outlive their client"),
        "{}",
        stderr_str(&o)
    );
    assert!(
        eventually(WAIT, || no_ssh_left(&sshd)),
        "an ssh was left running"
    );
}
