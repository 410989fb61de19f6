//! `dockyard config`: the settings this run would use, and where each
//! came from (a flag, an environment variable, the config file, or the
//! default), so "why does it talk to that host?" has an answer. Tokens are
//! never printed, only whether one is set and how long it is.

use clap::ArgMatches;
use clap::parser::ValueSource;

use crate::cli::{Cli, PsFormat};
use crate::config::{self, Config};
use crate::connect::{Layer, Reach};

/// How each flag that can also come from the environment was given.
#[derive(Debug, Default)]
pub struct Sources {
    host: Option<ValueSource>,
    token: Option<ValueSource>,
    tls_ca: Option<ValueSource>,
    tls_cert: Option<ValueSource>,
    tls_key: Option<ValueSource>,
    leader: Option<ValueSource>,
}

impl Sources {
    /// Read from the parsed command line, at the top level or in the
    /// subcommand (global flags may be given after it).
    pub fn of(matches: &ArgMatches) -> Self {
        let source = |id: &str| {
            let at = |m: &ArgMatches| {
                m.ids()
                    .any(|i| i.as_str() == id)
                    .then(|| m.value_source(id))
                    .flatten()
                    .filter(|s| *s != ValueSource::DefaultValue)
            };
            at(matches).or_else(|| matches.subcommand().and_then(|(_, m)| at(m)))
        };
        Sources {
            host: source("host"),
            token: source("token"),
            tls_ca: source("tls_ca"),
            tls_cert: source("tls_cert"),
            tls_key: source("tls_key"),
            leader: source("leader"),
        }
    }
}

/// One setting: its name, its value as shown, and where it came from.
struct Row {
    name: &'static str,
    value: String,
    from: String,
}

fn from(source: Option<ValueSource>, flag: &str, env: Option<&str>) -> Option<String> {
    match source? {
        ValueSource::CommandLine => Some(format!("flag {flag}")),
        ValueSource::EnvVariable => Some(format!("env {}", env.unwrap_or("?"))),
        _ => None,
    }
}

fn masked(token: &str) -> String {
    format!("set, {} characters (hidden)", token.chars().count())
}

pub fn run(config: &Config, cli: &Cli, s: &Sources, format: PsFormat) -> anyhow::Result<i32> {
    let file = config::path();
    let file_text =
        file.as_ref()
            .map_or("(no path: neither DOCKYARD_CONFIG nor HOME)".into(), |p| {
                let state = if p.exists() { "" } else { " (not found)" };
                format!("{}{state}", p.display())
            });
    let in_file = |set: bool| set.then(|| "config file".to_string());
    let mut rows = vec![Row {
        name: "config file",
        value: file_text,
        from: if std::env::var_os("DOCKYARD_CONFIG").is_some() {
            "env DOCKYARD_CONFIG".into()
        } else {
            "default".into()
        },
    }];
    // Decided as the run decides them (`Reach::resolve`).
    let reach = Reach {
        hosts: cli.host.clone(),
        token: cli.token.clone(),
        tls_ca: cli.tls_ca.clone(),
        tls_cert: cli.tls_cert.clone(),
        tls_key: cli.tls_key.clone(),
    };
    let r = reach.resolve(config)?;
    let origin = |layer: Layer, source, flag, env| match layer {
        Layer::Given => from(source, flag, env).unwrap_or_else(|| "flag".into()),
        Layer::File => "config file".to_string(),
        Layer::Default => "default".to_string(),
    };
    rows.push(Row {
        name: "hosts",
        value: r.hosts_text.join(", "),
        from: origin(r.hosts_from, s.host, "--host", Some("DOCKYARD_HOST")),
    });
    rows.push(Row {
        name: "token",
        value: r.token.0.as_deref().map_or("none".into(), masked),
        from: origin(r.token.1, s.token, "--token", Some("DOCKYARD_TOKEN")),
    });
    let mut per_host: Vec<(&String, &String)> = config.tokens.iter().collect();
    per_host.sort();
    for (host, t) in per_host {
        let overridden = if r.token.1 == Layer::Given {
            " (unused: --token/DOCKYARD_TOKEN wins)"
        } else {
            ""
        };
        rows.push(Row {
            name: "token for",
            value: format!("{host}: {}{overridden}", masked(t)),
            from: "config file".into(),
        });
    }
    let paths = [
        (
            "tls_ca",
            &r.tls_ca,
            s.tls_ca,
            "--tls-ca",
            Some("DOCKYARD_TLS_CA"),
        ),
        ("tls_cert", &r.tls_cert, s.tls_cert, "--tls-cert", None),
        ("tls_key", &r.tls_key, s.tls_key, "--tls-key", None),
    ];
    for (name, (path, layer), source, flag, env) in paths {
        rows.push(Row {
            name,
            value: path
                .as_ref()
                .map_or("none".into(), |p| p.display().to_string()),
            from: origin(*layer, source, flag, env),
        });
    }
    let (leader, layer) = config::leader(cli.tui.leader.as_deref(), config);
    rows.push(Row {
        name: "leader",
        value: leader,
        from: origin(layer, s.leader, "--leader", Some("DOCKYARD_LEADER")),
    });
    rows.push(Row {
        name: "on_quit",
        value: format!("{:?}", config::on_quit(config)?).to_lowercase(),
        from: in_file(config.on_quit.is_some()).unwrap_or_else(|| "default".into()),
    });
    let history = config.history()?;
    rows.push(Row {
        name: "history_limit",
        value: history.lines.to_string(),
        from: in_file(config.history_limit.is_some()).unwrap_or_else(|| "default".into()),
    });
    rows.push(Row {
        name: "debug_image",
        value: config::debug_image(None, config),
        from: if std::env::var("DOCKYARD_DEBUG_IMAGE").is_ok_and(|v| !v.trim().is_empty()) {
            "env DOCKYARD_DEBUG_IMAGE".into()
        } else {
            in_file(config.debug_image.is_some()).unwrap_or_else(|| "default".into())
        },
    });
    rows.push(Row {
        name: "history_bytes",
        value: history.bytes.to_string(),
        from: in_file(config.history_bytes.is_some()).unwrap_or_else(|| "default".into()),
    });
    for o in config.key_overrides() {
        rows.push(Row {
            name: "key",
            value: format!("{}.{} = {}", o.context, o.action, o.keys.join(", ")),
            from: "config file".into(),
        });
    }
    let mut text = String::new();
    match format {
        PsFormat::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::json!({"setting": r.name, "value": r.value, "from": r.from}))
                .collect();
            text.push_str(&serde_json::to_string_pretty(&items)?);
            text.push('\n');
        }
        PsFormat::Table => {
            let width = rows
                .iter()
                .map(|r| r.value.chars().count())
                .max()
                .unwrap_or(0);
            text.push_str(&format!("{:<12} {:<width$}   FROM\n", "SETTING", "VALUE"));
            for r in &rows {
                let value = dockyard_client::text::printable(&r.value);
                text.push_str(&format!("{:<12} {value:<width$}   {}\n", r.name, r.from));
            }
        }
    }
    if !crate::output::print(&text)? {
        return Ok(crate::output::EXIT_PIPE);
    }
    Ok(0)
}
