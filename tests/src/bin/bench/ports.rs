//! `dockyard port-forward` against a direct connection to the
//! container's address, same run: 100 MB read from a server in the
//! container (busybox `nc -l`), and the time from connecting to the
//! first byte of a small answer.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use dockyard_tests::debug::{DISTROLESS, TOOLBOX, ensure_images};
use dockyard_tests::{TEST_LABEL, TestAgent, block_on, docker, unique_name};

use crate::table::{Table, alternate};

const SIZE: u64 = 100 * 1000 * 1000;

/// A container serving SIZE bytes to each connection on port 9000 and
/// one line on port 9001, on all its addresses; removed on drop.
struct Server(String);

impl Drop for Server {
    fn drop(&mut self) {
        dockyard_tests::remove_container(&self.0);
    }
}

fn server() -> Server {
    ensure_images();
    let name = unique_name("bench-pf");
    let bb = "/bin/busybox";
    let script = format!(
        "({bb} sh -c 'while true; do {bb} head -c {SIZE} /dev/zero | {bb} nc -l -p 9000; done' &) ; \
         while true; do echo hello | {bb} nc -l -p 9001; done"
    );
    let body = bollard::models::ContainerCreateBody {
        image: Some(DISTROLESS.into()),
        user: Some("0".into()),
        cmd: Some(vec![bb.into(), "sh".into(), "-c".into(), script]),
        labels: Some([(TEST_LABEL.to_string(), "1".to_string())].into()),
        ..Default::default()
    };
    dockyard_tests::create_and_start(&name, body);
    Server(name)
}

fn ip_of(name: &str) -> String {
    let info = block_on(docker().inspect_container(name, None)).expect("inspect");
    info.network_settings
        .and_then(|n| n.networks)
        .and_then(|n| n.values().find_map(|e| e.ip_address.clone()))
        .filter(|ip| !ip.is_empty())
        .expect("an address")
}

/// MB/s reading everything `addr` sends.
fn read_all(addr: &str) -> f64 {
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k as u64,
        }
    }
    assert_eq!(n, SIZE, "read {n} bytes from {addr}");
    SIZE as f64 / 1e6 / t.elapsed().as_secs_f64()
}

/// Milliseconds from connecting to the first byte of the answer.
fn first_byte(addr: &str) -> f64 {
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let _ = s.write_all(b"\n");
    let mut b = [0u8; 1];
    s.read_exact(&mut b).expect("a byte");
    t.elapsed().as_secs_f64() * 1000.0
}

pub fn ports(t: &mut Table, agent: &TestAgent, rounds: usize) {
    let srv = server();
    let ip = ip_of(&srv.0);
    let mut fwd = agent
        .dockyard(&["port-forward", "--image", TOOLBOX, &srv.0, ":9000", ":9001"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("port-forward");
    let mut out = std::io::BufReader::new(fwd.stdout.take().expect("stdout"));
    let mut local = Vec::new();
    while local.len() < 4 {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).expect("a line");
        if line.contains("127.0.0.1:") {
            let port = line.split_whitespace().nth(2).expect("address").to_string();
            local.push(port);
        } else {
            local.push(String::new());
        }
    }
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = out.read_to_string(&mut sink);
    });
    let local: Vec<String> = local.into_iter().filter(|l| !l.is_empty()).collect();
    let (bulk, line) = (local[0].clone(), local[1].clone());
    // The servers restart their nc between connections.
    let settle = || std::thread::sleep(std::time::Duration::from_millis(100));
    let (ours, theirs) = alternate(
        rounds,
        || {
            settle();
            read_all(&bulk)
        },
        || {
            settle();
            read_all(&format!("{ip}:9000"))
        },
    );
    t.add(
        "100 MB from a container's port through `port-forward`",
        &ours,
        &theirs,
        "a direct connection to the container's address",
        "MB/s",
    );
    let (ours, theirs) = alternate(
        rounds.max(10),
        || {
            settle();
            first_byte(&line)
        },
        || {
            settle();
            first_byte(&format!("{ip}:9001"))
        },
    );
    t.add(
        "connect to first byte through `port-forward` (its helper kept)",
        &ours,
        &theirs,
        "a direct connection to the container's address",
        "ms",
    );
    let _ = Command::new("kill")
        .args(["-INT", &fwd.id().to_string()])
        .status();
    let _ = fwd.wait();
}
