//! The exec conversation's answers, spelled once: the status and output
//! messages every exec (plain or session, started or attached) sends, and
//! the in-band refusal. One place, so the wire cannot say the same thing
//! two ways.

use bytes::Bytes;
use dockyard_proto::pb::{
    ExecOutput, ExecResponse, ExecStatus, OutputKind, exec_response::ResponseType,
};
use tokio::sync::mpsc;
use tonic::Status;

/// A client's response stream, as the service hands it out.
pub type ResponseTx = mpsc::Sender<Result<ExecResponse, Status>>;

pub fn status(s: ExecStatus) -> Result<ExecResponse, Status> {
    Ok(ExecResponse {
        response_type: Some(ResponseType::Status(s)),
    })
}

pub fn output(kind: OutputKind, data: Bytes) -> Result<ExecResponse, Status> {
    Ok(ExecResponse {
        response_type: Some(ResponseType::Output(ExecOutput::new(kind, data))),
    })
}

/// The exec could not be started (or joined): said in band, as the seed's
/// agent does, so the client reads a reason rather than a broken stream.
pub async fn reject(tx: &ResponseTx, message: String) {
    tracing::info!("exec rejected: {message}");
    let _ = tx
        .send(status(ExecStatus {
            success: false,
            message,
            ..Default::default()
        }))
        .await;
}
