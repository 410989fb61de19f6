//! The agent binary itself: health service, refusing unsafe listening, and
//! the agent as a container.

use dockyard_tests::{TestAgent, agent_bin, block_on, docker_cli_ok};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[test]
fn health_service_reports_serving() {
    let agent = TestAgent::start();
    let addr = format!("http://{}", agent.addr);
    block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(addr)
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut client = HealthClient::new(channel);
        for service in ["", "dockyard.DockyardService"] {
            let resp = client
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .expect("health check")
                .into_inner();
            assert_eq!(resp.status(), ServingStatus::Serving, "service {service:?}");
        }
    });
}

/// `dockyard-agent health` (the image's HEALTHCHECK) says "serving" and
/// exits 0 for an agent whose engine answers; exits 1 with the reason in
/// one line for one whose engine does not (the agent is up, but nothing
/// can be reached through it) and for an address nobody serves.
#[test]
fn the_health_subcommand_follows_the_engine() {
    use std::time::Duration;

    use dockyard_tests::{eventually, run};

    let health = |addr: &str| {
        let mut c = std::process::Command::new(agent_bin());
        c.args(["health", addr]);
        run(c)
    };
    let agent = TestAgent::start();
    let o = health(&agent.addr);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "serving\n");

    let no_engine =
        TestAgent::start_with_env(&[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    assert!(
        eventually(Duration::from_secs(10), || {
            let o = health(&no_engine.addr);
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            !o.status.success() && err.contains("NOT_SERVING") && err.lines().count() == 1
        }),
        "an agent without its engine must not report healthy"
    );

    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = free.local_addr().expect("addr").to_string();
    drop(free);
    let o = health(&addr);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        !o.status.success() && err.contains(&addr) && err.lines().count() == 1,
        "{err}"
    );
}

/// Logs carry no colour codes when stderr is not a terminal (as under
/// `docker logs`), and `--log-format json` writes one JSON object a line;
/// a health port off loopback is refused.
#[test]
fn logs_are_plain_or_json() {
    let text = TestAgent::start();
    let log = text.log();
    assert!(
        log.contains("protection") && !log.contains('\x1b'),
        "{log:?}"
    );
    let json = TestAgent::start_with(&["--log-format", "json"], &[]);
    let log = json.log();
    let first = log.lines().next().expect("a log line");
    let v: serde_json::Value = serde_json::from_str(first).expect("a JSON line");
    assert_eq!(v["level"], "INFO", "{first}");
    assert!(v["message"].is_string(), "{first}");

    let o = std::process::Command::new(agent_bin())
        .args(["--health-listen", "0.0.0.0:0"])
        .output()
        .expect("run agent");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("loopback"), "{err}");
}

#[test]
fn refuses_non_loopback_without_insecure() {
    let o = std::process::Command::new(agent_bin())
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("run agent");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:0"), "{err}");
    assert!(o.stdout.is_empty(), "it must not have started listening");
}

#[test]
fn bad_listen_address_is_one_line() {
    let o = std::process::Command::new(agent_bin())
        .args(["--listen", "not-an-address"])
        .output()
        .expect("run agent");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not-an-address"), "{err}");
}

/// Removes what the image test made, however it ends.
struct Cleanup {
    container: String,
    network: String,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let quiet = |args: &[&str]| {
            let _ = std::process::Command::new("docker").args(args).output();
        };
        quiet(&["rm", "-f", &self.container]);
        quiet(&["network", "rm", &self.network]);
        quiet(&["rmi", &self.image]);
    }
}

/// The agent as a container, the way docs/security.md runs it: its own image
/// (built by assets/agent-image/build, nothing pulled), its own network,
/// the engine's socket, the host's PID namespace, TLS and a token. A
/// client on the host runs exec, ps and a TUI pane through it, and a
/// client killed mid-exec still gets its command ended.
#[test]
fn the_agent_image_serves_exec_ps_and_a_tui_pane() {
    use std::time::Duration;

    use dockyard_tests::pty::Pty;
    use dockyard_tests::{
        TestContainer, certs::TestPki, dockyard_bin, dockyard_command, eventually, run, stderr_str,
        stdout_str, unique_name,
    };

    const TOKEN: &str = "image-test-token-0123456789";
    let image = format!("{}:test", unique_name("agentimage"));
    let cleanup = Cleanup {
        container: unique_name("agentctr"),
        network: unique_name("agentnet"),
        image: image.clone(),
    };
    dockyard_tests::build_agent_image(&image);
    docker_cli_ok(&[
        "network",
        "create",
        "--label",
        "dockyard.test=1",
        &cleanup.network,
    ]);
    let pki = TestPki::new();
    pki.file("token", TOKEN);
    let pki_dir = format!("{}:/etc/dockyard:ro", pki.dir.display());
    docker_cli_ok(&[
        "run",
        "-d",
        "--name",
        &cleanup.container,
        "--label",
        "dockyard.test=1",
        "--network",
        &cleanup.network,
        "--pid",
        "host",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        &pki_dir,
        "-p",
        "127.0.0.1::50051",
        "--health-interval",
        "1s",
        &image,
        "--tls-cert",
        "/etc/dockyard/server.pem",
        "--tls-key",
        "/etc/dockyard/server.key",
        "--token-file",
        "/etc/dockyard/token",
    ]);
    // The image's HEALTHCHECK, asked more often than its 10 s so the
    // test need not wait.
    let healthy = || {
        docker_cli_ok(&[
            "inspect",
            "--format",
            "{{.State.Health.Status}}",
            &cleanup.container,
        ])
        .trim()
            == "healthy"
    };
    assert!(
        eventually(Duration::from_secs(30), healthy),
        "never healthy: {}",
        docker_cli_ok(&[
            "inspect",
            "--format",
            "{{json .State.Health}}",
            &cleanup.container
        ])
    );
    let logs = std::process::Command::new("docker")
        .args(["logs", &cleanup.container])
        .output()
        .expect("docker logs");
    let logs = String::from_utf8_lossy(&logs.stderr);
    assert!(
        logs.contains("protection") && !logs.contains('\x1b'),
        "{logs:?}"
    );
    let addr = docker_cli_ok(&["port", &cleanup.container, "50051/tcp"]);
    let addr = addr.lines().next().expect("a published port").to_string();
    let ca = pki.ca.display().to_string();
    let client = |args: &[&str]| {
        let mut c = dockyard_command();
        c.args(["--host", &addr, "--tls-ca", &ca, "--token", TOKEN])
            .args(args);
        c
    };
    let c = TestContainer::start("viaimage");
    assert!(
        eventually(Duration::from_secs(20), || run(client(&["ps"]))
            .status
            .success()),
        "the agent in its container never answered; its log:\n{}",
        docker_cli_ok(&["logs", &cleanup.container])
    );
    let o = run(client(&["exec", &c.name, "sh", "-c", "echo via-$((40+2))"]));
    assert_eq!(stdout_str(&o), "via-42\n", "{}", stderr_str(&o));
    assert!(stdout_str(&run(client(&["ps"]))).contains(&c.name));

    // A client killed mid-exec: the agent, in its container, ends the
    // command (it sees the host's PIDs through --pid host).
    let mut child = client(&["exec", &c.name, "sleep", "4247"])
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let running = || {
        let ps = docker_cli_ok(&["exec", &c.name, "ps", "-o", "args"]);
        ps.contains("sleep 4247")
    };
    assert!(eventually(Duration::from_secs(20), running));
    child.kill().expect("kill the client");
    let _ = child.wait();
    assert!(
        eventually(Duration::from_secs(15), || !running()),
        "the command outlived its client; agent log:\n{}",
        docker_cli_ok(&["logs", &cleanup.container])
    );

    // A TUI pane through it.
    let args = [
        "--host",
        addr.as_str(),
        "--tls-ca",
        ca.as_str(),
        "--token",
        TOKEN,
    ];
    let mut pty = Pty::spawn(&dockyard_bin(), &args, 30, 200);
    let wait = Duration::from_secs(20);
    pty.wait_for_text(&c.name, wait);
    pty.type_bytes(b"/");
    pty.type_bytes(c.name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt", wait, |s| s.contains("/ #"));
    pty.type_bytes(b"echo pane-$((6*7))\r");
    pty.wait_for_text("pane-42", wait);
    // Quitting asks about the shell's session; `e` ends it.
    pty.type_bytes(b"\x01q");
    pty.wait_for_text("e: end them", wait);
    pty.type_bytes(b"e");
    assert_eq!(pty.wait_exit(wait), 0);
    drop(cleanup);
}
