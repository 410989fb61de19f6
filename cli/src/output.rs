//! Output to stdout and stderr on its own thread, for `exec` and `logs`.

use std::io::{ErrorKind, Write};

use anyhow::bail;
use bytes::Bytes;
use dockyard_client::OutputStream;

/// Writes the command's output on its own thread. Blocking writes to a
/// slow reader (`| less` left on its first page) must not stall the
/// runtime, which keeps answering the connection's keepalive pings; the
/// bounded queue passes the slowness back to the agent instead.
pub struct OutputWriter {
    tx: Option<tokio::sync::mpsc::Sender<(OutputStream, Bytes)>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl OutputWriter {
    pub fn spawn() -> std::io::Result<Self> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(OutputStream, Bytes)>(8);
        let thread = std::thread::Builder::new()
            .name("output".into())
            .spawn(move || {
                let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
                while let Some((stream, data)) = rx.blocking_recv() {
                    let out: &mut dyn Write = match stream {
                        OutputStream::Stdout => &mut stdout,
                        OutputStream::Stderr => &mut stderr,
                    };
                    out.write_all(&data)?;
                    out.flush()?;
                }
                Ok(())
            })?;
        Ok(OutputWriter {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Err when the writer has stopped (its error comes from `finish`).
    pub async fn write(&self, stream: OutputStream, data: Bytes) -> Result<(), ()> {
        match &self.tx {
            Some(tx) => tx.send((stream, data)).await.map_err(|_| ()),
            None => Err(()),
        }
    }

    /// Flushes everything queued and reports how writing went: `Ok(0)`,
    /// or 141 when the reader went away (`| head`), as a program killed
    /// by SIGPIPE would.
    pub fn finish(&mut self) -> anyhow::Result<i32> {
        self.tx = None;
        let Some(thread) = self.thread.take() else {
            return Ok(0);
        };
        match thread.join() {
            Ok(Ok(())) => Ok(0),
            Ok(Err(e)) if e.kind() == ErrorKind::BrokenPipe => Ok(128 + libc::SIGPIPE),
            Ok(Err(e)) => bail!("writing output: {e}"),
            Err(_) => bail!("the output thread panicked"),
        }
    }
}

/// What a command exits with when its output's reader went away (`|
/// head`): as a program killed by SIGPIPE.
pub const EXIT_PIPE: i32 = 128 + libc::SIGPIPE;

/// The status when dockyard itself could not run what was asked (an
/// agent unreachable, a container missing or stopped, a bad flag), as
/// docker's 125.
pub const EXIT_DOCKYARD: i32 = 125;

/// Writes `text` to stdout. False when the reader went away; other write
/// errors are errors.
pub fn print(text: &str) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Go's tabwriter as docker's tables use it (minwidth 10, padding 3):
/// each column as wide as its widest cell plus three, at least ten; the
/// last column unpadded.
pub fn tabwriter(table: &[Vec<String>]) -> String {
    let columns = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            let widest = table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0);
            (widest + 3).max(10)
        })
        .collect();
    let mut out = String::new();
    for row in table {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// Says on stderr which nodes of `host`'s cluster did not answer (their
/// containers or sessions are missing from what is shown); true if any.
pub fn say_unreachable(host: &str, nodes: &[dockyard_client::pb::NodeError]) -> bool {
    use dockyard_client::text::printable;
    for u in nodes {
        eprintln!(
            "dockyard: {host}: node {}: {}",
            printable(&u.node),
            printable(&u.error)
        );
    }
    !nodes.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_as_docker_pads_them() {
        let t = vec![
            vec!["NAME".to_string(), "CPU %".into(), "PIDS".into()],
            vec![
                "a-long-container-name".to_string(),
                "0.00%".into(),
                "1".into(),
            ],
        ];
        assert_eq!(
            tabwriter(&t),
            "NAME                    CPU %     PIDS\na-long-container-name   0.00%     1\n"
        );
    }
}
