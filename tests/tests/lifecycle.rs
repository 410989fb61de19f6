//! What happens around a session: the client vanishing, the agent shutting
//! down, and the embedded default with no agent at all.

use std::process::{Command, Stdio};
use std::time::Duration;

use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, eventually, run, running_in, stderr_str,
    stdout_str, wait_started,
};

/// A client killed mid-exec: its process is ended at once (a TTY exec
/// too, on an agent that keeps no sessions: `--detached-ttl 0`).
fn vanish_test(tty: bool) {
    let agent = if tty {
        TestAgent::start_with(&["--detached-ttl", "0"], &[])
    } else {
        TestAgent::start()
    };
    let c = TestContainer::start("vanish");
    let marker = if tty { "4243" } else { "4242" };
    let mut args = vec!["exec"];
    if tty {
        args.push("-t");
    }
    args.extend([c.name.as_str(), "sleep", marker]);
    let mut child = agent
        .dockyard(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_started(&agent, &c, &format!("sleep {marker}"));
    // kill -9: no goodbye on the wire, the connection just drops.
    child.kill().expect("kill dockyard");
    child.wait().expect("reap");
    assert!(
        eventually(Duration::from_secs(10), || !running_in(
            &agent,
            &c,
            &format!("sleep {marker}")
        )),
        "exec left running after its client died; agent log:\n{}",
        agent.log()
    );
}

#[test]
fn client_killed_mid_exec_ends_the_process() {
    vanish_test(false);
}

#[test]
fn client_killed_mid_tty_exec_ends_the_process_without_sessions() {
    vanish_test(true);
}

/// A client killed while the agent is still writing its input to a
/// program that does not read it: the write waits for ever, and the
/// client's going must still end the process (the program is silent, so
/// no failed send of its output would tell).
#[test]
fn client_killed_while_its_input_waits_ends_the_process() {
    use std::io::Write;

    let (agent, c) = (TestAgent::start(), TestContainer::start("stuckin"));
    let mut child = agent
        .dockyard(&["exec", "-i", &c.name, "sh", "-c", "exec sleep 4246"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    // Far more than every buffer on the way (the program's pipe, sockets,
    // HTTP/2 windows) holds; written until the client is killed.
    let feeder = std::thread::spawn(move || {
        let block = vec![b'x'; 64 * 1024];
        while stdin.write_all(&block).is_ok() {}
    });
    wait_started(&agent, &c, "sleep 4246");
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("kill dockyard");
    child.wait().expect("reap");
    let _ = feeder.join();
    assert!(
        eventually(Duration::from_secs(10), || !running_in(
            &agent,
            &c,
            "sleep 4246"
        )),
        "exec left running after its client died with input pending; agent log:\n{}",
        agent.log()
    );
}

#[test]
fn agent_shutdown_gives_running_sessions_a_final_status() {
    let (mut agent, c) = (TestAgent::start(), TestContainer::start("shutdown"));
    let child = agent
        .dockyard(&["exec", &c.name, "sh", "-c", "echo started; exec sleep 4244"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_started(&agent, &c, "sleep 4244");
    let status = agent.terminate();
    assert!(
        status.success(),
        "agent exit: {status:?}; log:\n{}",
        agent.log()
    );
    let o = child.wait_with_output().expect("dockyard output");
    assert_eq!(stdout_str(&o), "started\n");
    // The command was ended (SIGKILL: 128+9) and said so in its status.
    assert_eq!(o.status.code(), Some(137), "stderr: {}", stderr_str(&o));
    let docker_ps = Command::new("docker")
        .args(["exec", &c.name, "ps", "-o", "args"])
        .output()
        .expect("docker exec ps");
    assert!(!String::from_utf8_lossy(&docker_ps.stdout).contains("sleep 4244"));
}

#[test]
fn embedded_default_needs_no_agent() {
    let c = TestContainer::start("embedded");
    let o = run(embedded_dockyard(&[
        "exec",
        &c.name,
        "sh",
        "-c",
        "whoami; echo oops >&2; exit 5",
    ]));
    assert_eq!(stdout_str(&o), "root\n", "stderr: {}", stderr_str(&o));
    assert_eq!(stderr_str(&o), "oops\n");
    assert_eq!(o.status.code(), Some(5));
    let data: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let o =
        dockyard_tests::run_with_input(embedded_dockyard(&["exec", "-i", &c.name, "cat"]), &data);
    assert!(o.stdout == data, "1 MiB through the embedded agent differs");
    let o = run(embedded_dockyard(&["ps", "--format", "json"]));
    assert!(stdout_str(&o).contains(&c.name));
}

#[test]
fn embedded_default_without_docker_is_125() {
    let mut cmd = embedded_dockyard(&["exec", "c", "true"]);
    cmd.env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(125));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Docker engine unavailable"), "{err}");
}

/// `dockyard` on the embedded agent (no --host).
fn embedded_dockyard(args: &[&str]) -> Command {
    let mut cmd = dockyard_command();
    cmd.args(args);
    cmd
}

#[test]
fn embedded_agent_leaves_nothing_behind_when_the_reader_goes() {
    let agent = TestAgent::start();
    let c = TestContainer::start("pipe");
    // `| head -1`: dockyard sees a closed pipe and leaves (141, as a
    // program killed by SIGPIPE); `yes` in the container must end with it.
    let mut child = embedded_dockyard(&["exec", &c.name, "sh", "-c", "exec yes marker-4246"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 12];
    std::io::Read::read_exact(&mut out, &mut first).expect("some output");
    drop(out);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(141));
    assert!(
        eventually(Duration::from_secs(10), || !running_in(
            &agent,
            &c,
            "yes marker-4246"
        )),
        "yes left running after dockyard exited"
    );
}

#[test]
fn embedded_agent_ends_the_command_on_sigint() {
    let agent = TestAgent::start();
    let c = TestContainer::start("sigint");
    let child = embedded_dockyard(&["exec", &c.name, "sleep", "4247"])
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_started(&agent, &c, "sleep 4247");
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(130));
    assert!(
        eventually(Duration::from_secs(10), || !running_in(
            &agent,
            &c,
            "sleep 4247"
        )),
        "sleep left running after Ctrl-C"
    );
}

#[test]
fn agent_dying_mid_session_is_125_with_one_line() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("agentdies"));
    let child = agent
        .dockyard(&["exec", &c.name, "sh", "-c", "echo started; exec sleep 4250"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_started(&agent, &c, "sleep 4250");
    Command::new("kill")
        .args(["-KILL", &agent.pid().to_string()])
        .status()
        .expect("kill");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(stdout_str(&o), "started\n");
    assert_eq!(o.status.code(), Some(125), "stderr: {}", stderr_str(&o));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("agent"), "{err}");
}
