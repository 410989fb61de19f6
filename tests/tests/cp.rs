//! `dockyard cp` against `docker cp` on the same files, both ways: the
//! trees that land (names, modes, sizes, link targets, contents) and the
//! errors (words and exit status) must be docker's. Through a remote
//! agent and the embedded one; a cluster's entry is in `fleet.rs`.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use dockyard_tests::debug::{TARGET_DATA, Target};
use dockyard_tests::{
    TestAgent, TestContainer, dockyard_command, run, run_with_input, stderr_str, unique_name,
};

/// 50 MB: more than any buffer on the way, so it is streamed.
const BIG: usize = 50 * 1024 * 1024;

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let p = std::env::temp_dir().join(unique_name("cp"));
        std::fs::create_dir_all(&p).expect("scratch");
        Scratch(p)
    }

    fn dir(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(&p).expect("dir");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a tree holds, as `find -printf '%p %m %s %l'` plus contents.
fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).expect("lstat");
        let rel = p.strip_prefix(root).expect("under").display().to_string();
        let what = if m.file_type().is_symlink() {
            format!(
                "link -> {}",
                std::fs::read_link(&p).expect("readlink").display()
            )
        } else if m.is_dir() {
            for e in std::fs::read_dir(&p).expect("readdir") {
                stack.push(e.expect("entry").path());
            }
            format!("dir {:o}", m.permissions().mode() & 0o7777)
        } else {
            let data = std::fs::read(&p).expect("read");
            // Contents compared by a cheap digest, size and mode beside.
            let sum = data.iter().fold(0u64, |h, b| {
                h.wrapping_mul(1_000_003).wrapping_add(*b as u64)
            });
            format!(
                "file {:o} {} {sum:x} links {}",
                m.permissions().mode() & 0o7777,
                m.len(),
                m.nlink()
            )
        };
        if !rel.is_empty() {
            out.insert(rel, what);
        }
    }
    out
}

fn docker_cli(args: &[&str]) -> std::process::Output {
    run({
        let mut c = Command::new("docker");
        c.args(args);
        c
    })
}

/// A tree inside a container: modes, a link, a file linked twice, a big
/// file.
fn fill(container: &str) {
    let script = format!(
        "mkdir -p /d/sub /d/empty && echo one > /d/a && chmod 600 /d/a \
         && echo two > /d/sub/b && chmod 4755 /d/sub/b && ln -s ../a /d/sub/la \
         && ln /d/a /d/hard && ln -s /d /dl && head -c {BIG} /dev/urandom > /d/big"
    );
    let o = docker_cli(&["exec", container, "sh", "-c", &script]);
    assert!(o.status.success(), "{}", stderr_str(&o));
}

/// The same tree on this machine, under `root/src`.
fn fill_local(root: &Path) -> PathBuf {
    let src = root.join("src");
    std::fs::create_dir_all(src.join("tree/sub")).expect("mkdir");
    std::fs::create_dir_all(src.join("tree/empty")).expect("mkdir");
    std::fs::write(src.join("tree/a"), "one\n").expect("write");
    std::fs::set_permissions(src.join("tree/a"), std::fs::Permissions::from_mode(0o600))
        .expect("chmod");
    std::fs::write(src.join("tree/sub/b"), "two\n").expect("write");
    std::fs::set_permissions(
        src.join("tree/sub/b"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .expect("chmod");
    std::os::unix::fs::symlink("../a", src.join("tree/sub/la")).expect("symlink");
    std::fs::hard_link(src.join("tree/a"), src.join("tree/hard")).expect("link");
    std::os::unix::fs::symlink("tree", src.join("tlink")).expect("symlink");
    let big: Vec<u8> = (0..BIG as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(src.join("tree/big"), big).expect("write");
    src
}

/// `dockyard` with the agent in its own process.
fn local(args: &[&str]) -> Command {
    let mut c = dockyard_command();
    c.args(args);
    c
}

/// Runs `cmd` in `dir`; its stderr and exit code.
fn outcome(mut cmd: Command, dir: &Path) -> (String, Option<i32>) {
    cmd.current_dir(dir);
    let o = run(cmd);
    (stderr_str(&o), o.status.code())
}

#[test]
fn out_of_a_container_as_docker_cp() {
    let agent = TestAgent::start();
    let c = TestContainer::start("cp-out");
    fill(&c.name);
    let scratch = Scratch::new();
    let name = c.name.as_str();
    for args in [
        vec![format!("{name}:/d"), "new".into()],
        vec![format!("{name}:/d/"), ".".into()],
        vec![format!("{name}:/d/."), "contents".into()],
        vec![format!("{name}:/d/sub/b"), "file".into()],
        vec![format!("{name}:/d/sub/la"), "link".into()],
        vec!["-L".into(), format!("{name}:/d/sub/la"), "followed".into()],
        vec![format!("{name}:/dl/"), "through-link".into()],
        vec![format!("{name}:/d/a"), "missing/".into()],
        vec![format!("{name}:/nosuch"), "x".into()],
        vec![format!("{name}:/d/a"), "nodir/x".into()],
    ] {
        let ours = scratch.dir(&format!("ours-{}", args.join("_").replace('/', "%")));
        let theirs = scratch.dir(&format!("docker-{}", args.join("_").replace('/', "%")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (err, code) = outcome(agent.dockyard(&[&["cp"], &args[..]].concat()), &ours);
        let mut docker = Command::new("docker");
        docker.arg("cp").args(&args);
        let (derr, dcode) = outcome(docker, &theirs);
        assert_eq!(code, dcode, "{args:?}: {err} / {derr}");
        assert_eq!(
            err.trim_start_matches("dockyard: "),
            derr.trim_start_matches("Error response from daemon: ")
                .replace(
                    theirs.to_str().expect("utf-8"),
                    ours.to_str().expect("utf-8")
                ),
            "{args:?}"
        );
        assert_eq!(tree(&ours), tree(&theirs), "{args:?}");
    }
    // A missing container.
    let (err, code) = outcome(agent.dockyard(&["cp", "dyt-no-such:/d", "x"]), &scratch.0);
    assert_eq!(
        (err.as_str(), code),
        ("dockyard: No such container: dyt-no-such\n", Some(1))
    );
    // The engine's tar as it is.
    let ours = run(agent.dockyard(&["cp", &format!("{name}:/d/sub"), "-"]));
    let theirs = docker_cli(&["cp", &format!("{name}:/d/sub"), "-"]);
    assert!(ours.status.success(), "{}", stderr_str(&ours));
    assert!(ours.stdout == theirs.stdout, "the tar differs");
}

#[test]
fn into_a_container_as_docker_cp() {
    let scratch = Scratch::new();
    let src = fill_local(&scratch.0);
    let ours = TestContainer::start("cp-in");
    let theirs = TestContainer::start("cp-in-docker");
    for c in [&ours, &theirs] {
        let o = docker_cli(&["exec", &c.name, "sh", "-c", "mkdir /t && echo x > /t/file"]);
        assert!(o.status.success(), "{}", stderr_str(&o));
    }
    for (i, (flags, from, to)) in [
        ("", "tree", "/t/"),
        ("", "tree", "/t/new"),
        ("", "tree/.", "/t/contents"),
        ("", "tree/sub/b", "/t/file"),
        ("", "tree/sub/b", "/t/renamed"),
        ("", "tlink", "/t/link"),
        ("-L", "tlink", "/t/followed"),
        ("-a", "tree/a", "/t/owned"),
        ("", "tree", "/t/file"),
        ("", "tree/a", "/t/nodir/"),
        ("", "tree/a", "/nosuchdir/x"),
        // 50 MB refused: the agent's words, not the pipe it broke.
        ("", "tree", "/nosuchdir/x"),
        ("", "/nosuch", "/t"),
    ]
    .into_iter()
    .enumerate()
    {
        let flags: Vec<&str> = flags.split_whitespace().collect();
        // The embedded agent for every other case, a remote one for the rest.
        let dst = format!("{}:{to}", ours.name);
        let args = [&["cp"], &flags[..], &[from, &dst]].concat();
        let cmd = if i % 2 == 0 {
            let mut c = dockyard_command();
            c.args(&args);
            c
        } else {
            let agent = TestAgent::start();
            let c = agent.dockyard(&args);
            // The agent lives as long as the command runs.
            let (err, code) = outcome(c, &src);
            drop(agent);
            let dst = format!("{}:{to}", theirs.name);
            let mut d = Command::new("docker");
            d.arg("cp").args(&flags).args([from, &dst]);
            let (derr, dcode) = outcome(d, &src);
            check_same(&err, code, &derr, dcode, &ours.name, &theirs.name, from);
            continue;
        };
        let (err, code) = outcome(cmd, &src);
        let dst = format!("{}:{to}", theirs.name);
        let mut d = Command::new("docker");
        d.arg("cp").args(&flags).args([from, &dst]);
        let (derr, dcode) = outcome(d, &src);
        check_same(&err, code, &derr, dcode, &ours.name, &theirs.name, from);
    }
    // What landed, read back by docker itself from both.
    let (a, b) = (scratch.dir("back-ours"), scratch.dir("back-docker"));
    for (c, d) in [(&ours, &a), (&theirs, &b)] {
        let o = docker_cli(&["cp", &format!("{}:/t", c.name), d.to_str().expect("utf-8")]);
        assert!(o.status.success(), "{}", stderr_str(&o));
    }
    assert_eq!(tree(&a), tree(&b));
    // A tar from stdin into a directory, and not into a file.
    let tar = run({
        let mut c = Command::new("tar");
        c.args(["-C", src.to_str().expect("utf-8"), "-cf", "-", "tree/sub"]);
        c
    })
    .stdout;
    let o = run_with_input(local(&["cp", "-", &format!("{}:/t", ours.name)]), &tar);
    assert!(o.status.success(), "{}", stderr_str(&o));
    let o = docker_cli(&["exec", &ours.name, "cat", "/t/tree/sub/b"]);
    assert_eq!(o.stdout, b"two\n");
    let o = run_with_input(local(&["cp", "-", &format!("{}:/t/file", ours.name)]), &tar);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr_str(&o),
        format!(
            "dockyard: destination \"{}:/t/file\" must be a directory\n",
            ours.name
        )
    );
}

fn check_same(
    err: &str,
    code: Option<i32>,
    derr: &str,
    dcode: Option<i32>,
    ours: &str,
    theirs: &str,
    what: &str,
) {
    assert_eq!(code, dcode, "{what}: {err} / {derr}");
    // docker logs its tar writer's broken pipe before its message.
    let derr = derr
        .lines()
        .rfind(|l| !l.starts_with("time="))
        .unwrap_or_default()
        .trim_start_matches("Error response from daemon: ")
        .replace(theirs, ours);
    assert_eq!(
        err.trim_end().trim_start_matches("dockyard: "),
        derr,
        "{what}"
    );
}

/// Nothing runs in the container: a shell-less one and a stopped one.
#[test]
fn a_distroless_and_a_stopped_container() {
    let scratch = Scratch::new();
    let target = Target::start("cp-distroless", |_| {});
    let out = scratch.0.join("data.txt");
    let o = run(local(&[
        "cp",
        &format!("{}:/app/data.txt", target.name),
        out.to_str().expect("utf-8"),
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        format!("{TARGET_DATA}\n")
    );
    let put = scratch.0.join("put.txt");
    std::fs::write(&put, "put-in-9\n").expect("write");
    let o = run(local(&[
        "cp",
        put.to_str().expect("utf-8"),
        &format!("{}:/app/", target.name),
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let back = docker_cli(&["cp", &format!("{}:/app/put.txt", target.name), "-"]);
    assert!(String::from_utf8_lossy(&back.stdout).contains("put-in-9"));
    // Stopped.
    let c = TestContainer::start("cp-stopped");
    c.kill();
    let o = run(local(&[
        "cp",
        put.to_str().expect("utf-8"),
        &format!("{}:/put.txt", c.name),
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    let again = scratch.0.join("again.txt");
    let o = run(local(&[
        "cp",
        &format!("{}:/put.txt", c.name),
        again.to_str().expect("utf-8"),
    ]));
    assert!(o.status.success(), "{}", stderr_str(&o));
    assert_eq!(std::fs::read(&again).expect("read"), b"put-in-9\n");
    // A read-only root: the engine's words, exit 1.
    let ro = Target::start("cp-readonly", |h| h.readonly_rootfs = Some(true));
    let o = run(local(&[
        "cp",
        put.to_str().expect("utf-8"),
        &format!("{}:/app/", ro.name),
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr_str(&o));
    assert_eq!(
        stderr_str(&o),
        "dockyard: container rootfs is marked read-only\n"
    );
}

/// Bad arguments: one line each, docker's words, exit 1.
#[test]
fn arguments_docker_refuses() {
    for (args, want) in [
        (["a", "b"], "must specify at least one container source"),
        (
            ["a:/x", "b:/y"],
            "copying between containers is not supported",
        ),
        (["", "b:/y"], "source can not be empty"),
    ] {
        let o = run(local(&[&["cp"][..], &args[..]].concat()));
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr_str(&o), format!("dockyard: {want}\n"), "{args:?}");
    }
}

/// The TUI's files view on a shell-less container: browse to a file,
/// read it in a pane, save it here, put a file in.
#[test]
fn the_tui_files_view_on_a_shell_less_container() {
    use dockyard_tests::pty::Pty;
    use std::time::Duration;
    const WAIT: Duration = Duration::from_secs(20);
    let agent = TestAgent::start();
    let target = Target::start("cp-tui", |_| {});
    let scratch = Scratch::new();
    let mut pty = Pty::spawn(
        &dockyard_tests::dockyard_bin(),
        &["--host", &agent.addr],
        40,
        160,
    );
    pty.filter_to(&target.name, WAIT);
    pty.type_bytes(b"f");
    // The root, by name: .dockerenv first, then app. (The view's title
    // says where it is: the pane behind may show the same names.)
    let root = format!("{}:/ ", target.name);
    let app = format!("{}:/app ", target.name);
    pty.wait_for("the root listed", WAIT, |s| {
        s.contains(&root) && s.contains(".dockerenv")
    });
    pty.type_bytes(b"j\r");
    pty.wait_for("/app listed", WAIT, |s| {
        s.contains(&app) && s.contains("data.txt")
    });
    // The file, in a read-only pane.
    pty.type_bytes(b"\r");
    pty.wait_for_text(TARGET_DATA, WAIT);
    assert!(
        pty.contents().contains("/app/data.txt"),
        "{}",
        pty.contents()
    );
    // Back to the list, and the view again: save the file here.
    pty.type_bytes(b"\x01c");
    pty.type_bytes(b"f");
    pty.wait_for("the root listed", WAIT, |s| {
        s.contains(&root) && s.contains(".dockerenv")
    });
    pty.type_bytes(b"j\r");
    pty.wait_for("/app listed", WAIT, |s| {
        s.contains(&app) && s.contains("data.txt")
    });
    pty.type_bytes(b"s");
    pty.wait_for_text("save /app/data.txt to: ./data.txt", WAIT);
    let saved = scratch.0.join("saved.txt");
    pty.type_bytes(&[0x7f; 12]);
    pty.type_bytes(saved.to_str().expect("utf-8").as_bytes());
    pty.type_bytes(b"\r");
    pty.wait_for_text("saved /app/data.txt to", WAIT);
    assert_eq!(
        std::fs::read_to_string(&saved).expect("saved"),
        format!("{TARGET_DATA}\n")
    );
    // Put a local file into /app: listed there after.
    let put = scratch.0.join("from-here.txt");
    std::fs::write(&put, "put-by-the-tui\n").expect("write");
    pty.type_bytes(b"p");
    pty.wait_for_text("put a local file into /app:", WAIT);
    pty.type_bytes(put.to_str().expect("utf-8").as_bytes());
    pty.type_bytes(b"\r");
    pty.wait_for("the put file listed", WAIT, |s| s.contains("from-here.txt"));
    let back = docker_cli(&["cp", &format!("{}:/app/from-here.txt", target.name), "-"]);
    assert!(String::from_utf8_lossy(&back.stdout).contains("put-by-the-tui"));
    pty.kill_hard();
}

/// On a terminal, a copy shows docker's progress and its last line; in a
/// pipe (every other test here) it says nothing.
#[test]
fn a_progress_line_on_a_terminal() {
    use dockyard_tests::pty::Pty;
    use std::time::Duration;
    let c = TestContainer::start("cp-progress");
    let o = docker_cli(&[
        "exec",
        &c.name,
        "sh",
        "-c",
        "head -c 20000000 /dev/urandom > /big",
    ]);
    assert!(o.status.success(), "{}", stderr_str(&o));
    let scratch = Scratch::new();
    let out = scratch.0.join("big");
    let mut pty = Pty::spawn(
        &dockyard_tests::dockyard_bin(),
        &[
            "cp",
            &format!("{}:/big", c.name),
            out.to_str().expect("utf-8"),
        ],
        24,
        120,
    );
    pty.wait_for_text(
        &format!("Successfully copied 20MB to {}", out.display()),
        Duration::from_secs(30),
    );
    assert_eq!(pty.wait_exit(Duration::from_secs(20)), 0);
    assert_eq!(std::fs::metadata(&out).expect("copied").len(), 20_000_000);
}
