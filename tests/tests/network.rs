//! The network between client and agent failing silently (no FIN, no
//! reset: a relay that stops passing bytes), and a shell that is merely
//! quiet. HTTP/2 keepalive (a ping every 20 s, 20 s to answer) must tell
//! the two apart: the cut ends the exec on both sides, the quiet shell
//! lives on. These wait out real keepalive periods, so they take about a
//! minute each (in parallel).

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use dockyard_tests::tcp_proxy::TcpProxy;
use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, eventually, running_in, wait_started,
};

#[test]
fn a_cut_network_ends_the_exec_on_both_sides() {
    let agent = TestAgent::start();
    let c = TestContainer::start("netcut");
    let proxy = TcpProxy::start(&agent.addr);
    let mut cli = dockyard_command()
        .args(["--host", &proxy.addr, "exec", &c.name, "sleep", "4246"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dockyard");
    wait_started(&agent, &c, "sleep 4246");

    proxy.freeze();
    let cut = Instant::now();
    // The agent's pings go unanswered: it ends the process.
    assert!(
        eventually(Duration::from_secs(120), || !running_in(
            &agent,
            &c,
            "sleep 4246"
        )),
        "the exec outlived the cut network:\n{}",
        agent.log()
    );
    eprintln!(
        "agent ended the exec {:.0} s after the cut",
        cut.elapsed().as_secs_f64()
    );
    // The client's pings too: it gives up with one line and 125.
    let mut exited = None;
    assert!(
        eventually(Duration::from_secs(120), || {
            exited = cli.try_wait().expect("wait dockyard");
            exited.is_some()
        }),
        "the client never noticed the cut"
    );
    eprintln!(
        "client gave up {:.0} s after the cut",
        cut.elapsed().as_secs_f64()
    );
    let mut err = String::new();
    cli.stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    eprintln!("client said: {err}");
    assert_eq!(exited.and_then(|s| s.code()), Some(125), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("connection"), "{err}");
}

#[test]
fn a_quiet_shell_outlives_the_keepalive_period() {
    let agent = TestAgent::start();
    let c = TestContainer::start("quiet");
    let mut cli = agent
        .dockyard(&["exec", "-i", &c.name, "sh"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dockyard");
    // Two whole ping periods with not a byte of session traffic.
    std::thread::sleep(Duration::from_secs(45));
    let mut stdin = cli.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo still-here\nexit 7\n")
        .expect("the session is still open");
    drop(stdin);
    let o = cli.wait_with_output().expect("wait dockyard");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "still-here\n",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(7));
}
