//! Several hosts at once, and the config file.

use std::process::Command;

use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, run, stderr_str, stdout_str, unique_name,
};

fn dead_host() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    format!("127.0.0.1:{port}")
}

fn dockyard(hosts: &[&str], args: &[&str]) -> Command {
    let mut c = dockyard_command();
    for h in hosts {
        c.args(["--host", h]);
    }
    c.args(args);
    c
}

#[test]
fn ps_over_several_hosts_and_exec_finds_the_container() {
    let (a1, a2) = (TestAgent::start(), TestAgent::start());
    let c = TestContainer::start("multi");
    let o = run(dockyard(&[&a1.addr, &a2.addr], &["ps"]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let table = stdout_str(&o);
    assert!(table.starts_with("HOST"), "{table}");
    let rows: Vec<&str> = table.lines().filter(|l| l.contains(&c.name)).collect();
    assert_eq!(rows.len(), 2, "one row per host:\n{table}");
    assert!(
        rows.iter().any(|r| r.starts_with(&a1.addr))
            && rows.iter().any(|r| r.starts_with(&a2.addr))
    );

    // Both agents front the same engine, so the name is ambiguous.
    let o = run(dockyard(&[&a1.addr, &a2.addr], &["exec", &c.name, "true"]));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr_str(&o).contains("choose one with --host"),
        "{}",
        stderr_str(&o)
    );

    // With one of the hosts down, the container is found on the other.
    let dead = dead_host();
    let o = run(dockyard(
        &[&dead, &a1.addr],
        &["exec", &c.name, "echo", "found"],
    ));
    assert_eq!(stdout_str(&o), "found\n", "{}", stderr_str(&o));
    let o = run(dockyard(
        &[&dead, &a1.addr],
        &["exec", "dyt-nowhere", "true"],
    ));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr_str(&o).contains("not found on the reachable hosts"),
        "{}",
        stderr_str(&o)
    );

    // ps shows what it can and says what it could not.
    let o = run(dockyard(&[&a1.addr, &dead], &["ps"]));
    assert_eq!(o.status.code(), Some(125));
    assert!(stdout_str(&o).contains(&c.name));
    assert!(stderr_str(&o).contains(&dead), "{}", stderr_str(&o));

    // `local` is the embedded agent, next to a remote one.
    let o = run(dockyard(&["local", &a1.addr], &["ps", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let hosts: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["name"] == c.name.as_str())
        .map(|r| r["host"].as_str().expect("host"))
        .collect();
    assert_eq!(hosts.len(), 2, "{hosts:?}");
    assert!(hosts.contains(&"local"));
}

fn with_config(path: &std::path::Path, args: &[&str]) -> Command {
    let mut c = dockyard_command();
    c.env("DOCKYARD_CONFIG", path).args(args);
    c
}

#[test]
fn config_file_names_hosts_and_bad_ones_are_reported() {
    let agent = TestAgent::start();
    let c = TestContainer::start("config");
    let path = std::env::temp_dir().join(format!("{}.toml", unique_name("config")));
    std::fs::write(
        &path,
        format!("leader = \"ctrl-b\"\nhosts = [\"{}\"]\n", agent.addr),
    )
    .expect("config");
    let o = run(with_config(&path, &["exec", &c.name, "echo", "via-config"]));
    assert_eq!(stdout_str(&o), "via-config\n", "{}", stderr_str(&o));
    std::fs::write(&path, "hosts = [\"bad host\"]\n").expect("config");
    let o = run(with_config(&path, &["ps"]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o).lines().count(), 1, "{}", stderr_str(&o));
    assert!(stderr_str(&o).contains("bad host"), "{}", stderr_str(&o));
    // The TUI's history limits: shown by `config`, a bad one refused.
    std::fs::write(&path, "history_limit = 500\nhistory_bytes = \"2M\"\n").expect("config");
    let o = run(with_config(&path, &["config", "--format", "json"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let value = |name: &str| {
        rows.as_array()
            .and_then(|r| r.iter().find(|r| r["setting"] == name))
            .map(|r| (r["value"].clone(), r["from"].clone()))
    };
    assert_eq!(
        value("history_limit"),
        Some(("500".into(), "config file".into()))
    );
    assert_eq!(
        value("history_bytes"),
        Some(("2097152".into(), "config file".into()))
    );
    std::fs::write(&path, "history_bytes = \"lots\"\n").expect("config");
    let o = run(with_config(&path, &["config"]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o).lines().count(), 1, "{}", stderr_str(&o));
    assert!(
        stderr_str(&o).contains("history_bytes"),
        "{}",
        stderr_str(&o)
    );
    std::fs::write(&path, "unknown_key = 1\n").expect("config");
    let o = run(with_config(&path, &["ps"]));
    std::fs::remove_file(&path).ok();
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr_str(&o).contains("unknown field"),
        "{}",
        stderr_str(&o)
    );
}

#[test]
fn version_names_every_agent_and_engine() {
    let (a, b) = (TestAgent::start(), TestAgent::start());
    let engine = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .expect("docker version");
    let engine = String::from_utf8_lossy(&engine.stdout).trim().to_string();
    let o = run(dockyard(
        &[&a.addr, &b.addr],
        &["version", "--format", "json"],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["client"]["version"], env!("CARGO_PKG_VERSION"));
    let agents = v["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 2);
    for (agent, want) in agents.iter().zip([&a.addr, &b.addr]) {
        assert_eq!(agent["host"], want.as_str());
        assert_eq!(agent["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(agent["engine"]["version"], engine.as_str());
    }
    // The table, and a host that cannot be asked: named, and 125.
    let dead = dead_host();
    let o = run(dockyard(&[&a.addr, &dead], &["version"]));
    assert_eq!(o.status.code(), Some(125));
    let text = stdout_str(&o);
    assert!(text.contains(&format!(" Engine:      {engine}")), "{text}");
    assert!(
        text.contains(&format!(
            "Agent {dead}:\n Reached:     an agent over TCP\n unreachable: "
        )),
        "{text}"
    );
}

#[test]
fn config_names_where_each_setting_comes_from() {
    let dir = std::env::temp_dir().join(unique_name("config"));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        "hosts = [\"h1\", \"h2:7000\"]\ntoken = \"file-token-0123456789\"\n\
         tokens = { \"h2:7000\" = \"per-host-token-0123456789\" }\nleader = \"ctrl-b\"\n\
         [keys.list]\nstop = \"x\"\n",
    )
    .expect("config file");
    let settings = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = dockyard_command();
        c.env("DOCKYARD_CONFIG", &file)
            .envs(env.iter().copied())
            .args(args)
            .args(["config", "--format", "json"]);
        let o = run(c);
        assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
        let text = stdout_str(&o);
        assert!(!text.contains("0123456789"), "a token was printed: {text}");
        let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("JSON");
        move |name: &str| -> (String, String) {
            let r = rows
                .iter()
                .find(|r| r["setting"] == name)
                .unwrap_or_else(|| panic!("no {name}"));
            (
                r["value"].as_str().unwrap_or_default().to_string(),
                r["from"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    let s = settings(&[], &[]);
    assert_eq!(s("hosts"), ("h1, h2:7000".into(), "config file".into()));
    assert_eq!(s("token").1, "config file");
    assert_eq!(s("leader"), ("ctrl-b".into(), "config file".into()));
    assert_eq!(s("tls_ca"), ("none".into(), "default".into()));
    assert_eq!(s("debug_image"), ("busybox:musl".into(), "default".into()));
    assert_eq!(s("key").0, "list.stop = x");
    assert_eq!(s("config file").1, "env DOCKYARD_CONFIG");
    // Flags and environment variables win, and say so.
    let s = settings(
        &["--host", "local", "--tls-ca", "/tmp/ca.pem"],
        &[
            ("DOCKYARD_TOKEN", "env-token-0123456789"),
            ("DOCKYARD_LEADER", "ctrl-g"),
        ],
    );
    assert_eq!(s("hosts"), ("local".into(), "flag --host".into()));
    let d = settings(&[], &[("DOCKYARD_DEBUG_IMAGE", "tools:9")]);
    assert_eq!(
        d("debug_image"),
        ("tools:9".into(), "env DOCKYARD_DEBUG_IMAGE".into())
    );
    assert_eq!(
        s("token"),
        (
            "set, 20 characters (hidden)".into(),
            "env DOCKYARD_TOKEN".into()
        )
    );
    assert_eq!(s("tls_ca"), ("/tmp/ca.pem".into(), "flag --tls-ca".into()));
    assert_eq!(s("leader"), ("ctrl-g".into(), "env DOCKYARD_LEADER".into()));
    assert!(s("token for").0.contains("unused"), "{:?}", s("token for"));
    let _ = std::fs::remove_dir_all(&dir);
}
