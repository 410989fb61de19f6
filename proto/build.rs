//! Generates the gRPC code from `proto/dockyard.proto` with a vendored
//! `protoc`, so a fresh machine needs nothing but cargo.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // Exec, log and archive payloads stay `bytes::Bytes` from the engine to the wire to the
    // terminal: no copies into Vec<u8> on the way.
    config.bytes([
        ".dockyard.ExecInput.data",
        ".dockyard.ExecOutput.data",
        ".dockyard.LogsChunk.data",
        ".dockyard.ArchiveChunk.data",
        ".dockyard.CopyToRequest.data",
    ]);
    tonic_prost_build::configure().compile_with_config(
        config,
        &["proto/dockyard.proto"],
        &["proto"],
    )?;
    Ok(())
}
