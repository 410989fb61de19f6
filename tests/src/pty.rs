//! Running a binary inside a pseudo-terminal, typing into it and reading
//! its screen back through vt100, as a person at a terminal would.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    /// Reads so far, and a wake-up for each: waiting for text looks again
    /// as soon as the program writes (a latency measured here is not the
    /// polling interval's).
    reads: Arc<(Mutex<u64>, Condvar)>,
    /// While true the terminal reads nothing more: see `pause_reading`.
    paused: Arc<(Mutex<bool>, Condvar)>,
}

impl Pty {
    pub fn spawn(program: &std::path::Path, args: &[&str], rows: u16, cols: u16) -> Pty {
        Self::spawn_env(program, args, &[], rows, cols)
    }

    /// With extra environment variables.
    pub fn spawn_env(
        program: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
        rows: u16,
        cols: u16,
    ) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("DOCKYARD_HOST");
        cmd.env_remove("DOCKYARD_TOKEN");
        cmd.env("DOCKYARD_CONFIG", "/nonexistent/dockyard.toml");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn in pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 1000)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let reads = Arc::new((Mutex::new(0u64), Condvar::new()));
        let paused = Arc::new((Mutex::new(false), Condvar::new()));
        let (s, r, notify) = (screen.clone(), raw.clone(), reads.clone());
        let gate = paused.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Reads split characters; vt100 must only see whole ones.
            let mut whole = dockyard_term::WholeChars::default();
            loop {
                let (stop, resume) = &*gate;
                let _open = resume
                    .wait_while(stop.lock().expect("paused"), |p| *p)
                    .expect("paused");
                drop(_open);
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut screen = s.lock().expect("screen");
                        whole.feed(&buf[..n], |data| screen.process(data));
                        drop(screen);
                        r.lock().expect("raw").extend_from_slice(&buf[..n]);
                        let (count, wake) = &*notify;
                        *count.lock().expect("reads") += 1;
                        wake.notify_all();
                    }
                }
            }
        });
        Pty {
            master: pair.master,
            writer,
            child,
            screen,
            raw,
            reads,
            paused,
        }
    }

    /// The terminal stops reading, as a stalled SSH link or a terminal
    /// scrolled back under XOFF: the program's writes block once the pty's
    /// buffer is full, while the program itself runs on (answering its
    /// connection's keepalive pings, unlike one stopped with SIGSTOP).
    pub fn pause_reading(&self) {
        *self.paused.0.lock().expect("paused") = true;
    }

    pub fn resume_reading(&self) {
        *self.paused.0.lock().expect("paused") = false;
        self.paused.1.notify_all();
    }

    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize pty");
        self.screen
            .lock()
            .expect("screen")
            .screen_mut()
            .set_size(nz(rows), nz(cols));
    }

    pub fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    /// The screen as a terminal shows it: cells with colours and
    /// attributes, the cursor, and the input modes.
    pub fn state(&self) -> ScreenState {
        let p = self.screen.lock().expect("screen");
        let s = p.screen();
        ScreenState {
            cells: s.contents_formatted(),
            text: s.contents(),
            cursor: s.cursor_position(),
            alternate: s.alternate_screen(),
            application_cursor: s.application_cursor(),
            bracketed_paste: s.bracketed_paste(),
        }
    }

    /// The program's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// SIGHUP, as the kernel sends when the terminal goes away (a closed
    /// window, a dropped SSH link). (Dropping the pty's writer would type
    /// an EOF first: portable-pty sends ^D then.)
    pub fn hang_up(&mut self) {
        if let Some(pid) = self.child.process_id() {
            let _ = std::process::Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status();
        }
    }

    /// Sends the program a signal by name (`STOP`, `CONT`): a client that
    /// stops reading, as one suspended with Ctrl-Z or on a stalled link.
    pub fn signal(&self, name: &str) {
        if let Some(pid) = self.child.process_id() {
            let _ = std::process::Command::new("kill")
                .args([&format!("-{name}"), &pid.to_string()])
                .status();
        }
    }

    /// SIGKILL: the program vanishes without a word, as a crashed client.
    pub fn kill_hard(&mut self) {
        if let Some(pid) = self.child.process_id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.child.wait();
    }

    /// What the program put on the clipboard (OSC 52), oldest first.
    pub fn clipboard(&self) -> Vec<String> {
        use base64::Engine as _;
        let raw = self.raw_output();
        let mut out = Vec::new();
        let mut rest = &raw[..];
        while let Some(at) = find(rest, b"\x1b]52;c;") {
            let payload = &rest[at + 7..];
            let Some(end) = payload.iter().position(|&b| b == 0x07) else {
                break;
            };
            let text = base64::engine::general_purpose::STANDARD
                .decode(&payload[..end])
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|e| format!("<bad base64: {e}>"));
            out.push(text);
            rest = &payload[end..];
        }
        out
    }

    /// A mouse event as a terminal with SGR reporting sends it: `button`
    /// (0 left, 32 + button for a drag, 64/65 the wheel), at a 0-based
    /// column and row, pressed or released.
    pub fn mouse(&mut self, button: u8, col: u16, row: u16, pressed: bool) {
        let end = if pressed { 'M' } else { 'm' };
        let seq = format!("\x1b[<{button};{};{}{end}", col + 1, row + 1);
        self.type_bytes(seq.as_bytes());
    }

    /// Everything the program wrote, as bytes.
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().expect("raw").clone()
    }

    /// Waits (at most `limit`) until the screen satisfies `f`; panics with
    /// the screen's contents if it never does.
    pub fn wait_for(&self, what: &str, limit: Duration, f: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + limit;
        let (count, wake) = &*self.reads;
        loop {
            let seen = *count.lock().expect("reads");
            let text = self.contents();
            if f(&text) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{text}");
            }
            // Until the next read (or a while, for conditions outside the
            // screen).
            let guard = count.lock().expect("reads");
            if *guard == seen {
                let _ = wake.wait_timeout(guard, Duration::from_millis(20));
            }
        }
    }

    /// In the TUI: waits for `container` in the list (its name cut to the
    /// column), then filters the list to it, so it is the one selected.
    pub fn filter_to(&mut self, container: &str, limit: Duration) {
        let shown: String = container.chars().take(20).collect();
        self.wait_for("the container listed", limit, |s| s.contains(&shown));
        self.type_bytes(b"/");
        self.type_bytes(container.as_bytes());
        self.type_bytes(b"\r");
        self.wait_for_text(&format!("[filter: {container}]"), limit);
    }

    pub fn wait_for_text(&self, needle: &str, limit: Duration) {
        self.wait_for(&format!("{needle:?}"), limit, |s| s.contains(needle));
    }

    /// Waits for the program to exit and returns its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> u32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("program did not exit; screen:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What [`Pty::state`] reads back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenState {
    pub cells: String,
    pub text: String,
    pub cursor: (u16, u16),
    pub alternate: bool,
    pub application_cursor: bool,
    pub bracketed_paste: bool,
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn nz(v: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(v).expect("terminal sizes are non-zero")
}

impl Pty {
    /// The screen's rows, one string each (box characters are one column,
    /// so a char index is a column on the screens these tests read).
    pub fn rows(&self) -> Vec<String> {
        let p = self.screen.lock().expect("screen");
        let (_, cols) = p.screen().size();
        p.screen().rows(0, cols.get()).collect()
    }

    /// The inner size (rows, cols) of the bordered box whose top edge
    /// holds `title`, if one is on screen.
    pub fn box_inner_size(&self, title: &str) -> Option<(usize, usize)> {
        let rows: Vec<Vec<char>> = self.rows().iter().map(|r| r.chars().collect()).collect();
        let title: Vec<char> = title.chars().collect();
        for (y, row) in rows.iter().enumerate() {
            let Some(x) = row.windows(title.len()).position(|w| w == title.as_slice()) else {
                continue;
            };
            let left = (0..x).rev().find(|&i| matches!(row[i], '┌' | '┏'))?;
            let right = (x..row.len()).find(|&i| matches!(row[i], '┐' | '┓'))?;
            let bottom =
                (y + 1..rows.len()).find(|&j| matches!(rows[j].get(left), Some('└' | '┗')))?;
            return Some((bottom - y - 1, right - left - 1));
        }
        None
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
