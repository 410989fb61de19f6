//! A cluster through one entry against its nodes reached directly, in the
//! same run: three agents as one cluster (mutual TLS, static peers, each
//! owning its containers by label, as in tests/tests/fleet.rs).

use std::process::Command;
use std::time::Duration;

use dockyard_tests::certs::TestPki;
use dockyard_tests::{TestAgent, TestContainer, dockyard_command, eventually, unique_name};

use crate::exec::read_all;
use crate::table::{Table, alternate, timed};

const TOKEN: &str = "bench-fleet-token-0123456789";

struct Cluster {
    pki: TestPki,
    agents: Vec<TestAgent>,
    key: String,
}

impl Cluster {
    fn start(nodes: usize) -> Self {
        let pki = TestPki::new();
        let tokens = pki.file("tokens", &format!("bench {TOKEN}\n"));
        let key = unique_name("dyt.benchnode");
        let ports: Vec<u16> = (0..nodes)
            .map(|_| {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
                l.local_addr().expect("addr").port()
            })
            .collect();
        let agents = (0..nodes)
            .map(|i| {
                let name = format!("n{}", i + 1);
                let label = format!("{key}={name}");
                let mut args: Vec<String> = vec![
                    "--tls-cert".into(),
                    pki.agent_cert.display().to_string(),
                    "--tls-key".into(),
                    pki.agent_key.display().to_string(),
                    "--peer-ca".into(),
                    pki.ca.display().to_string(),
                    "--token-file".into(),
                    tokens.display().to_string(),
                    "--node-name".into(),
                    name,
                    "--only-label".into(),
                    label,
                ];
                for (j, p) in ports.iter().enumerate() {
                    if j != i {
                        args.extend(["--peer".into(), format!("127.0.0.1:{p}")]);
                    }
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                TestAgent::start_on(&format!("127.0.0.1:{}", ports[i]), &args, &[])
            })
            .collect();
        Cluster { pki, agents, key }
    }

    fn dockyard(&self, node: usize, args: &[&str]) -> Command {
        let mut c = dockyard_command();
        c.args(["--host", &self.agents[node].addr, "--tls-ca"])
            .arg(&self.pki.ca)
            .args(["--token", TOKEN])
            .args(args);
        c
    }

    /// Containers owned by node `node`.
    fn containers(&self, node: usize, n: usize) -> Vec<TestContainer> {
        let (key, value) = (self.key.clone(), format!("n{}", node + 1));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (key, value) = (key.clone(), value.clone());
                std::thread::spawn(move || {
                    TestContainer::start_custom("bfleet", &["sleep", "1000000"], move |b| {
                        b.labels
                            .get_or_insert_with(Default::default)
                            .insert(key, value);
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("container"))
            .collect()
    }
}

fn listed(cmd: Command) -> usize {
    let mut cmd = cmd;
    let o = cmd.output().expect("ps");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .count()
        .saturating_sub(1)
}

pub fn fleet(t: &mut Table, rounds: usize) {
    let cluster = Cluster::start(3);
    let c = cluster.containers(1, 1).remove(0);
    let ready = || listed(cluster.dockyard(0, &["ps"])) >= 1;
    assert!(
        eventually(Duration::from_secs(30), ready),
        "the cluster never formed"
    );
    let rounds = rounds.max(10);

    let (entry, direct) = alternate(
        rounds * 2,
        || timed(cluster.dockyard(0, &["exec", "--node", "n2", &c.name, "true"])),
        || timed(cluster.dockyard(1, &["exec", &c.name, "true"])),
    );
    t.add(
        "cluster exec latency, through an entry (node named)",
        &entry,
        &direct,
        "the node's agent directly",
        "ms",
    );
    let (found, direct) = alternate(
        rounds * 2,
        || timed(cluster.dockyard(0, &["exec", &c.name, "true"])),
        || timed(cluster.dockyard(1, &["exec", &c.name, "true"])),
    );
    t.add(
        "cluster exec latency, through an entry (node found by name)",
        &found,
        &direct,
        "the node's agent directly",
        "ms",
    );
    let bulk = crate::exec::BULK.to_string();
    let (entry, direct) = alternate(
        rounds,
        || {
            read_all(cluster.dockyard(
                0,
                &[
                    "exec",
                    "--node",
                    "n2",
                    &c.name,
                    "head",
                    "-c",
                    &bulk,
                    "/dev/zero",
                ],
            ))
        },
        || read_all(cluster.dockyard(1, &["exec", &c.name, "head", "-c", &bulk, "/dev/zero"])),
    );
    t.add(
        "cluster stdout MB/s, through an entry",
        &entry,
        &direct,
        "the node's agent directly",
        "MB/s",
    );

    // 300 containers, 100 a node: the whole list through one entry
    // against one node listing its 100.
    let mut all = vec![c];
    for node in 0..3 {
        let n = if node == 1 { 99 } else { 100 };
        all.extend(cluster.containers(node, n));
    }
    let complete = || listed(cluster.dockyard(0, &["ps"])) >= 300;
    assert!(
        eventually(Duration::from_secs(30), complete),
        "300 never listed"
    );
    let (three, one) = alternate(
        rounds,
        || timed(cluster.dockyard(0, &["ps"])),
        || timed(cluster.dockyard(1, &["ps"])),
    );
    t.add(
        "cluster ps, 300 containers on 3 nodes through an entry",
        &three,
        &one,
        "one node's 100, directly",
        "ms",
    );
    drop(all);
}
