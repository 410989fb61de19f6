//! How every connection to an agent is configured (remote or in-memory),
//! so both paths behave the same: message limits, HTTP/2 windows and
//! frames, keepalive. Part of the contract: an agent and its clients
//! agree on these.

use std::time::Duration;

use tonic::transport::Endpoint;

/// Message size limit on both sides of the wire. Exec frames are at most
/// 64 KiB; listings of thousands of containers stay far below this.
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// HTTP/2 flow-control windows. The defaults (64 KiB) cap a single exec
/// stream at roughly one window per round trip; bulk output needs more.
pub const STREAM_WINDOW: u32 = 4 * 1024 * 1024;
pub const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;

/// Largest HTTP/2 frame each side accepts (the default is 16 KiB).
pub const MAX_FRAME: u32 = 256 * 1024;

/// What a client's connection carries, which decides how much output
/// each of its streams may have on the way, unread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flow {
    /// An exec or two, each read as fast as it comes (`dockyard exec`,
    /// scripts): windows as large as bulk output needs.
    #[default]
    Bulk,
    /// Many sessions side by side, each read at the pace its pane is
    /// drawn (the TUI). A stream window is what one pane may have unread;
    /// the connection's is far more than all of them together. HTTP/2
    /// gives back connection window only as streams are read, so with
    /// [`Flow::Bulk`]'s windows four flooding panes that the TUI reads
    /// slowly filled the connection's window, and a keystroke's echo in a
    /// fifth pane waited for them to be read (tens of milliseconds).
    Panes,
}

/// [`Flow::Panes`]' windows: 512 KiB unread per pane (10 MB/s at 50 ms
/// round trips), and room for 512 such panes on one connection.
pub const PANE_STREAM_WINDOW: u32 = 512 * 1024;
pub const PANE_CONNECTION_WINDOW: u32 = 256 * 1024 * 1024;

/// Client endpoint settings shared by every connection to an agent.
pub fn tune(endpoint: Endpoint, flow: Flow) -> Endpoint {
    let (stream, connection) = match flow {
        Flow::Bulk => (STREAM_WINDOW, CONNECTION_WINDOW),
        Flow::Panes => (PANE_STREAM_WINDOW, PANE_CONNECTION_WINDOW),
    };
    endpoint
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .initial_stream_window_size(stream)
        .initial_connection_window_size(connection)
        .max_frame_size(MAX_FRAME)
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true)
}
