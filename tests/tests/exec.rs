//! `dockyard exec` against the real agent and engine: every behaviour of
//! the lab's section 5, plus the byte-exactness the lab got wrong.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use dockyard_tests::{TestAgent, TestContainer, run, run_with_input, stderr_str, stdout_str};
use sha2::{Digest, Sha256};

fn exec(agent: &TestAgent, args: &[&str]) -> std::process::Output {
    let mut full = vec!["exec"];
    full.extend_from_slice(args);
    run(agent.dockyard(&full))
}

// 5.1 Basic command execution

#[test]
fn whoami_is_root_and_pwd_is_slash() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("basic"));
    let o = exec(&agent, &[&c.name, "whoami"]);
    assert_eq!(stdout_str(&o), "root\n", "stderr: {}", stderr_str(&o));
    assert_eq!(o.status.code(), Some(0));
    let o = exec(&agent, &[&c.name, "pwd"]);
    assert_eq!(stdout_str(&o), "/\n");
    // No banners: stdout is the command's bytes only, stderr empty.
    assert_eq!(stderr_str(&o), "");
}

// 5.2 User context switching

#[test]
fn user_nobody() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("user"));
    let o = exec(&agent, &["--user", "nobody", &c.name, "whoami"]);
    assert_eq!(stdout_str(&o), "nobody\n", "stderr: {}", stderr_str(&o));
    let o = exec(&agent, &["-u", "65534", &c.name, "id", "-u"]);
    assert_eq!(stdout_str(&o), "65534\n");
}

// 5.3 Environment variable injection

#[test]
fn one_and_two_env_vars() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("env"));
    let o = exec(&agent, &["--env", "TEST_VAR=Hello World", &c.name, "env"]);
    assert!(
        stdout_str(&o).lines().any(|l| l == "TEST_VAR=Hello World"),
        "{}",
        stdout_str(&o)
    );
    let o = exec(
        &agent,
        &["--env", "DEBUG=true", "-e", "MODE=test", &c.name, "env"],
    );
    let out = stdout_str(&o);
    assert!(out.lines().any(|l| l == "DEBUG=true"), "{out}");
    assert!(out.lines().any(|l| l == "MODE=test"), "{out}");
}

#[test]
fn env_file_and_passthrough() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("envfile"));
    let file = std::env::temp_dir().join(dockyard_tests::unique_name("envfile"));
    std::fs::write(&file, "# settings\nFROM_FILE=yes\nOVERRIDE=file\n").expect("env file");
    let mut cmd = agent.dockyard(&[
        "exec",
        "--env-file",
        file.to_str().expect("utf-8 path"),
        "-e",
        "OVERRIDE=flag",
        "-e",
        "DY_PASSED",
        &c.name,
        "env",
    ]);
    cmd.env("DY_PASSED", "from-shell");
    let o = run(cmd);
    std::fs::remove_file(&file).ok();
    let out = stdout_str(&o);
    for want in ["FROM_FILE=yes", "OVERRIDE=flag", "DY_PASSED=from-shell"] {
        assert!(out.lines().any(|l| l == want), "missing {want} in:\n{out}");
    }
}

#[test]
fn bad_env_is_125() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("badenv"));
    let o = exec(&agent, &["-e", "=nokey", &c.name, "true"]);
    assert_eq!(o.status.code(), Some(125));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("invalid environment variable"), "{err}");
}

// 5.4 Working directory control

#[test]
fn workdir() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("workdir"));
    for dir in ["/var/log", "/tmp"] {
        let o = exec(&agent, &["--workdir", dir, &c.name, "pwd"]);
        assert_eq!(stdout_str(&o), format!("{dir}\n"));
    }
    let o = exec(&agent, &["-w", "/no/such/dir", &c.name, "pwd"]);
    assert_eq!(o.status.code(), Some(126), "missing workdir cannot invoke");
}

// 5.6 Complex command arguments

#[test]
fn arguments_with_options_and_shell_chains() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("args"));
    // Words after the container that look like flags belong to the command.
    let o = exec(
        &agent,
        &[&c.name, "find", "/etc", "-name", "passwd", "-type", "f"],
    );
    assert_eq!(
        stdout_str(&o),
        "/etc/passwd\n",
        "stderr: {}",
        stderr_str(&o)
    );
    let o = exec(&agent, &[&c.name, "ls", "-la", "/etc"]);
    assert!(stdout_str(&o).contains("passwd"));
    let o = exec(
        &agent,
        &[
            &c.name,
            "sh",
            "-c",
            "echo 'Current time:' && echo second && exit 3",
        ],
    );
    assert_eq!(stdout_str(&o), "Current time:\nsecond\n");
    assert_eq!(o.status.code(), Some(3));
    let o = exec(&agent, &[&c.name, "echo", "-n", "--", "-e", "a  b"]);
    assert_eq!(stdout_str(&o), "-- -e a  b");
}

// 5.7 Error handling

#[test]
fn missing_container_is_125() {
    let agent = TestAgent::start();
    let o = exec(&agent, &["non-existent-container-dyt", "ls"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stdout_str(&o), "");
    assert_eq!(
        stderr_str(&o),
        "dockyard: Container 'non-existent-container-dyt' not found\n"
    );
}

#[test]
fn stopped_container_is_125() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("stopped"));
    c.kill();
    let o = exec(&agent, &[&c.name, "ls"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr_str(&o),
        format!(
            "dockyard: Container '{}' is not running (status: exited)\n",
            c.name
        )
    );
}

/// The code, and the engine's reason printed where docker prints it (on
/// stdout: the engine writes it into the exec's output; with `-d`, on
/// stderr, where docker prints the refusal).
fn assert_refused(o: &std::process::Output, code: i32, reason: &str) {
    let all = format!("{}{}", stdout_str(o), stderr_str(o));
    assert_eq!(o.status.code(), Some(code), "{all}");
    assert!(all.contains(reason), "no {reason:?} in {all:?}");
}

#[test]
fn invalid_command_is_127_and_uninvokable_is_126() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("badcmd"));
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["invalid-command-that-doesnt-exist"],
            127,
            "executable file not found in $PATH",
        ),
        (&["/no/such/program"], 127, "no such file or directory"),
        (&["/etc/passwd"], 126, "permission denied"),
        (
            &["-u", "no-such-user", "true"],
            126,
            "unable to find user no-such-user",
        ),
        (&["-w", "/missing", "true"], 126, "chdir to cwd"),
    ];
    for (args, code, reason) in cases {
        // Options first, then the container, then the command.
        let (opts, cmd): (Vec<&str>, Vec<&str>) = match args {
            [o, v, rest @ ..] if o.starts_with('-') => (vec![o, v], rest.to_vec()),
            rest => (vec![], rest.to_vec()),
        };
        let mut argv = opts.clone();
        argv.push(&c.name);
        argv.extend(&cmd);
        assert_refused(&exec(&agent, &argv), code, reason);
        let mut detached = vec!["-d"];
        detached.extend(&argv);
        let o = exec(&agent, &detached);
        assert_refused(&o, code, reason);
        assert!(stdout_str(&o).is_empty(), "-d prints nothing on stdout");
    }
}

#[test]
fn detached_exec_returns_at_once_and_runs_on() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("detach"));
    let o = exec(
        &agent,
        &[
            "-d",
            &c.name,
            "sh",
            "-c",
            "sleep 3; echo x > /tmp/d; exec sleep 4245",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr_str(&o));
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "-d prints nothing"
    );
    // Back before the command got to its file: it was not waited for.
    let file = || exec(&agent, &[&c.name, "cat", "/tmp/d"]);
    assert_ne!(stdout_str(&file()), "x\n", "the command was waited for");
    assert!(dockyard_tests::eventually(Duration::from_secs(10), || {
        stdout_str(&file()) == "x\n"
    }));
    // dockyard has left; the command lives on.
    let ps = exec(&agent, &[&c.name, "ps", "-o", "args"]);
    assert!(
        stdout_str(&ps).contains("sleep 4245"),
        "{}",
        stdout_str(&ps)
    );
    let o = exec(&agent, &["-d", &c.name]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr_str(&o).contains("no command given"));
}

/// `--privileged` reaches the engine: the exec gets what `docker exec
/// --privileged` gets here, whether the kernel allows it (a tmpfs mount
/// succeeds) or not (the runtime refuses to apply the capabilities).
#[test]
fn privileged_exec_does_what_dockers_does() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("privileged"));
    let args = ["mount", "-t", "tmpfs", "none", "/mnt"];
    let mut docker = std::process::Command::new("docker");
    docker.args(["exec", "--privileged", &c.name]).args(args);
    let theirs = run(docker);
    let mut argv = vec!["--privileged", c.name.as_str()];
    argv.extend(args);
    let ours = exec(&agent, &argv);
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_eq!(stdout_str(&ours), stdout_str(&theirs));
    let mut argv = vec![c.name.as_str()];
    argv.extend(args);
    let unprivileged = exec(&agent, &argv);
    assert_ne!(
        unprivileged.status.code(),
        Some(0),
        "mounting needs privileges"
    );
    if theirs.status.success() {
        assert!(ours.status.success(), "privileged mount failed");
    }
}

#[test]
fn unreachable_agent_is_125() {
    let mut cmd = std::process::Command::new(dockyard_tests::dockyard_bin());
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    cmd.args(["--host", &format!("127.0.0.1:{port}"), "exec", "c", "true"]);
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(125));
    let err = stderr_str(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach agent"), "{err}");
}

#[test]
fn bad_flag_is_125_in_one_line() {
    let agent = TestAgent::start();
    let o = run(agent.dockyard(&["exec", "--no-such-flag", "c", "true"]));
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr_str(&o).lines().count(), 1, "{}", stderr_str(&o));
}

// 5.8 Exit codes

#[test]
fn exit_codes_0_1_42() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("codes"));
    assert_eq!(exec(&agent, &[&c.name, "true"]).status.code(), Some(0));
    assert_eq!(exec(&agent, &[&c.name, "false"]).status.code(), Some(1));
    assert_eq!(
        exec(&agent, &[&c.name, "sh", "-c", "exit 42"])
            .status
            .code(),
        Some(42)
    );
}

// 5.9 Streaming output

#[test]
fn stdout_and_stderr_stay_apart() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("streams"));
    for _ in 0..10 {
        let o = exec(
            &agent,
            &[
                &c.name,
                "sh",
                "-c",
                "echo 'stdout message' && echo 'stderr message' >&2",
            ],
        );
        assert_eq!(stdout_str(&o), "stdout message\n");
        assert_eq!(stderr_str(&o), "stderr message\n");
    }
    // Interleaved bursts: every byte lands on its own stream.
    let o = exec(
        &agent,
        &[
            &c.name,
            "sh",
            "-c",
            "for i in $(seq 1 500); do echo out$i; echo err$i >&2; done",
        ],
    );
    let want_out: String = (1..=500).map(|i| format!("out{i}\n")).collect();
    let want_err: String = (1..=500).map(|i| format!("err{i}\n")).collect();
    assert_eq!(stdout_str(&o), want_out);
    assert_eq!(stderr_str(&o), want_err);
}

#[test]
fn output_streams_as_it_is_produced() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("stream"));
    let mut child = agent
        .dockyard(&[
            "exec",
            &c.name,
            "sh",
            "-c",
            "echo 'Line 1'; sleep 1; echo 'Line 2'",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("line 1").expect("read");
    let t1 = Instant::now();
    let second = lines.next().expect("line 2").expect("read");
    let gap = t1.elapsed();
    assert_eq!((first.as_str(), second.as_str()), ("Line 1", "Line 2"));
    // Line 1 was delivered while the command slept, not buffered to the end.
    assert!(
        gap >= Duration::from_millis(500),
        "lines arrived {gap:?} apart"
    );
    assert!(child.wait().expect("wait").success());
}

// Bytes are bytes.

#[test]
fn stdin_pipe_ends_at_eof() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("stdin"));
    let o = run_with_input(agent.dockyard(&["exec", "-i", &c.name, "cat"]), b"a\nb\n");
    assert_eq!(stdout_str(&o), "a\nb\n");
    assert_eq!(o.status.code(), Some(0));
    // Without -i the command's stdin is empty, as with docker exec.
    let o = run_with_input(agent.dockyard(&["exec", &c.name, "cat"]), b"ignored\n");
    assert_eq!(stdout_str(&o), "");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn sixteen_mib_of_random_bytes_round_trip() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("random"));
    let mut data = vec![0u8; 16 * 1024 * 1024];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut data))
        .expect("random bytes");
    let o = run_with_input(agent.dockyard(&["exec", "-i", &c.name, "cat"]), &data);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr_str(&o));
    assert_eq!(o.stdout.len(), data.len());
    assert_eq!(Sha256::digest(&o.stdout), Sha256::digest(&data));
    // And through sha256sum inside the container, so the checksum is taken
    // on the far side of the stdin half-close.
    let o = run_with_input(agent.dockyard(&["exec", "-i", &c.name, "sha256sum"]), &data);
    let want = format!("{:x}  -\n", Sha256::digest(&data));
    assert_eq!(stdout_str(&o), want);
}

#[test]
fn two_hundred_thousand_lines_intact() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("seq"));
    let o = exec(&agent, &[&c.name, "seq", "1", "200000"]);
    let want: String = (1..=200_000).map(|i| format!("{i}\n")).collect();
    assert!(
        stdout_str(&o) == want,
        "seq output differs ({} bytes vs {})",
        o.stdout.len(),
        want.len()
    );
}

#[test]
fn tty_output_that_looks_like_a_stream_header_passes_untouched() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("header"));
    let want = b"A\x01\x00\x00\x00\x00\x00\x00\x03xyzB";
    let o = exec(
        &agent,
        &[
            "-t",
            &c.name,
            "printf",
            r"A\001\000\000\000\000\000\000\003xyzB",
        ],
    );
    assert_eq!(o.stdout, want);
    // The same bytes starting a later read of the connection.
    let o = exec(
        &agent,
        &[
            "-t",
            &c.name,
            "sh",
            "-c",
            r"printf A; sleep 0.3; printf '\001\000\000\000\000\000\000\003xyzB'; sleep 0.3; printf '\002\000\000\000\000\000\000\001Z'",
        ],
    );
    assert_eq!(
        o.stdout,
        b"A\x01\x00\x00\x00\x00\x00\x00\x03xyzB\x02\x00\x00\x00\x00\x00\x00\x01Z"
    );
}

#[test]
fn tty_output_is_stdout_only() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("ttyerr"));
    let o = exec(&agent, &["-t", &c.name, "sh", "-c", "echo to-stderr >&2"]);
    assert_eq!(stdout_str(&o), "to-stderr\r\n");
    assert_eq!(stderr_str(&o), "");
}

#[test]
fn sixty_four_mib_both_ways_and_through_a_tty() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("big"));
    let mut data = vec![0u8; 64 * 1024 * 1024];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut data))
        .expect("random bytes");
    // In: 64 MiB through stdin into a file, checksummed on the far side.
    let o = run_with_input(
        agent.dockyard(&[
            "exec",
            "-i",
            &c.name,
            "sh",
            "-c",
            "cat > /tmp/big && sha256sum < /tmp/big",
        ]),
        &data,
    );
    let want = format!("{:x}  -\n", Sha256::digest(&data));
    assert_eq!(stdout_str(&o), want, "stderr: {}", stderr_str(&o));
    // Out: the same file back, without a TTY...
    let o = exec(&agent, &[&c.name, "cat", "/tmp/big"]);
    assert!(
        o.stdout.len() == data.len() && Sha256::digest(&o.stdout) == Sha256::digest(&data),
        "non-TTY output differs"
    );
    // ...and through a TTY in raw mode (no newline translation), which
    // is the path bollard's decoder would have corrupted.
    let o = exec(
        &agent,
        &["-t", &c.name, "sh", "-c", "stty raw -echo; cat /tmp/big"],
    );
    assert_eq!(o.stdout.len(), data.len(), "TTY output length");
    assert!(
        Sha256::digest(&o.stdout) == Sha256::digest(&data),
        "TTY output differs"
    );
}
