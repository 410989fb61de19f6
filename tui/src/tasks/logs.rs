//! A container's log followed into a pane, read-only: stderr in red, a
//! non-TTY log's bare line feeds made into new lines for the screen.

use bytes::Bytes;
use dockyard_client::Client;
use dockyard_client::dial::status_text;
use dockyard_client::pb::{LogsRequest, OutputKind};
use tokio::sync::mpsc;

use crate::msg::SessionEvent;

/// Follows a container's log into the pane: stderr in red, a non-TTY
/// log's bare line feeds made into new lines for the screen.
pub(super) async fn run_logs(
    client: Client,
    request: LogsRequest,
    events: mpsc::Sender<SessionEvent>,
) {
    // A cluster's entry takes it to the container's node.
    let opened = client.clone().container_logs(request).await;
    let mut stream = match opened {
        Ok(s) => s.into_inner(),
        Err(s) => {
            let _ = events.send(SessionEvent::Failed(status_text(&s))).await;
            return;
        }
    };
    if !super::session::started_alone(&events).await {
        return;
    }
    let mut tty = false;
    loop {
        let ev = match stream.message().await {
            Ok(Some(chunk)) => {
                tty |= chunk.tty;
                if chunk.data.is_empty() {
                    continue;
                }
                let stderr = chunk.output_kind() == OutputKind::Stderr;
                SessionEvent::Output(for_screen(&chunk.data, stderr, tty))
            }
            Ok(None) => SessionEvent::Exited {
                code: 0,
                message: "end of the log: the container stopped".into(),
                cause: dockyard_client::Cause::Unspecified,
            },
            Err(s) => SessionEvent::Failed(status_text(&s)),
        };
        let last = !matches!(ev, SessionEvent::Output(_));
        if events.send(ev).await.is_err() || last {
            return;
        }
    }
}

/// A log chunk as the pane's screen should get it.
fn for_screen(data: &[u8], stderr: bool, tty: bool) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32 + 10);
    if stderr {
        out.extend_from_slice(b"\x1b[31m");
    }
    if tty {
        out.extend_from_slice(data);
    } else {
        for &b in data {
            if b == b'\n' {
                out.push(b'\r');
            }
            out.push(b);
        }
    }
    if stderr {
        out.extend_from_slice(b"\x1b[39m");
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::for_screen;

    #[test]
    fn logs_for_the_screen() {
        assert_eq!(&for_screen(b"a\nb\n", false, false)[..], b"a\r\nb\r\n");
        assert_eq!(
            &for_screen(b"oops\n", true, false)[..],
            b"\x1b[31moops\r\n\x1b[39m"
        );
        assert_eq!(&for_screen(b"raw\r\n", false, true)[..], b"raw\r\n");
    }
}
