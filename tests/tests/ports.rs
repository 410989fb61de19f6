//! `dockyard port-forward`: a container's port reached from this machine,
//! end to end, on a shell-less target whose HTTP server listens on its
//! own loopback only (busybox httpd on 127.0.0.1:8099).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dockyard_tests::debug::{TARGET_DATA, TARGET_PORT, TOOLBOX, Target};
use dockyard_tests::{TestAgent, eventually, stderr_str};

const WAIT: Duration = Duration::from_secs(20);

/// `GET /data.txt` on `port` of this machine: the body.
fn fetch(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(WAIT)).expect("timeout");
    s.write_all(b"GET /data.txt HTTP/1.0\r\n\r\n")
        .expect("request");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("answer");
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or(answer)
}

/// A forward started, and the local ports it printed, in order.
struct Forward {
    child: Child,
    ports: Vec<u16>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Forward {
    fn start(agent: &TestAgent, args: &[&str], listeners: usize) -> Forward {
        let cmd = agent.dockyard(&[&["port-forward", "--image", TOOLBOX][..], args].concat());
        Self::start_cmd(cmd, listeners)
    }

    /// `cmd` is a whole `dockyard ... port-forward ...`.
    fn start_cmd(mut cmd: Command, listeners: usize) -> Forward {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("port-forward");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let said = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                said.lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut ports = Vec::new();
        for _ in 0..listeners {
            let mut line = String::new();
            out.read_line(&mut line).expect("a line");
            // "Forwarding from 127.0.0.1:PORT -> 8099"
            let port = line
                .split_whitespace()
                .nth(2)
                .and_then(|a| a.rsplit_once(':'))
                .and_then(|(_, p)| p.parse().ok())
                .unwrap_or_else(|| panic!("not a forwarding line: {line:?}"));
            ports.push(port);
        }
        // The rest of stdout ("Handling connection for ...") is drained.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = out.read_to_string(&mut sink);
        });
        Forward {
            child,
            ports,
            stderr,
        }
    }

    fn said(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// SIGINT, as Ctrl-C sends: it exits 0.
    fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let status = self.child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "{}", self.said());
    }
}

/// No container of the debug helpers' label is left for `target`.
fn helpers_gone(target: &Target) -> bool {
    target.helpers().is_empty()
}

#[test]
fn a_loopback_port_through_the_agent_restarts_included() {
    let agent = TestAgent::start();
    let target = Target::start("pf", |_| {});
    let spec = format!(":{TARGET_PORT}");
    let fwd = Forward::start(&agent, &[&target.name, &spec], 2);
    let port = fwd.ports[0];
    assert_eq!(fwd.ports[1], port, "the same free port on ::1");
    assert_eq!(fetch(port), format!("{TARGET_DATA}\n"));
    // Two connections at once.
    let a = std::thread::spawn(move || fetch(port));
    let b = std::thread::spawn(move || fetch(port));
    assert_eq!(a.join().expect("a"), format!("{TARGET_DATA}\n"));
    assert_eq!(b.join().expect("b"), format!("{TARGET_DATA}\n"));
    // Over ::1 too, when this machine has IPv6.
    if let Ok(mut s) = std::net::TcpStream::connect(("::1", port)) {
        s.write_all(b"GET /data.txt HTTP/1.0\r\n\r\n")
            .expect("request");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("answer");
        assert!(answer.ends_with(&format!("{TARGET_DATA}\n")), "{answer}");
    }
    // The container restarted under the forward: new connections reach
    // it, and the forward says so.
    let o = dockyard_tests::run({
        let mut c = Command::new("docker");
        c.args(["restart", "-t", "0", &target.name]);
        c
    });
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert!(
        eventually(WAIT, || std::net::TcpStream::connect(("127.0.0.1", port))
            .is_ok_and(|_| fetch(port) == format!("{TARGET_DATA}\n"))),
        "the restarted container was never reached: {}",
        fwd.said()
    );
    assert!(
        eventually(WAIT, || fwd.said().contains("is a new container now")),
        "{}",
        fwd.said()
    );
    fwd.interrupt();
    assert!(
        eventually(WAIT, || helpers_gone(&target)),
        "a debug helper was left"
    );
}

#[test]
fn a_port_nothing_listens_on_and_a_port_in_use() {
    let agent = TestAgent::start();
    let target = Target::start("pf-bad", |_| {});
    let fwd = Forward::start(&agent, &[&target.name, ":9"], 2);
    // Closed at once, and a line says why.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", fwd.ports[0])).expect("connect");
    s.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(buf.is_empty());
    assert!(
        eventually(WAIT, || fwd.said().contains("port 9: can't connect")),
        "{}",
        fwd.said()
    );
    // The same local port again: in use, one line, nothing listens.
    let busy = format!("{}:{TARGET_PORT}", fwd.ports[0]);
    let o = dockyard_tests::run(agent.dockyard(&[
        "port-forward",
        "--image",
        TOOLBOX,
        &target.name,
        &busy,
    ]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("the port is in use"), "{err}");
    fwd.interrupt();
    // A container that is not there.
    let o = dockyard_tests::run(agent.dockyard(&["port-forward", "dyt-no-such", "8080:80"]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o), "dockyard: No such container: dyt-no-such\n");
    assert!(
        eventually(WAIT, || helpers_gone(&target)),
        "a debug helper was left"
    );
}

/// The TUI: F on a shell-less container forwards a free port to its
/// loopback server; the forwards' view shows where it listens and what
/// it carried; x stops it; quitting ends the rest.
#[test]
fn the_tui_forwards_a_port_and_stops_it() {
    use dockyard_tests::pty::Pty;
    let agent = TestAgent::start();
    let target = Target::start("pf-tui", |_| {});
    let mut pty = Pty::spawn_env(
        &dockyard_tests::dockyard_bin(),
        &["--host", &agent.addr],
        &[("DOCKYARD_DEBUG_IMAGE", TOOLBOX)],
        40,
        160,
    );
    pty.filter_to(&target.name, WAIT);
    pty.type_bytes(b"F");
    pty.wait_for_text("Forward a port of", WAIT);
    pty.type_bytes(format!(":{TARGET_PORT}\r").as_bytes());
    // "NAME 127.0.0.1:PORT [::1]:PORT -> 8099"
    let mut port = 0u16;
    pty.wait_for("a listening forward", WAIT, |s| {
        s.lines().any(|l| {
            let Some(i) = l.find("127.0.0.1:") else {
                return false;
            };
            let digits: String = l[i + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u16>().is_ok()
        })
    });
    for l in pty.contents().lines() {
        if let Some(i) = l.find("127.0.0.1:") {
            let digits: String = l[i + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            port = digits.parse().expect("a port");
        }
    }
    assert_eq!(fetch(port), format!("{TARGET_DATA}\n"));
    pty.wait_for("the connection counted", WAIT, |s| {
        s.contains("0 open, 1 in all")
    });
    // Stopped: nothing listens there any more.
    pty.type_bytes(b"x");
    pty.wait_for_text("stopped forwarding", WAIT);
    assert!(
        eventually(WAIT, || std::net::TcpStream::connect(("127.0.0.1", port))
            .is_err()),
        "still listening on {port}"
    );
    // Another, left running: quitting ends it.
    pty.type_bytes(b"q");
    pty.wait_for("the view closed", WAIT, |s| !s.contains("Port forwards ("));
    pty.type_bytes(b"F");
    pty.wait_for_text("Forward a port of", WAIT);
    pty.type_bytes(format!(":{TARGET_PORT}\r").as_bytes());
    pty.wait_for("a listening forward", WAIT, |s| {
        s.contains("-> 8099  0 open")
    });
    pty.type_bytes(b"q");
    pty.wait_for("the view closed", WAIT, |s| !s.contains("Port forwards ("));
    pty.type_bytes(b"q");
    let _ = pty.wait_exit(WAIT);
    assert!(
        eventually(WAIT, || helpers_gone(&target)),
        "a debug helper was left"
    );
}

/// Through the agent inside `dockyard` (no --host: the local engine).
#[test]
fn through_the_embedded_agent() {
    let target = Target::start("pf-local", |_| {});
    let mut cmd = dockyard_tests::dockyard_command();
    cmd.args(["port-forward", "--image", TOOLBOX, &target.name])
        .arg(format!(":{TARGET_PORT}"));
    let fwd = Forward::start_cmd(cmd, 2);
    assert_eq!(fetch(fwd.ports[0]), format!("{TARGET_DATA}\n"));
    fwd.interrupt();
    assert!(
        eventually(WAIT, || helpers_gone(&target)),
        "a debug helper was left"
    );
}
