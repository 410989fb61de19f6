//! Several agents as one cluster (docs/fleet.md): three agents on this
//! machine, static peers of each other over mutual TLS with one cluster
//! CA, each owning the containers labelled with its node (`--only-label`:
//! one engine stands in for three), reached through one of them.

use std::path::PathBuf;
use std::time::Duration;

use dockyard_client::{DialOptions, ExecSession, routed};
use dockyard_proto::pb::{ListSessionsRequest, SessionRef};
use dockyard_tests::certs::TestPki;
use dockyard_tests::debug::{TARGET_DATA, TOOLBOX, Target};
use dockyard_tests::pty::Pty;
use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, eventually, run, run_with_input, runtime,
    stderr_str, stdout_str, unique_name,
};
use dockyard_tests::{docker_cli_ok, dockyard_bin, output_until, tty_shell};

const ALICE: &str = "alice-token-0123456789";
const BOB: &str = "bob-token-0123456789abc";
const WAIT: Duration = Duration::from_secs(20);

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    l.local_addr().expect("addr").port()
}

struct Cluster {
    pki: TestPki,
    tokens: PathBuf,
    ports: Vec<u16>,
    /// The label that says which node owns a container: this cluster's
    /// own, so tests running side by side do not share containers.
    key: String,
}

impl Cluster {
    fn new(nodes: usize) -> Self {
        let pki = TestPki::new();
        let tokens = pki.file("tokens", &format!("alice {ALICE}\nbob {BOB}\n"));
        Cluster {
            pki,
            tokens,
            ports: (0..nodes).map(|_| free_port()).collect(),
            key: unique_name("dyt.node"),
        }
    }

    fn name(i: usize) -> String {
        format!("n{}", i + 1)
    }

    /// Agent `i`, peer of every other port of the cluster (and of
    /// `extra`), with the cluster's certificate or `cert`.
    fn start(
        &self,
        i: usize,
        extra: &[u16],
        cert: Option<(&PathBuf, &PathBuf, &PathBuf)>,
    ) -> TestAgent {
        let name = Self::name(i);
        let (ca, crt, key) =
            cert.unwrap_or((&self.pki.ca, &self.pki.agent_cert, &self.pki.agent_key));
        let label = format!("{}={name}", self.key);
        let mut args: Vec<String> = [
            "--tls-cert",
            &crt.display().to_string(),
            "--tls-key",
            &key.display().to_string(),
            "--peer-ca",
            &ca.display().to_string(),
            "--token-file",
            &self.tokens.display().to_string(),
            "--node-name",
            &name,
            "--only-label",
            &label,
            "--detached-ttl",
            "5m",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (j, p) in self.ports.iter().enumerate() {
            if j != i {
                args.extend(["--peer".into(), format!("127.0.0.1:{p}")]);
            }
        }
        for p in extra {
            args.extend(["--peer".into(), format!("127.0.0.1:{p}")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        TestAgent::start_on(&format!("127.0.0.1:{}", self.ports[i]), &args, &[])
    }

    fn entry(&self) -> String {
        format!("127.0.0.1:{}", self.ports[0])
    }

    /// `dockyard` through the entry (node n1), as `token`.
    fn dockyard(&self, token: &str, args: &[&str]) -> std::process::Command {
        let mut c = dockyard_command();
        c.args(["--host", &self.entry(), "--tls-ca"])
            .arg(&self.pki.ca)
            .args(["--token", token])
            .args(args);
        c
    }

    fn dial(&self, token: &str) -> DialOptions {
        DialOptions {
            token: Some(token.into()),
            tls_ca: Some(self.pki.ca.clone()),
            ..Default::default()
        }
    }
}

/// A container owned by node `node` of `cluster`.
fn owned_by(cluster: &Cluster, node: &str, group: &str, cmd: &[&str]) -> TestContainer {
    let (key, node, group) = (cluster.key.clone(), node.to_string(), group.to_string());
    TestContainer::start_custom(&format!("fleet{node}"), cmd, move |b| {
        let labels = b.labels.get_or_insert_with(Default::default);
        labels.insert(key, node);
        labels.insert("dyt.fan".into(), group);
    })
}

/// The agent log lines that say an exec started in `container`.
fn ran_here(agent: &TestAgent, container: &str) -> bool {
    agent
        .log()
        .lines()
        .any(|l| l.contains("exec started") && l.contains(container))
}

#[test]
fn one_entry_reaches_every_node_with_the_callers_identity() {
    let cluster = Cluster::new(3);
    let mut agents: Vec<Option<TestAgent>> =
        (0..3).map(|i| Some(cluster.start(i, &[], None))).collect();
    let group = unique_name("fleetgrp");
    let script = ["sh", "-c", "echo log-of-$HOSTNAME; exec sleep 1000000"];
    let c: Vec<TestContainer> = (0..3)
        .map(|i| owned_by(&cluster, &Cluster::name(i), &group, &script))
        .collect();

    // ps through n1 lists every node's containers, each with its node.
    let listed_all = || {
        let o = run(cluster.dockyard(ALICE, &["ps"]));
        let out = stdout_str(&o);
        o.status.success() && c.iter().all(|c| out.contains(&c.name))
    };
    assert!(
        eventually(WAIT, listed_all),
        "the cluster never listed every node's containers"
    );
    let out = stdout_str(&run(cluster.dockyard(ALICE, &["ps"])));
    assert!(out.starts_with("NODE"), "{out}");
    for (i, c) in c.iter().enumerate() {
        let line = out.lines().find(|l| l.contains(&c.name)).expect("its line");
        assert!(line.starts_with(&Cluster::name(i)), "{line}");
    }
    let o = run(cluster.dockyard(ALICE, &["ps", "--filter", "node=n2", "--format", "json"]));
    let json: serde_json::Value = serde_json::from_str(&stdout_str(&o)).expect("json");
    let names: Vec<&str> = json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, [c[1].name.as_str()], "{json}");

    // exec through n1 runs on the container's node, its bytes and exit
    // status unchanged.
    let o = run(cluster.dockyard(
        ALICE,
        &[
            "exec",
            &c[1].name,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 42",
        ],
    ));
    assert_eq!(
        (
            stdout_str(&o).as_str(),
            stderr_str(&o).as_str(),
            o.status.code()
        ),
        ("out\n", "err\n", Some(42))
    );
    let agent = |i: usize, agents: &Vec<Option<TestAgent>>| -> String {
        agents[i].as_ref().map(|a| a.log()).unwrap_or_default()
    };
    assert!(
        agents[1].as_ref().is_some_and(|a| ran_here(a, &c[1].name)),
        "n2 did not run it:\n{}",
        agent(1, &agents)
    );
    assert!(
        !agents[0].as_ref().is_some_and(|a| ran_here(a, &c[1].name)),
        "the entry ran it itself"
    );
    let data: Vec<u8> = (0..(2 << 20))
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let o = run_with_input(
        cluster.dockyard(ALICE, &["exec", "-i", &c[2].name, "cat"]),
        &data,
    );
    assert!(
        o.status.success() && o.stdout == data,
        "2 MiB through n1 to n3 differ: {}",
        stderr_str(&o)
    );

    // A debug shell into a container with no shell, on n3, through n1:
    // the entry takes it there, the helper starts beside it on n3.
    let target = Target::start_labelled("fleetdbg", &[(cluster.key.as_str(), "n3")], |_| {});
    let o = run(cluster.dockyard(
        ALICE,
        &[
            "debug",
            "--image",
            TOOLBOX,
            &target.name,
            "cat",
            "/app/data.txt",
        ],
    ));
    assert_eq!(
        stdout_str(&o),
        format!("{TARGET_DATA}\n"),
        "{}",
        stderr_str(&o)
    );
    assert!(
        agents[2]
            .as_ref()
            .is_some_and(|a| ran_here(a, &target.name)),
        "n3 did not run it"
    );
    // Files in and out of it, through n1 to n3 (the archive API: nothing
    // runs in the container).
    let scratch = std::env::temp_dir().join(unique_name("fleetcp"));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let put = scratch.join("put.txt");
    std::fs::write(&put, "through-the-entry\n").expect("write");
    let o = run(cluster.dockyard(
        ALICE,
        &[
            "cp",
            put.to_str().expect("utf-8"),
            &format!("{}:/app/", target.name),
        ],
    ));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let back = scratch.join("back");
    std::fs::create_dir_all(&back).expect("back");
    let o = run(cluster.dockyard(
        ALICE,
        &[
            "cp",
            &format!("{}:/app/.", target.name),
            back.to_str().expect("utf-8"),
        ],
    ));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(
        std::fs::read_to_string(back.join("put.txt")).expect("put.txt"),
        "through-the-entry\n"
    );
    assert_eq!(
        std::fs::read_to_string(back.join("data.txt")).expect("data.txt"),
        format!("{TARGET_DATA}\n")
    );
    let copied_on = |i: usize| {
        agents[i].as_ref().is_some_and(|a| {
            a.log()
                .lines()
                .any(|l| l.contains("copy from") && l.contains(&target.name))
        })
    };
    assert!(copied_on(2) && !copied_on(0), "n3 did not serve the copy");
    let _ = std::fs::remove_dir_all(&scratch);
    // Its loopback port, forwarded through n1 from n3.
    let mut fwd = cluster
        .dockyard(
            ALICE,
            &[
                "port-forward",
                "--image",
                TOOLBOX,
                &target.name,
                &format!("127.0.0.1::{}", dockyard_tests::debug::TARGET_PORT),
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("port-forward");
    let mut out = std::io::BufReader::new(fwd.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).expect("its line");
    // The rest of its stdout, drained.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let port: u16 = line
        .split_whitespace()
        .nth(2)
        .and_then(|a| a.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    std::io::Write::write_all(&mut s, b"GET /data.txt HTTP/1.0\r\n\r\n").expect("request");
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut s, &mut answer).expect("answer");
    assert!(answer.ends_with(&format!("{TARGET_DATA}\n")), "{answer}");
    assert!(
        agents[2]
            .as_ref()
            .is_some_and(|a| ran_here(a, &target.name)),
        "n3 did not carry it"
    );
    let _ = std::process::Command::new("kill")
        .args(["-INT", &fwd.id().to_string()])
        .status();
    assert_eq!(fwd.wait().expect("wait").code(), Some(0));
    drop(target);

    // logs, inspect and lifecycle reach the node too.
    let o = run(cluster.dockyard(ALICE, &["logs", &c[2].name]));
    assert!(
        stdout_str(&o).starts_with("log-of-"),
        "{}{}",
        stdout_str(&o),
        stderr_str(&o)
    );
    let o = run(cluster.dockyard(ALICE, &["inspect", &c[1].name]));
    assert!(stdout_str(&o).contains(&c[1].name), "{}", stderr_str(&o));

    // stats: every node's running containers, or one by name.
    let o = run(cluster.dockyard(ALICE, &["stats", "--no-stream"]));
    for c in &c {
        assert!(
            stdout_str(&o).contains(&c.name),
            "{}{}",
            stdout_str(&o),
            stderr_str(&o)
        );
    }
    let o = run(cluster.dockyard(ALICE, &["stats", "--no-stream", &c[2].name]));
    assert!(
        o.status.success() && stdout_str(&o).contains(&c[2].name),
        "{}",
        stderr_str(&o)
    );

    // Fan-out through the one entry reaches every node: NODE/NAME | .
    let o = run(cluster.dockyard(
        ALICE,
        &[
            "exec",
            "--filter",
            &format!("label=dyt.fan={group}"),
            "--",
            "echo",
            "hi",
        ],
    ));
    let out = stdout_str(&o);
    for (i, c) in c.iter().enumerate() {
        // Labels are padded to one width.
        let label = format!("{}/{}", Cluster::name(i), c.name);
        assert!(
            out.lines()
                .any(|l| l.starts_with(&label) && l.ends_with("| hi")),
            "{out}"
        );
    }

    // version: every node's agent and engine.
    let out = stdout_str(&run(cluster.dockyard(ALICE, &["version"])));
    for i in 0..3 {
        assert!(out.contains(&format!("node {}", Cluster::name(i))), "{out}");
    }

    // A TTY session on n2, started through n1 by alice, detached: hers
    // alone, named by its node; bob neither sees it nor can end it.
    let rt = runtime();
    let mut alice = rt
        .block_on(dockyard_client::dial::connect(
            &cluster.entry().parse().expect("addr"),
            &cluster.dial(ALICE),
        ))
        .expect("dial");
    let mut bob = rt
        .block_on(dockyard_client::dial::connect(
            &cluster.entry().parse().expect("addr"),
            &cluster.dial(BOB),
        ))
        .expect("dial");
    let start = tty_shell(&c[1].name);
    let id = rt.block_on(async {
        // No node named, no list asked first: the entry finds n2 itself,
        // in this one call, and the answer names the node to attach to.
        let mut s = ExecSession::start(&mut alice, start).await.expect("start");
        assert_eq!(s.node(), Some("n2"));
        let id = s.session_id().to_string();
        s.input()
            .send(b"echo marker-$((6*7))\r".to_vec().into())
            .await
            .expect("type");
        output_until(&mut s, "marker-42").await;
        s.input().detach().await.expect("detach");
        id
    });
    assert!(!id.is_empty());
    let sessions = |c: &mut dockyard_client::Client| {
        rt.block_on(c.list_sessions(ListSessionsRequest {}))
            .expect("list")
            .into_inner()
            .sessions
    };
    let mine = sessions(&mut alice);
    assert!(
        mine.iter().any(|s| s.id == id && s.node == "n2"),
        "{mine:?}"
    );
    assert!(!sessions(&mut bob).iter().any(|s| s.id == id));
    let ended = rt.block_on(bob.end_session(routed(
        SessionRef {
            session_id: id.clone(),
        },
        Some("n2"),
    )));
    assert_eq!(
        ended.expect_err("bob may not end it").code(),
        tonic::Code::NotFound
    );
    let o = run(cluster.dockyard(ALICE, &["sessions"]));
    assert!(
        stdout_str(&o).contains(&id) && stdout_str(&o).contains("n2"),
        "{}",
        stdout_str(&o)
    );
    rt.block_on(async {
        let mut s = ExecSession::attach_on(&mut alice, Some("n2"), &id, (24, 80), None)
            .await
            .expect("attach");
        output_until(&mut s, "marker-42").await;
    });
    let o = run(cluster.dockyard(ALICE, &["sessions", "rm", &id]));
    assert!(o.status.success(), "{}", stderr_str(&o));

    // The TUI through the entry: every node's containers, with their
    // node; a shell in n2's container.
    let ca = cluster.pki.ca.display().to_string();
    let entry = cluster.entry();
    let args = [
        "--host",
        entry.as_str(),
        "--tls-ca",
        ca.as_str(),
        "--token",
        ALICE,
    ];
    let mut pty = Pty::spawn(&dockyard_bin(), &args, 30, 200);
    for c in &c {
        pty.wait_for_text(&c.name, WAIT);
    }
    assert!(pty.contents().contains("NODE"), "{}", pty.contents());
    pty.type_bytes(b"/");
    pty.type_bytes(c[1].name.as_bytes());
    pty.type_bytes(b"\r\r");
    pty.wait_for("a prompt", WAIT, |s| s.contains("/ #"));
    pty.type_bytes(b"echo pane-$((6*7))\r");
    pty.wait_for_text("pane-42", WAIT);
    pty.type_bytes(b"\x01q");
    pty.wait_for_text("e: end them", WAIT);
    pty.type_bytes(b"e");
    assert_eq!(pty.wait_exit(WAIT), 0);

    // n3 goes: its containers leave the list within seconds with a reason,
    // the rest keep working; it comes back: they are listed again.
    agents[2].take().map(|mut a| a.terminate());
    let gone = || {
        let o = run(cluster.dockyard(ALICE, &["ps"]));
        !stdout_str(&o).contains(&c[2].name) && stderr_str(&o).contains("node n3")
    };
    assert!(
        eventually(WAIT, gone),
        "n3's containers stayed listed after it went"
    );
    let o = run(cluster.dockyard(ALICE, &["ps"]));
    assert_eq!(o.status.code(), Some(125));
    assert!(stdout_str(&o).contains(&c[1].name));
    let o = run(cluster.dockyard(ALICE, &["exec", &c[1].name, "echo", "still"]));
    assert_eq!(stdout_str(&o), "still\n", "{}", stderr_str(&o));
    let o = run(cluster.dockyard(ALICE, &["exec", &c[2].name, "true"]));
    assert_eq!(o.status.code(), Some(125), "{}", stderr_str(&o));
    agents[2] = Some(cluster.start(2, &[], None));
    assert!(
        eventually(WAIT, listed_all),
        "n3 came back but its containers did not"
    );
}

/// Agents accept a forwarded identity only from an agent of their
/// cluster: a peer with another CA's certificate is never one, and a
/// client (even with a certificate of the cluster's CA, or a valid token)
/// that claims to forward for someone is refused.
#[test]
fn only_agents_of_the_cluster_may_forward() {
    let cluster = Cluster::new(2);
    let rogue_port = free_port();
    let _n1 = cluster.start(0, &[rogue_port], None);
    let _n2 = cluster.start(1, &[], None);
    let rogue_cluster = Cluster {
        pki: TestPki::new(),
        tokens: cluster.tokens.clone(),
        ports: vec![rogue_port, cluster.ports[0]],
        key: cluster.key.clone(),
    };
    let pki = &cluster.pki;
    let _rogue = rogue_cluster.start(
        0,
        &[],
        Some((&pki.rogue_ca, &pki.rogue_cert, &pki.rogue_key)),
    );
    let n2_c = owned_by(&cluster, "n2", "none", &["sleep", "1000000"]);
    // n2 joins; the rogue never does, and says why.
    let listed = || {
        let o = run(cluster.dockyard(ALICE, &["ps"]));
        stdout_str(&o).contains(&n2_c.name)
    };
    assert!(eventually(WAIT, listed));
    let o = run(cluster.dockyard(ALICE, &["version"]));
    let out = stdout_str(&o);
    assert!(out.contains(&format!("127.0.0.1:{rogue_port}")), "{out}");
    assert!(
        o.status.code() == Some(125),
        "the rogue counts as unreachable: {out}"
    );

    // A client of the cluster's CA, with a valid token, claiming to
    // forward for alice: refused.
    let rt = runtime();
    let forged = |cert: Option<(&PathBuf, &PathBuf)>, token: &str| {
        let mut opts = cluster.dial(BOB);
        if let Some((c, k)) = cert {
            opts.tls_cert = Some(c.clone());
            opts.tls_key = Some(k.clone());
        }
        let addr = format!("127.0.0.1:{}", cluster.ports[1])
            .parse()
            .expect("addr");
        let mut client = rt
            .block_on(dockyard_client::dial::connect(&addr, &opts))
            .expect("dial");
        // As an agent would write it: the JSON of the caller, in hex.
        let caller: String = format!(r#"{{"certificate":null,"token":"{token}"}}"#)
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut req = tonic::Request::new(ListSessionsRequest {});
        req.metadata_mut()
            .insert(dockyard_proto::CALLER_KEY, caller.parse().expect("ascii"));
        rt.block_on(client.list_sessions(req))
    };
    for cert in [None, Some((&pki.client_cert, &pki.client_key))] {
        let refused = forged(cert, "alice").expect_err("a forged identity must be refused");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    }
    // An agent's certificate is believed, for a token name this agent
    // has; another agent's name for someone it does not know is refused.
    let agent = Some((&pki.agent_cert, &pki.agent_key));
    assert!(
        forged(agent, "alice").is_ok(),
        "a peer forwarding for alice"
    );
    let refused = forged(agent, "mallory").expect_err("an unknown token name");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
}

/// The cluster as it runs for real: three agent containers (the project's
/// image) on a Docker network of their own, static peers by name, one of
/// them published as the entry. A peer killed leaves the listing with a
/// reason while the others keep working; started again, it is back.
#[test]
fn agent_containers_on_their_own_network() {
    struct Cleanup {
        containers: Vec<String>,
        network: String,
        image: String,
    }
    impl Drop for Cleanup {
        fn drop(&mut self) {
            for c in &self.containers {
                let _ = std::process::Command::new("docker")
                    .args(["rm", "-f", c])
                    .output();
            }
            let _ = std::process::Command::new("docker")
                .args(["network", "rm", &self.network])
                .output();
            let _ = std::process::Command::new("docker")
                .args(["rmi", &self.image])
                .output();
        }
    }
    let cluster = Cluster::new(0);
    let names: Vec<String> = (0..3)
        .map(|i| unique_name(&format!("agentn{}", i + 1)))
        .collect();
    let mut cleanup = Cleanup {
        containers: Vec::new(),
        network: unique_name("fleetnet"),
        image: format!("{}:test", unique_name("fleetagent")),
    };
    dockyard_tests::build_agent_image(&cleanup.image);
    docker_cli_ok(&[
        "network",
        "create",
        "--label",
        "dockyard.test=1",
        &cleanup.network,
    ]);
    let pki_dir = format!("{}:/etc/dockyard:ro", cluster.pki.dir.display());
    for (i, name) in names.iter().enumerate() {
        let node = Cluster::name(i);
        let label = format!("{}={node}", cluster.key);
        let mut args = vec![
            "run",
            "-d",
            "--name",
            name,
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
        ];
        if i == 0 {
            args.extend(["-p", "127.0.0.1::50051"]);
        }
        args.extend([
            cleanup.image.as_str(),
            "--tls-cert",
            "/etc/dockyard/agent.pem",
            "--tls-key",
            "/etc/dockyard/agent.key",
            "--peer-ca",
            "/etc/dockyard/ca.pem",
            "--token-file",
            "/etc/dockyard/tokens",
            "--node-name",
            &node,
            "--only-label",
            &label,
        ]);
        let peers: Vec<String> = names
            .iter()
            .filter(|n| *n != name)
            .map(|n| format!("--peer={n}"))
            .collect();
        args.extend(peers.iter().map(String::as_str));
        docker_cli_ok(&args);
        cleanup.containers.push(name.clone());
    }
    let entry = docker_cli_ok(&["port", &names[0], "50051/tcp"])
        .lines()
        .next()
        .expect("port")
        .to_string();
    let dockyard = |args: &[&str]| {
        let mut c = dockyard_command();
        c.args(["--host", &entry, "--tls-ca"])
            .arg(&cluster.pki.ca)
            .args(["--token", ALICE])
            .args(args);
        c
    };
    let c: Vec<TestContainer> = (0..3)
        .map(|i| owned_by(&cluster, &Cluster::name(i), "none", &["sleep", "1000000"]))
        .collect();
    let all_listed = || {
        let out = stdout_str(&run(dockyard(&["ps"])));
        c.iter().all(|c| out.contains(&c.name))
    };
    assert!(
        eventually(Duration::from_secs(40), all_listed),
        "the agents never formed a cluster; entry log:\n{}",
        docker_cli_ok(&["logs", &names[0]])
    );
    let o = run(dockyard(&[
        "exec",
        &c[2].name,
        "sh",
        "-c",
        "echo on-n3; exit 7",
    ]));
    assert_eq!(
        (stdout_str(&o).as_str(), o.status.code()),
        ("on-n3\n", Some(7)),
        "{}",
        stderr_str(&o)
    );

    docker_cli_ok(&["kill", &names[1]]);
    let gone = || {
        let o = run(dockyard(&["ps"]));
        !stdout_str(&o).contains(&c[1].name) && stderr_str(&o).contains("node n2")
    };
    assert!(
        eventually(WAIT, gone),
        "n2's containers stayed listed after it was killed"
    );
    let o = run(dockyard(&["exec", &c[2].name, "echo", "still"]));
    assert_eq!(stdout_str(&o), "still\n", "{}", stderr_str(&o));
    docker_cli_ok(&["start", &names[1]]);
    assert!(
        eventually(Duration::from_secs(40), all_listed),
        "n2 came back but was not listed"
    );
}

/// An entry acts for its callers on every node, so an agent with peers
/// must know its callers (a token file or client certificates), cannot be
/// `--insecure`, and keeps users' CA apart from the agents'.
#[test]
fn an_agent_with_peers_must_know_its_callers() {
    let pki = TestPki::new();
    let tokens = pki.file("tokens", &format!("alice {ALICE}\n"));
    let agent = |extra: &[&str]| {
        let mut c = std::process::Command::new(dockyard_tests::agent_bin());
        c.args([
            "--listen",
            "127.0.0.1:0",
            "--peer",
            "127.0.0.1:1",
            "--peer-ca",
        ])
        .arg(&pki.ca)
        .arg("--tls-cert")
        .arg(&pki.agent_cert)
        .arg("--tls-key")
        .arg(&pki.agent_key)
        .args(extra);
        c.output().expect("run agent")
    };
    let tokens = tokens.display().to_string();
    let ca = pki.ca.display().to_string();
    for (extra, says) in [
        (vec![], "need --token-file or --tls-client-ca"),
        (
            vec!["--token-file", tokens.as_str(), "--insecure"],
            "cannot go with --insecure",
        ),
        (vec!["--tls-client-ca", ca.as_str()], "the same CA"),
    ] {
        let o = agent(&extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(says),
            "{extra:?}: {err}"
        );
        assert!(o.stdout.is_empty(), "it must not have started listening");
    }
}
