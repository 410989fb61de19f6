//! The agent binary itself: health service, refusing unsafe listening.

use dockyard_tests::{TestAgent, agent_bin, block_on};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[test]
fn health_service_reports_serving() {
    let agent = TestAgent::start();
    let addr = format!("http://{}", agent.addr);
    block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(addr)
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut client = HealthClient::new(channel);
        for service in ["", "dockyard.DockyardService"] {
            let resp = client
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .expect("health check")
                .into_inner();
            assert_eq!(resp.status(), ServingStatus::Serving, "service {service:?}");
        }
    });
}

#[test]
fn refuses_non_loopback_without_insecure() {
    let o = std::process::Command::new(agent_bin())
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("run agent");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:0"), "{err}");
    assert!(o.stdout.is_empty(), "it must not have started listening");
}

#[test]
fn bad_listen_address_is_one_line() {
    let o = std::process::Command::new(agent_bin())
        .args(["--listen", "not-an-address"])
        .output()
        .expect("run agent");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not-an-address"), "{err}");
}
