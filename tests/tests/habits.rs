//! Habits of docker users: shell completion that knows the containers and
//! sessions, and man pages.

use std::process::Command;

use dockyard_tests::{TestAgent, TestContainer, dockyard_bin, run, stderr_str, stdout_str};

/// bash, with the completion script loaded, completing `words` as if the
/// cursor were at the end of the last one; what it offers, a line each.
fn complete_in_bash(host: &str, words: &[&str]) -> Vec<String> {
    let array = words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let (current, previous) = (words[words.len() - 1], words[words.len() - 2]);
    let script = format!(
        "source <('{bin}' completions bash) && COMP_WORDS=({array}) && COMP_CWORD={cword} && \
         _clap_complete_dockyard dockyard '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        bin = dockyard_bin().display(),
        cword = words.len() - 1,
    );
    let o = run({
        let mut c = Command::new("bash");
        c.args(["-c", &script])
            .env("DOCKYARD_HOST", host)
            .env("DOCKYARD_CONFIG", "/nonexistent/dockyard.toml")
            .env_remove("DOCKYARD_TOKEN");
        c
    });
    assert!(o.status.success(), "bash: {}", stderr_str(&o));
    stdout_str(&o)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_load_and_name_running_containers() {
    let agent = TestAgent::start();
    let c = TestContainer::start("compl");
    let script = format!(
        "source <('{}' completions bash) && complete -p dockyard",
        dockyard_bin().display()
    );
    let o = run({
        let mut cmd = Command::new("bash");
        cmd.args(["-c", &script]);
        cmd
    });
    assert!(
        stdout_str(&o).contains("-F _clap_complete_dockyard dockyard"),
        "{}{}",
        stdout_str(&o),
        stderr_str(&o)
    );
    // A container's name, from the agent, for the commands that take one.
    let prefix = &c.name[..c.name.len() - 4];
    for command in ["exec", "logs", "stop", "inspect"] {
        let offered = complete_in_bash(&agent.addr, &["dockyard", command, prefix]);
        assert!(offered.contains(&c.name), "{command}: {offered:?}");
    }
    // A session's id, for attach and sessions rm.
    let mut session = agent
        .dockyard(&["exec", "-t", &c.name, "sleep", "4247"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("a TTY exec");
    dockyard_tests::wait_started(&agent, &c, "sleep 4247");
    let listed = run(agent.dockyard(&["sessions", "--format", "json"]));
    let listed: serde_json::Value = serde_json::from_str(&stdout_str(&listed)).expect("json");
    let id = listed[0]["id"].as_str().expect("a session id").to_string();
    for words in [
        vec!["dockyard", "attach", &id[..4]],
        vec!["dockyard", "sessions", "rm", &id[..4]],
    ] {
        assert_eq!(
            complete_in_bash(&agent.addr, &words),
            vec![id.clone()],
            "{words:?}"
        );
    }
    let _ = session.kill();
    let _ = session.wait();
    let o = run(agent.dockyard(&["sessions", "rm", &id]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    // Subcommands and hosts.
    let offered = complete_in_bash(&agent.addr, &["dockyard", "ins"]);
    assert_eq!(offered, vec!["inspect".to_string()]);
    let offered = complete_in_bash(&agent.addr, &["dockyard", "--host", "lo"]);
    assert_eq!(offered, vec!["local".to_string()]);
    // An agent that cannot be reached: nothing offered, no noise.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    assert!(complete_in_bash(&dead, &["dockyard", "logs", "dyt-"]).is_empty());
    for (shell, mark) in [("zsh", "compdef"), ("fish", "complete")] {
        let mut cmd = Command::new(dockyard_bin());
        cmd.args(["completions", shell]);
        let o = run(cmd);
        assert!(stdout_str(&o).contains(mark), "{shell}: {}", stdout_str(&o));
    }
}

#[test]
fn man_pages_render_without_warnings() {
    let dir = std::env::temp_dir().join(dockyard_tests::unique_name("man"));
    let mut cmd = Command::new(dockyard_bin());
    cmd.arg("man").arg(&dir);
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    for page in [
        "dockyard",
        "dockyard-exec",
        "dockyard-logs",
        "dockyard-stats",
        "dockyard-agent",
    ] {
        let path = dir.join(format!("{page}.1"));
        assert!(path.exists(), "{} missing", path.display());
        let shown = run({
            let mut man = Command::new("man");
            man.args(["--warnings", "-l"])
                .arg(&path)
                .env("MANWIDTH", "80");
            man
        });
        assert!(shown.status.success(), "{page}: {}", stderr_str(&shown));
        assert_eq!(stderr_str(&shown), "", "{page} renders with warnings");
        // Justified text: compare with the spacing made single.
        let text = stdout_str(&shown)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&format!("NAME {page} - ")), "{page}: {text}");
        if page == "dockyard-exec" {
            assert!(
                text.contains("--detach") && text.contains("--privileged"),
                "{text}"
            );
        }
        if page == "dockyard-agent" {
            assert!(text.contains("--token-file"), "{text}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new(dockyard_bin());
    cmd.arg("man");
    assert!(
        stdout_str(&run(cmd)).starts_with(".ie"),
        "dockyard.1 on stdout"
    );
}
