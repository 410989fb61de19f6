//! A program's stdin and stdout as one connection: what `ssh HOST
//! dockyard-agent dial-stdio` gives a client, and `ssh HOST docker system
//! dial-stdio` an engine connection. The program is killed when the
//! connection is dropped (nothing is left running), and what it writes to
//! stderr is kept (its last words say why it failed).

use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, BufReader, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// A running program's pipes.
pub struct ChildPipe {
    /// Buffered: a caller may read a line first (a hello) and leave what
    /// came after it for the connection.
    pub stdout: BufReader<ChildStdout>,
    /// None once shut down: closing the pipe is the program's end of
    /// input (tokio's shutdown of a child's stdin only flushes it).
    stdin: Option<ChildStdin>,
    pub child: Child,
    pub said: Said,
    /// Whether stdout has given anything yet: a program that ends before
    /// saying a word failed, and its stderr says why.
    heard: bool,
}

impl ChildPipe {
    /// Runs `cmd` with its stdio piped.
    pub fn spawn(mut cmd: Command) -> std::io::Result<ChildPipe> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let said = Said::default();
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(said.clone().collect(stderr));
        }
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("the program has no pipes"));
        };
        Ok(ChildPipe {
            stdout: BufReader::new(stdout),
            stdin: Some(stdin),
            child,
            said,
            heard: false,
        })
    }

    /// Why the program ended, in its words: its exit code and the last
    /// line it wrote to stderr (waiting a little for both).
    pub async fn last_words(&mut self) -> (Option<i32>, String) {
        let status =
            tokio::time::timeout(std::time::Duration::from_secs(2), self.child.wait()).await;
        let code = status.ok().and_then(Result::ok).and_then(|s| s.code());
        // What it wrote comes in as it ends.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        (code, self.said.last_line())
    }
}

/// What a program wrote to stderr, the last few KiB of it.
#[derive(Clone, Default)]
pub struct Said(Arc<Mutex<Heard>>);

#[derive(Default)]
struct Heard {
    text: String,
    /// stderr is closed: the program has ended (or closed it).
    done: bool,
    waiting: Option<std::task::Waker>,
}

impl Said {
    async fn collect(self, mut stderr: tokio::process::ChildStderr) {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let Ok(mut heard) = self.0.lock() else {
                break;
            };
            let text = &mut heard.text;
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if text.len() > 8192 {
                let cut = text.len() - 4096;
                let cut = (cut..text.len())
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                text.drain(..cut);
            }
        }
        if let Ok(mut heard) = self.0.lock() {
            heard.done = true;
            if let Some(w) = heard.waiting.take() {
                w.wake();
            }
        }
    }

    /// Ready once stderr is closed.
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        let Ok(mut heard) = self.0.lock() else {
            return Poll::Ready(());
        };
        if heard.done {
            return Poll::Ready(());
        }
        heard.waiting = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The last line that says something.
    pub fn last_line(&self) -> String {
        let text = self.0.lock().map(|t| t.text.clone()).unwrap_or_default();
        text.lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or_default()
            .to_string()
    }
}

impl ChildPipe {
    /// The program ended (or broke the pipe) before a word on stdout:
    /// what it said on stderr is the error (`docker: command not found`),
    /// once stderr has closed too; `otherwise` when it said nothing.
    fn poll_why<T>(
        &mut self,
        cx: &mut Context<'_>,
        otherwise: std::io::Result<T>,
    ) -> Poll<std::io::Result<T>> {
        std::task::ready!(self.said.poll_done(cx));
        let words = self.said.last_line();
        if words.is_empty() {
            return Poll::Ready(otherwise);
        }
        self.heard = true;
        Poll::Ready(Err(std::io::Error::other(words)))
    }
}

impl AsyncRead for ChildPipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        if self.heard || buf.remaining() == 0 {
            return Pin::new(&mut self.stdout).poll_read(cx, buf);
        }
        if let Err(e) = std::task::ready!(Pin::new(&mut self.stdout).poll_read(cx, buf)) {
            return self.poll_why(cx, Err(e));
        }
        if buf.filled().len() > before {
            self.heard = true;
            return Poll::Ready(Ok(()));
        }
        self.poll_why(cx, Ok(()))
    }
}

impl AsyncWrite for ChildPipe {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = match self.stdin.as_mut() {
            Some(stdin) => std::task::ready!(Pin::new(stdin).poll_write(cx, buf)),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        match written {
            Err(e) if !self.heard => self.poll_why(cx, Err(e)),
            other => Poll::Ready(other),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Flushes, then closes the program's stdin: a half-close the far end
    /// sees (an exec's stdin ends).
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if let Some(stdin) = self.stdin.as_mut() {
            std::task::ready!(Pin::new(stdin).poll_flush(cx))?;
        }
        self.stdin = None;
        Poll::Ready(Ok(()))
    }
}
