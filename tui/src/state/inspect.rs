//! The inspect view: a container's configuration as readable lines
//! (command, entrypoint, env, mounts, ports, labels, networks, restart
//! policy, state, health), or the engine's JSON, one key apart.

use dockyard_client::container::ContainerState;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectView {
    pub name: String,
    /// None while the answer is on its way.
    pub content: Option<Result<Content, String>>,
    pub show_raw: bool,
    pub scroll: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub summary: Vec<String>,
    pub raw: Vec<String>,
}

impl InspectView {
    pub fn waiting(name: String) -> Self {
        InspectView {
            name,
            content: None,
            show_raw: false,
            scroll: 0,
        }
    }

    pub fn set(&mut self, result: Result<String, String>) {
        self.content = Some(result.and_then(|json| {
            let v: Value = serde_json::from_str(&json)
                .map_err(|e| format!("the engine's answer is not JSON: {e}"))?;
            Ok(Content {
                summary: summary(&v),
                raw: dockyard_client::inspect::indent(&json, "  ")
                    .lines()
                    .map(str::to_string)
                    .collect(),
            })
        }));
    }

    /// The lines shown now (unescaped: drawing escapes them).
    pub fn lines(&self) -> &[String] {
        match &self.content {
            Some(Ok(c)) if self.show_raw => &c.raw,
            Some(Ok(c)) => &c.summary,
            _ => &[],
        }
    }

    pub fn scroll_by(&mut self, delta: isize, visible: usize) {
        let max = self.lines().len().saturating_sub(visible);
        self.scroll = (self.scroll as isize + delta).clamp(0, max as isize) as usize;
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default()
}

/// A command as a shell would need it typed.
fn command_line(words: &[String]) -> String {
    shell_words::join(words)
}

fn section(out: &mut Vec<String>, title: &str, items: Vec<String>) {
    out.push(String::new());
    if items.is_empty() {
        out.push(format!("{title}: none"));
        return;
    }
    out.push(format!("{title}:"));
    out.extend(items.into_iter().map(|i| format!("  {i}")));
}

/// The configuration people look for, in the order they look for it.
pub fn summary(v: &Value) -> Vec<String> {
    let config = &v["Config"];
    let state = &v["State"];
    let host = &v["HostConfig"];
    let mut out = vec![
        format!("Name:        {}", s(&v["Name"]).trim_start_matches('/')),
        format!("Id:          {}", s(&v["Id"])),
        format!("Image:       {}", s(&config["Image"])),
    ];
    let mut status = s(&state["Status"]);
    match ContainerState::parse(&status) {
        ContainerState::Exited => status = format!("{status} (code {})", s(&state["ExitCode"])),
        ContainerState::Running => status = format!("{status} (pid {})", s(&state["Pid"])),
        _ => {}
    }
    out.push(format!("State:       {status}"));
    out.push(format!("Started:     {}", s(&state["StartedAt"])));
    if !state["FinishedAt"].is_null() && !s(&state["FinishedAt"]).starts_with("0001") {
        out.push(format!("Finished:    {}", s(&state["FinishedAt"])));
    }
    if let Some(health) = state["Health"].as_object() {
        let log = health
            .get("Log")
            .and_then(|l| l.as_array())
            .and_then(|l| l.last());
        let last = log.map_or(String::new(), |l| {
            format!(
                ", last: exit {} {}",
                s(&l["ExitCode"]),
                s(&l["Output"]).trim()
            )
        });
        out.push(format!(
            "Health:      {} (failing streak {}{last})",
            health.get("Status").map(s).unwrap_or_default(),
            health.get("FailingStreak").map(s).unwrap_or_default()
        ));
    }
    let mut policy = s(&host["RestartPolicy"]["Name"]);
    if policy.is_empty() {
        policy = "no".into();
    }
    if policy == "on-failure" {
        policy = format!(
            "{policy}:{}",
            s(&host["RestartPolicy"]["MaximumRetryCount"])
        );
    }
    out.push(format!("Restart:     {policy}"));
    let mut cmd = vec![s(&v["Path"])];
    cmd.extend(strings(&v["Args"]));
    out.push(format!("Command:     {}", command_line(&cmd)));
    out.push(format!(
        "Entrypoint:  {}",
        command_line(&strings(&config["Entrypoint"]))
    ));
    out.push(format!("Working dir: {}", s(&config["WorkingDir"])));
    out.push(format!("User:        {}", s(&config["User"])));
    out.push(format!(
        "TTY:         {}",
        if config["Tty"] == true { "yes" } else { "no" }
    ));
    section(&mut out, "Env", strings(&config["Env"]));
    let ports = v["NetworkSettings"]["Ports"]
        .as_object()
        .map(|ports| {
            let mut items: Vec<String> = ports
                .iter()
                .map(|(port, bindings)| match bindings.as_array() {
                    Some(b) if !b.is_empty() => {
                        let to: Vec<String> = b
                            .iter()
                            .map(|b| format!("{}:{}", s(&b["HostIp"]), s(&b["HostPort"])))
                            .collect();
                        format!("{port} <- {}", to.join(", "))
                    }
                    _ => format!("{port} (not published)"),
                })
                .collect();
            items.sort();
            items
        })
        .unwrap_or_default();
    section(&mut out, "Ports", ports);
    let mounts = v["Mounts"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| {
                    let ro = if m["RW"] == false { " (read-only)" } else { "" };
                    let source = match s(&m["Name"]) {
                        n if !n.is_empty() && m["Type"] == "volume" => n,
                        _ => s(&m["Source"]),
                    };
                    format!("{} {source} -> {}{ro}", s(&m["Type"]), s(&m["Destination"]))
                })
                .collect()
        })
        .unwrap_or_default();
    section(&mut out, "Mounts", mounts);
    let networks = v["NetworkSettings"]["Networks"]
        .as_object()
        .map(|n| {
            n.iter()
                .map(|(name, n)| {
                    let ip = s(&n["IPAddress"]);
                    if ip.is_empty() {
                        name.clone()
                    } else {
                        format!("{name}: {ip}")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    section(&mut out, "Networks", networks);
    let mut labels: Vec<String> = config["Labels"]
        .as_object()
        .map(|l| l.iter().map(|(k, v)| format!("{k}={}", s(v))).collect())
        .unwrap_or_default();
    labels.sort();
    section(&mut out, "Labels", labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_what_people_look_for() {
        let json = r#"{"Id":"abc","Name":"/web","Path":"sh","Args":["-c","echo hi; sleep 9"],
            "State":{"Status":"running","Pid":42,"StartedAt":"2026-11-29T10:00:00Z",
                     "FinishedAt":"0001-01-01T00:00:00Z",
                     "Health":{"Status":"healthy","FailingStreak":0,"Log":[{"ExitCode":0,"Output":"ok\n"}]}},
            "Config":{"Image":"busybox","Env":["A=1"],"Entrypoint":null,"Labels":{"b":"2","a":"1"},"Tty":false,
                      "WorkingDir":"","User":""},
            "HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}},
            "Mounts":[{"Type":"bind","Source":"/srv","Destination":"/data","RW":false}],
            "NetworkSettings":{"Ports":{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}],"53/udp":null},
                               "Networks":{"bridge":{"IPAddress":"172.17.0.2"}}}}"#;
        let mut view = InspectView::waiting("web".into());
        view.set(Ok(json.into()));
        let text = view.lines().join("\n");
        for want in [
            "Name:        web",
            "State:       running (pid 42)",
            "Health:      healthy (failing streak 0, last: exit 0 ok)",
            "Restart:     on-failure:3",
            "Command:     sh -c 'echo hi; sleep 9'",
            "  A=1",
            "  53/udp (not published)",
            "  80/tcp <- 0.0.0.0:8080",
            "  bind /srv -> /data (read-only)",
            "  bridge: 172.17.0.2",
            "  a=1\n  b=2",
        ] {
            assert!(text.contains(want), "{want:?} missing from:\n{text}");
        }
        view.show_raw = true;
        assert_eq!(view.lines()[0], "{");
        assert!(view.lines().iter().any(|l| l == r#"  "Id": "abc","#));
    }
}
