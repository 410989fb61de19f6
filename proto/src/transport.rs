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

/// Client endpoint settings shared by every connection to an agent.
pub fn tune(endpoint: Endpoint) -> Endpoint {
    endpoint
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME)
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true)
}
