//! `dockyard debug c true` against `exec c true` on a container that has a
//! shell: what a debug session costs over an exec, cold (its helper is
//! started and removed around it) and warm (another debug session keeps
//! the container's helper alive, so the session is an exec into it).

use dockyard_tests::debug::{TOOLBOX, ensure_images};
use dockyard_tests::{TestAgent, TestContainer};

use crate::exec::dockyard;
use crate::table::{Table, alternate, timed};

pub fn debug_latency(t: &mut Table, agent: &TestAgent, c: &TestContainer, rounds: usize) {
    ensure_images();
    let host = Some(agent.addr.as_str());
    let debug = || {
        timed(dockyard(
            host,
            &["debug", "--image", TOOLBOX, &c.name, "true"],
        ))
    };
    let exec = || timed(dockyard(host, &["exec", &c.name, "true"]));
    let (cold, exec_cold) = alternate(rounds, debug, exec);
    t.add(
        "debug latency, `debug c true`, helper started each time",
        &cold,
        &exec_cold,
        "dockyard exec",
        "ms",
    );
    // A session that holds the helper: the measured ones reuse it.
    let mut holder = dockyard(
        host,
        &["debug", "--image", TOOLBOX, &c.name, "sleep", "100000"],
    )
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .spawn()
    .expect("holding debug session");
    // Its helper is up once a debug session answers at all.
    timed(dockyard(
        host,
        &["debug", "--image", TOOLBOX, &c.name, "true"],
    ));
    let (warm, exec_warm) = alternate(rounds, debug, exec);
    t.add(
        "debug latency, `debug c true`, helper kept by another session",
        &warm,
        &exec_warm,
        "dockyard exec",
        "ms",
    );
    let _ = holder.kill();
    let _ = holder.wait();
}
