//! `dockyard launch | ps | stop | rm` against the real agent and engine.

use dockyard_tests::{
    RemoveOnDrop, TEST_IMAGE, TestAgent, ensure_image, run, stderr_str, stdout_str, unique_name,
};

fn ps_json(agent: &TestAgent, all: bool) -> Vec<serde_json::Value> {
    let mut args = vec!["ps", "--format", "json"];
    if all {
        args.push("-a");
    }
    let o = run(agent.dockyard(&args));
    assert!(o.status.success(), "ps failed: {}", stderr_str(&o));
    serde_json::from_slice(&o.stdout).expect("ps --format json is JSON")
}

fn find<'a>(list: &'a [serde_json::Value], name: &str) -> Option<&'a serde_json::Value> {
    list.iter().find(|c| c["name"] == name)
}

#[test]
fn launch_ps_stop_rm() {
    ensure_image();
    let agent = TestAgent::start();
    let name = unique_name("launch");
    let _cleanup = RemoveOnDrop(name.clone());
    let o = run(agent.dockyard(&[
        "launch",
        TEST_IMAGE,
        "--name",
        &name,
        "-e",
        "GREETING=hi there",
        "--label",
        "dockyard.test=1",
        "--label",
        "team=blue",
        "-p",
        "127.0.0.1:0:8080",
        "--restart",
        "no",
        "--",
        "sh",
        "-c",
        "echo $GREETING > /tmp/greeting; exec sleep 1000000",
    ]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "launch failed: {}",
        stderr_str(&o)
    );
    let id = stdout_str(&o).trim().to_string();
    assert_eq!(id.len(), 64, "launch prints the full id, got {id:?}");

    // It runs, with the command, env and labels given.
    let o = run(agent.dockyard(&["exec", &name, "cat", "/tmp/greeting"]));
    assert_eq!(stdout_str(&o), "hi there\n");
    let list = ps_json(&agent, false);
    let c = find(&list, &name).expect("launched container listed");
    assert_eq!(c["id"], id.as_str());
    assert_eq!(c["state"], "running");
    assert_eq!(c["image"], TEST_IMAGE);
    assert_eq!(c["labels"]["team"], "blue");
    assert_eq!(c["ports"][0]["private_port"], 8080);
    assert_ne!(c["ports"][0]["public_port"], 0, "a host port was assigned");

    // The table shows it too, with its short id.
    let o = run(agent.dockyard(&["ps"]));
    let table = stdout_str(&o);
    assert!(table.starts_with("CONTAINER ID"), "{table}");
    let row = table
        .lines()
        .find(|l| l.contains(&name))
        .expect("row for the container");
    assert!(row.starts_with(&id[..12]), "{row}");
    assert!(row.contains("running"), "{row}");

    // stop: gone from `ps`, exited in `ps -a`.
    let o = run(agent.dockyard(&["stop", "-t", "1", &name]));
    assert_eq!(o.status.code(), Some(0), "stop failed: {}", stderr_str(&o));
    assert_eq!(stdout_str(&o), format!("{name}\n"));
    assert!(find(&ps_json(&agent, false), &name).is_none());
    let all = ps_json(&agent, true);
    assert_eq!(
        find(&all, &name).expect("listed with -a")["state"],
        "exited"
    );

    // rm: gone entirely.
    let o = run(agent.dockyard(&["rm", &name]));
    assert_eq!(o.status.code(), Some(0), "rm failed: {}", stderr_str(&o));
    assert!(find(&ps_json(&agent, true), &name).is_none());
}

#[test]
fn rm_running_needs_force() {
    ensure_image();
    let agent = TestAgent::start();
    let name = unique_name("rmforce");
    let _cleanup = RemoveOnDrop(name.clone());
    let o = run(agent.dockyard(&[
        "launch",
        TEST_IMAGE,
        "--name",
        &name,
        "--label",
        "dockyard.test=1",
        "--",
        "sleep",
        "1000000",
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let o = run(agent.dockyard(&["rm", &name]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o).lines().count(), 1, "{}", stderr_str(&o));
    let o = run(agent.dockyard(&["rm", "-f", &name]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert!(find(&ps_json(&agent, true), &name).is_none());
}

#[test]
fn launch_errors_are_one_line_and_leave_nothing() {
    ensure_image();
    let agent = TestAgent::start();
    let name = unique_name("badlaunch");
    let _cleanup = RemoveOnDrop(name.clone());
    for (args, what) in [
        (vec!["-p", "notaport"], "invalid port mapping"),
        (vec!["--restart", "sometimes"], "invalid restart policy"),
        (vec!["-e", "=x"], "invalid environment variable"),
    ] {
        let mut full = vec![
            "launch",
            TEST_IMAGE,
            "--name",
            &name,
            "--label",
            "dockyard.test=1",
        ];
        full.extend(args);
        full.extend(["--", "sleep", "1000"]);
        let o = run(agent.dockyard(&full));
        assert_eq!(o.status.code(), Some(125), "{what}");
        let err = stderr_str(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(what), "{err}");
    }
    // A command that cannot start leaves no container in "created".
    let o = run(agent.dockyard(&[
        "launch",
        TEST_IMAGE,
        "--name",
        &name,
        "--label",
        "dockyard.test=1",
        "--",
        "/no/such/binary",
    ]));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        find(&ps_json(&agent, true), &name).is_none(),
        "failed launch left a container"
    );
    let o = run(agent.dockyard(&[
        "launch",
        "dockyard-no-such-image:never",
        "--label",
        "dockyard.test=1",
    ]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o).lines().count(), 1, "{}", stderr_str(&o));
}

#[test]
fn stop_and_rm_of_missing_container_are_125() {
    let agent = TestAgent::start();
    for cmd in ["stop", "rm"] {
        let o = run(agent.dockyard(&[cmd, "dyt-no-such-container"]));
        assert_eq!(o.status.code(), Some(125));
        assert_eq!(
            stderr_str(&o),
            "dockyard: Container 'dyt-no-such-container' not found\n"
        );
    }
}

/// `ps --filter` shows what `docker ps --filter` shows, for each kind of
/// filter and their combinations. Every query also carries this test's
/// own label, so only its containers are compared.
#[test]
fn ps_filters_match_dockers() {
    use dockyard_tests::TestContainer;
    let agent = TestAgent::start();
    let group = unique_name("grp");
    let start = |prefix: &str, role: &str| {
        let (group, role) = (group.clone(), role.to_string());
        TestContainer::start_custom(prefix, &["sleep", "1000000"], move |b| {
            let labels = b.labels.get_or_insert_with(Default::default);
            labels.insert("dyt.group".into(), group);
            labels.insert("role".into(), role);
        })
    };
    let (web, api, db) = (
        start("fweb", "front"),
        start("fapi", "front"),
        start("fdb", "store"),
    );
    db.kill();
    let mine = format!("label=dyt.group={group}");
    let names = |o: std::process::Output| {
        assert!(o.status.success(), "{}", stderr_str(&o));
        let mut v: Vec<String> = stdout_str(&o)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    for filters in [
        vec!["label=role=front"],
        vec!["name=fweb", "name=fdb"],
        vec!["status=exited"],
        vec!["status=exited", "status=running"],
        vec!["label=role", "status=running"],
        vec![&format!("ancestor={TEST_IMAGE}")],
        vec!["name=^/dyt-fapi"],
        vec!["label=role=nobody"],
        vec!["label=role=front", "label=role=store"],
    ] {
        let mut theirs = std::process::Command::new("docker");
        theirs.args(["ps", "--format", "{{.Names}}", "--filter", &mine]);
        let mut ours = vec!["ps".to_string(), "--format".into(), "json".into()];
        ours.extend(["--filter".into(), mine.clone()]);
        for f in &filters {
            theirs.args(["--filter", f]);
            ours.extend(["--filter".into(), f.to_string()]);
        }
        let ours_args: Vec<&str> = ours.iter().map(String::as_str).collect();
        let o = run(agent.dockyard(&ours_args));
        assert!(o.status.success(), "{}", stderr_str(&o));
        let list: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("JSON");
        let mut got: Vec<String> = list
            .iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_string())
            .collect();
        got.sort();
        assert_eq!(got, names(run(theirs)), "filters {filters:?}");
    }
    drop((web, api));
    let o = run(agent.dockyard(&["ps", "--filter", "status=sleeping"]));
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr_str(&o).starts_with("dockyard: invalid filter 'status=sleeping'"));
}
