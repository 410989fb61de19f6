//! Safe to put on a network: tokens, TLS, client certificates, and no
//! terminal control characters from the engine reaching the user.

use std::process::Command;
use std::time::Duration;

use dockyard_tests::certs::{TestPki, path};
use dockyard_tests::{
    TestAgent, TestContainer, agent_bin, dockyard_command, run, stderr_str, stdout_str,
};

const TOKEN: &str = "s3cret-token-0123456789";

fn dockyard(agent: &TestAgent, extra: &[&str], args: &[&str]) -> Command {
    let mut c = dockyard_command();
    c.args(["--host", &agent.addr]).args(extra).args(args);
    c
}

fn assert_refused(o: &std::process::Output, what: &str) {
    assert_eq!(o.status.code(), Some(125), "{what}: {}", stderr_str(o));
    let err = stderr_str(o);
    assert_eq!(err.lines().count(), 1, "{what}: one line, got:\n{err}");
    assert!(o.stdout.is_empty(), "{what}: nothing on stdout");
}

#[test]
fn token_is_required_checked_and_never_logged() {
    let pki = TestPki::new();
    let token_file = pki.file("token", &format!("{TOKEN}\n"));
    let agent = TestAgent::start_with(&["--token-file", path(&token_file)], &[]);
    let c = TestContainer::start("token");

    let o = run(dockyard(&agent, &[], &["exec", &c.name, "true"]));
    assert_refused(&o, "no token");
    assert!(
        stderr_str(&o).contains("requires a token"),
        "{}",
        stderr_str(&o)
    );

    let o = run(dockyard(
        &agent,
        &["--token", "wrong-token-0123456789"],
        &["exec", &c.name, "true"],
    ));
    assert_refused(&o, "wrong token");
    assert!(
        stderr_str(&o).contains("not accepted"),
        "{}",
        stderr_str(&o)
    );

    let o = run(dockyard(
        &agent,
        &["--token", TOKEN],
        &["exec", &c.name, "whoami"],
    ));
    assert_eq!(stdout_str(&o), "root\n", "{}", stderr_str(&o));
    let mut cmd = dockyard(&agent, &[], &["ps"]);
    cmd.env("DOCKYARD_TOKEN", TOKEN);
    let o = run(cmd);
    assert!(stdout_str(&o).contains(&c.name), "{}", stderr_str(&o));
    let config = pki.file("config.toml", &format!("token = \"{TOKEN}\"\n"));
    let mut cmd = dockyard(&agent, &[], &["exec", &c.name, "true"]);
    cmd.env("DOCKYARD_CONFIG", &config);
    assert_eq!(
        run(cmd).status.code(),
        Some(0),
        "token from the config file"
    );

    assert!(
        !agent.log().contains(TOKEN),
        "the token appears in the agent's log"
    );
    assert!(
        !agent.log().contains("wrong-token"),
        "a token appears in the agent's log"
    );
}

#[test]
fn short_or_missing_token_file_stops_the_agent() {
    let pki = TestPki::new();
    let short = pki.file("short", "abc\n");
    for (file, what) in [
        (path(&short), "shorter than 16"),
        ("/nonexistent/token", "cannot read"),
    ] {
        let o = Command::new(agent_bin())
            .args(["--listen", "127.0.0.1:0", "--token-file", file])
            .output()
            .expect("agent");
        assert!(!o.status.success());
        assert!(o.stdout.is_empty(), "it must not listen");
        assert!(stderr_str(&o).contains(what), "{}", stderr_str(&o));
    }
}

#[test]
fn tls_with_a_private_ca() {
    let pki = TestPki::new();
    let agent = TestAgent::start_with(
        &[
            "--tls-cert",
            path(&pki.server_cert),
            "--tls-key",
            path(&pki.server_key),
        ],
        &[],
    );
    let c = TestContainer::start("tls");
    let o = run(dockyard(
        &agent,
        &["--tls-ca", path(&pki.ca)],
        &["exec", &c.name, "whoami"],
    ));
    assert_eq!(stdout_str(&o), "root\n", "{}", stderr_str(&o));
    // A TTY session and bulk bytes over TLS too.
    let data: Vec<u8> = (0..=255u8).cycle().take(4 << 20).collect();
    let o = dockyard_tests::run_with_input(
        dockyard(
            &agent,
            &["--tls-ca", path(&pki.ca)],
            &["exec", "-i", &c.name, "cat"],
        ),
        &data,
    );
    assert!(o.stdout == data, "4 MiB over TLS differ");

    // Plain text to a TLS agent, and TLS with a CA that did not sign it.
    let o = run(dockyard(&agent, &[], &["exec", &c.name, "true"]));
    assert_refused(&o, "plain text to TLS");
    let other = TestPki::new();
    let o = run(dockyard(
        &agent,
        &["--tls-ca", path(&other.ca)],
        &["exec", &c.name, "true"],
    ));
    assert_refused(&o, "unknown CA");
    assert!(
        stderr_str(&o).to_lowercase().contains("certificate"),
        "{}",
        stderr_str(&o)
    );
}

#[test]
fn client_certificates_when_required() {
    let pki = TestPki::new();
    let token_file = pki.file("token", TOKEN);
    let agent = TestAgent::start_with(
        &[
            "--tls-cert",
            path(&pki.server_cert),
            "--tls-key",
            path(&pki.server_key),
            "--tls-client-ca",
            path(&pki.ca),
            "--token-file",
            path(&token_file),
        ],
        &[],
    );
    let c = TestContainer::start("mtls");
    let o = run(dockyard(
        &agent,
        &["--tls-ca", path(&pki.ca), "--token", TOKEN],
        &["exec", &c.name, "true"],
    ));
    assert_refused(&o, "no client certificate");
    let with_cert = [
        "--tls-ca",
        path(&pki.ca),
        "--tls-cert",
        path(&pki.client_cert),
        "--tls-key",
        path(&pki.client_key),
    ];
    let o = run(dockyard(&agent, &with_cert, &["exec", &c.name, "true"]));
    assert_refused(&o, "certificate but no token");
    let mut args = with_cert.to_vec();
    args.extend(["--token", TOKEN]);
    let o = run(dockyard(
        &agent,
        &args,
        &["exec", &c.name, "echo", "mutual"],
    ));
    assert_eq!(stdout_str(&o), "mutual\n", "{}", stderr_str(&o));

    // Sessions belong to the certificate's subject too: the same token
    // with another client certificate sees none of them.
    let mut started = dockyard(&agent, &args, &["exec", "-t", &c.name, "sleep", "4248"]);
    let mut child = started
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("a TTY exec");
    let list = |who: &[&str]| -> Vec<serde_json::Value> {
        let o = run(dockyard(&agent, who, &["sessions", "--format", "json"]));
        assert!(o.status.success(), "{}", stderr_str(&o));
        serde_json::from_str(&stdout_str(&o)).expect("json")
    };
    assert!(dockyard_tests::eventually(
        Duration::from_secs(15),
        || list(&args).len() == 1
    ));
    let other = [
        "--tls-ca",
        path(&pki.ca),
        "--tls-cert",
        path(&pki.client2_cert),
        "--tls-key",
        path(&pki.client2_key),
        "--token",
        TOKEN,
    ];
    assert!(list(&other).is_empty());
    let id = list(&args)[0]["id"].as_str().expect("id").to_string();
    let o = run(dockyard(&agent, &other, &["sessions", "rm", &id]));
    assert_eq!(stderr_str(&o), format!("dockyard: No such session: {id}\n"));
    let o = run(dockyard(&agent, &args, &["sessions", "rm", &id]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let _ = child.wait();
    assert!(
        agent.log().contains("CN=dockyard-client"),
        "{}",
        agent.log()
    );
}

#[test]
fn engine_text_never_drives_the_terminal() {
    let agent = TestAgent::start();
    // The name comes back in the error message.
    let o = run(dockyard(
        &agent,
        &[],
        &["exec", "evil\x1b]0;owned\x07\x1b[31m", "true"],
    ));
    assert_eq!(o.status.code(), Some(125));
    assert!(
        !o.stderr.iter().any(|b| *b == 0x1b || *b == 0x07),
        "{:?}",
        stderr_str(&o)
    );
    // Labels and commands come back from `ps --format json` escaped.
    let c = TestContainer::start_with("ctl", &["sh", "-c", "sleep 1000000 # \x1b[2J"]);
    let o = run(dockyard(&agent, &[], &["ps", "--format", "json"]));
    assert!(stdout_str(&o).contains(&c.name));
    assert!(!o.stdout.contains(&0x1b), "raw ESC in ps json output");
    let o = run(dockyard(&agent, &[], &["ps"]));
    assert!(!o.stdout.contains(&0x1b), "raw ESC in ps table output");
}
