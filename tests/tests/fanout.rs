//! `dockyard exec --filter`: one command in many containers on many hosts.

use std::collections::BTreeMap;
use std::process::Output;

use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, run, run_with_input, stderr_str, stdout_str,
    unique_name,
};

fn fan(hosts: &[&str], args: &[&str]) -> std::process::Command {
    let mut c = dockyard_command();
    for h in hosts {
        c.args(["--host", h]);
    }
    c.arg("exec").args(args);
    c
}

/// Lines of a stream by their `NAME | ` prefix.
fn by_prefix(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let (prefix, rest) = line.split_once(" | ").expect("a prefixed line");
        out.entry(prefix.trim_end().to_string())
            .or_default()
            .push(rest.to_string());
    }
    out
}

#[test]
fn prefixed_lines_streams_apart_and_the_highest_exit_code() {
    let agent = TestAgent::start();
    let (g, cs) = TestContainer::group("fan", 3);
    let filter = format!("label=dyt.fan={g}");
    let o = run(fan(
        &[&agent.addr],
        &[
            "--filter",
            &filter,
            "--",
            "sh",
            "-c",
            "echo out-$CODE; echo err-$CODE >&2; printf partial-$CODE; exit $CODE",
        ],
    ));
    assert_eq!(o.status.code(), Some(2), "{}", stderr_str(&o));
    let out = by_prefix(&stdout_str(&o));
    assert_eq!(out.len(), 3);
    for (i, c) in cs.iter().enumerate() {
        assert_eq!(
            out[&c.name],
            vec![format!("out-{i}"), format!("partial-{i}")]
        );
    }
    // Prefixes padded to one width.
    let widths: Vec<usize> = stdout_str(&o)
        .lines()
        .map(|l| l.find(" | ").expect("prefix"))
        .collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{widths:?}");
    let err = stderr_str(&o);
    let summary = err.lines().last().expect("a summary");
    assert_eq!(
        summary,
        format!(
            "dockyard: 2 of 3 did not exit 0: {} (exit 1), {} (exit 2)",
            cs[1].name, cs[2].name
        )
    );
    let err_lines: String = err
        .lines()
        .filter(|l| l.contains(" | "))
        .map(|l| format!("{l}\n"))
        .collect();
    let err = by_prefix(&err_lines);
    for (i, c) in cs.iter().enumerate() {
        assert_eq!(err[&c.name], vec![format!("err-{i}")]);
    }
    // `ps --filter` reaches the same set.
    let listed = run({
        let mut c = dockyard_command();
        c.args([
            "--host",
            &agent.addr,
            "ps",
            "--format",
            "json",
            "--filter",
            &filter,
        ]);
        c
    });
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).expect("JSON");
    let mut listed: Vec<String> = listed
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, out.keys().cloned().collect::<Vec<_>>());
    // Nothing matched: 125.
    let o = run(fan(
        &[&agent.addr],
        &["--filter", "label=dyt.fan=nobody", "--", "true"],
    ));
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr_str(&o).contains("no running container matches"));
    // All exit 0: 0 and no summary.
    let o = run(fan(&[&agent.addr], &["--filter", &filter, "--", "true"]));
    assert_eq!((o.status.code(), stderr_str(&o)), (Some(0), String::new()));
}

#[test]
fn output_dir_json_and_stdin_for_every_container() {
    let agent = TestAgent::start();
    let (g, cs) = TestContainer::group("fan", 2);
    let filter = format!("label=dyt.fan={g}");
    // Files, byte for byte (binary bytes, no newline at the end).
    let dir = std::env::temp_dir().join(unique_name("fanout"));
    let dir_s = dir.display().to_string();
    let o = run(fan(
        &[&agent.addr],
        &[
            "--filter",
            &filter,
            "--output-dir",
            &dir_s,
            "--",
            "sh",
            "-c",
            "printf '\\000\\377-%s' $CODE; printf e >&2; exit $CODE",
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr_str(&o));
    assert!(o.stdout.is_empty());
    for (i, c) in cs.iter().enumerate() {
        let base = dir.join(&agent.addr).join(&c.name);
        let read = |ext: &str| std::fs::read(base.with_extension(ext)).expect("file");
        assert_eq!(
            read("out"),
            [&b"\x00\xff-"[..], i.to_string().as_bytes()].concat()
        );
        assert_eq!(read("err"), b"e");
        assert_eq!(read("exit"), format!("{i}\n").into_bytes());
    }
    let _ = std::fs::remove_dir_all(&dir);
    // JSON Lines: one object per container; non-UTF-8 output in base64.
    let o = run(fan(
        &[&agent.addr],
        &[
            "--filter",
            &filter,
            "--format",
            "json",
            "--",
            "sh",
            "-c",
            "printf '\\377'; echo text >&2",
        ],
    ));
    let objects: Vec<serde_json::Value> = stdout_str(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(objects.len(), 2);
    for obj in &objects {
        assert_eq!(obj["exit_code"], 0);
        assert_eq!(obj["stdout_base64"], "/w==");
        assert_eq!(obj["stderr"], "text\n");
        assert!(cs.iter().any(|c| obj["name"] == c.name.as_str()));
    }
    // -i: stdin read once, copied to each.
    let o = run_with_input(
        fan(
            &[&agent.addr],
            &["-i", "--filter", &filter, "--", "sh", "-c", "wc -c"],
        ),
        &vec![b'x'; 300_000],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    let out = by_prefix(&stdout_str(&o));
    for c in &cs {
        assert_eq!(out[&c.name], vec!["300000".to_string()]);
    }
}

/// 6 containers through 2 agents (12 runs), 1 000 lines each at once:
/// every line there once, in order, whole.
#[test]
fn lines_never_mix_across_containers_and_hosts() {
    let (a, b) = (TestAgent::start(), TestAgent::start());
    let (g, cs) = TestContainer::group("fan", 6);
    let filter = format!("label=dyt.fan={g}");
    let o: Output = run(fan(
        &[&a.addr, &b.addr],
        &[
            "--filter",
            &filter,
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 1000 ]; do echo line-$CODE-$i-of-the-thousand; i=$((i+1)); done",
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    let out = by_prefix(&stdout_str(&o));
    // Each container through each host, as HOST/NAME.
    assert_eq!(out.len(), 12, "{:?}", out.keys().collect::<Vec<_>>());
    for host in [&a.addr, &b.addr] {
        for (i, c) in cs.iter().enumerate() {
            let want: Vec<String> = (0..1000)
                .map(|n| format!("line-{i}-{n}-of-the-thousand"))
                .collect();
            assert_eq!(out[&format!("{host}/{}", c.name)], want);
        }
    }
    // A host that cannot be reached: the others still run, and 125.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    let o = run(fan(
        &[&a.addr, &dead],
        &["--filter", &filter, "--", "echo", "here"],
    ));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(by_prefix(&stdout_str(&o)).len(), 6);
    assert!(stderr_str(&o).contains(&dead), "{}", stderr_str(&o));
}

/// `| head`: the runs end (the commands with them) and the status is 141,
/// as for one container; `-i` with more containers than `--parallel` is
/// refused rather than left waiting forever.
#[test]
fn a_closed_pipe_ends_the_runs_and_stdin_needs_room_for_all() {
    use std::io::Read;
    let agent = TestAgent::start();
    let (g, cs) = TestContainer::group("fan", 2);
    let filter = format!("label=dyt.fan={g}");
    let mut child = fan(
        &[&agent.addr],
        &["--filter", &filter, "--", "yes", "fanned-yes"],
    )
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut some = [0u8; 64];
    out.read_exact(&mut some).expect("some output");
    drop(out);
    let status = child.wait().expect("exit");
    assert_eq!(status.code(), Some(141));
    for c in &cs {
        assert!(
            dockyard_tests::eventually(std::time::Duration::from_secs(10), || {
                let ps = std::process::Command::new("docker")
                    .args(["exec", &c.name, "ps", "-o", "args"])
                    .output()
                    .expect("ps");
                !String::from_utf8_lossy(&ps.stdout).contains("yes fanned-yes")
            }),
            "yes left running in {}",
            c.name
        );
    }
    let o = run_with_input(
        fan(
            &[&agent.addr],
            &[
                "-i",
                "--parallel",
                "1",
                "--filter",
                &filter,
                "--",
                "wc",
                "-l",
            ],
        ),
        b"a\n",
    );
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr_str(&o).contains("raise --parallel"),
        "{}",
        stderr_str(&o)
    );
}
