//! Interactive TTY sessions: the real `dockyard` binary in a
//! pseudo-terminal, typed into, its screen read back with vt100.

use std::time::Duration;

use dockyard_tests::pty::Pty;
use dockyard_tests::{TestAgent, TestContainer, dockyard_bin};

const WAIT: Duration = Duration::from_secs(15);

fn shell(agent: &TestAgent, args: &[&str], rows: u16, cols: u16) -> Pty {
    let mut full = vec!["--host", agent.addr.as_str(), "exec"];
    full.extend_from_slice(args);
    Pty::spawn(&dockyard_bin(), &full, rows, cols)
}

#[test]
fn interactive_shell_types_pastes_and_exits() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("shell"));
    // The lab's spelling: --interactive at a terminal gives a TTY shell.
    let mut pty = shell(&agent, &["--interactive", &c.name, "sh"], 24, 80);
    pty.wait_for("a prompt", WAIT, |s| s.contains('#'));
    pty.type_bytes(b"echo $((6*7))\r");
    pty.wait_for_text("\n42", WAIT);
    // A paste arrives as one burst of several lines.
    pty.type_bytes(b"echo one-$((1+1))\recho two-$((2+2))\recho three-$((3+3))\r");
    pty.wait_for_text("three-6", WAIT);
    let screen = pty.contents();
    assert!(
        screen.contains("one-2") && screen.contains("two-4"),
        "{screen}"
    );
    pty.type_bytes(b"exit 7\r");
    assert_eq!(pty.wait_exit(WAIT), 7);
}

#[test]
fn stty_size_matches_the_terminal_and_follows_resizes() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("size"));
    let mut pty = shell(&agent, &["-it", &c.name, "sh"], 33, 101);
    pty.wait_for("a prompt", WAIT, |s| s.contains('#'));
    pty.type_bytes(b"stty size\r");
    pty.wait_for_text("33 101", WAIT);
    pty.resize(40, 120);
    // SIGWINCH reaches dockyard, which resizes the remote TTY.
    pty.type_bytes(b"clear; stty size\r");
    pty.wait_for_text("40 120", WAIT);
    pty.type_bytes(b"exit\r");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn default_command_is_a_shell() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("default"));
    let mut pty = shell(&agent, &["-it", &c.name], 24, 80);
    pty.wait_for("a prompt", WAIT, |s| s.contains('#'));
    pty.type_bytes(b"echo shell-$((2*21))\r");
    pty.wait_for_text("shell-42", WAIT);
    pty.type_bytes(b"exit\r");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn control_keys_reach_the_program_at_once() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("ctrl"));
    let mut pty = shell(&agent, &["-it", &c.name, "sh"], 24, 80);
    pty.wait_for("a prompt", WAIT, |s| s.contains('#'));
    // Ctrl-P is docker's default detach prefix, which the engine holds back
    // until the next key; ours must pass it straight through. `od -c`
    // shows what arrived once the line is ended with Ctrl-D.
    pty.type_bytes(b"od -c\r");
    std::thread::sleep(Duration::from_millis(300));
    pty.type_bytes(b"\x10");
    // The remote TTY echoes ^P as soon as it gets the byte.
    pty.wait_for_text("^P", WAIT);
    pty.type_bytes(b"\r\x04");
    pty.wait_for_text("020", WAIT);
    // Ctrl-C reaches the remote program as SIGINT, not dockyard.
    pty.type_bytes(b"sleep 1000\r");
    std::thread::sleep(Duration::from_millis(300));
    pty.type_bytes(b"\x03");
    pty.type_bytes(b"echo after-$((40+2))\r");
    pty.wait_for_text("after-42", WAIT);
    pty.type_bytes(b"exit\r");
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn full_screen_program_draws_and_quits() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("vi"));
    let mut pty = shell(&agent, &["-it", &c.name, "vi", "/tmp/note.txt"], 20, 70);
    pty.wait_for("vi's empty-line markers", WAIT, |s| {
        s.matches('~').count() >= 10
    });
    pty.type_bytes(b"ihello from vi");
    pty.wait_for_text("hello from vi", WAIT);
    // Esc alone, as typed: followed at once by ':' it reads as Alt-:.
    pty.type_bytes(b"\x1b");
    std::thread::sleep(Duration::from_millis(300));
    pty.type_bytes(b":wq\r");
    assert_eq!(pty.wait_exit(WAIT), 0);
    let o = dockyard_tests::run(agent.dockyard(&["exec", &c.name, "cat", "/tmp/note.txt"]));
    assert_eq!(dockyard_tests::stdout_str(&o), "hello from vi\n");
}

#[test]
fn terminal_is_restored_after_the_session() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("restore"));
    // A shell on the local side runs dockyard, then reports its own
    // terminal mode: raw mode must be gone.
    let script = format!(
        "'{}' --host {} exec -it {} true; stty -a | grep -o -- '-\\?icanon' | head -1; echo done",
        dockyard_bin().display(),
        agent.addr,
        c.name
    );
    let mut pty = Pty::spawn(std::path::Path::new("/bin/sh"), &["-c", &script], 24, 100);
    pty.wait_for_text("done", WAIT);
    let screen = pty.contents();
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "terminal left raw:\n{screen}"
    );
    assert_eq!(pty.wait_exit(WAIT), 0);
}

#[test]
fn tty_without_interactive_leaves_ctrl_c_to_the_user() {
    let (agent, c) = (TestAgent::start(), TestContainer::start("tonly"));
    // -t alone: no stdin goes to the command, so the terminal stays cooked
    // and Ctrl-C interrupts dockyard itself (as with docker exec -t).
    let mut pty = shell(
        &agent,
        &["-t", &c.name, "sh", "-c", "echo ready; exec sleep 4248"],
        24,
        80,
    );
    pty.wait_for_text("ready", WAIT);
    pty.type_bytes(b"\x03");
    assert_eq!(pty.wait_exit(WAIT), 130);
}
