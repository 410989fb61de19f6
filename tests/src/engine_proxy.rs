//! A stand-in for the Docker engine's socket that a test can take away and
//! bring back: it forwards every connection to the real engine while up,
//! and when stopped it drops them all and removes the socket, as an engine
//! restart does from a client's point of view. Restarting the machine's
//! real dockerd would break every other test running alongside.

use std::io::ErrorKind;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The real engine's socket: DOCKER_HOST's when it names one, as for the
/// other fixtures.
fn engine_socket() -> PathBuf {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"))
}

pub struct EngineProxy {
    path: PathBuf,
    running: Option<Running>,
}

struct Running {
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<UnixStream>>>,
    accept: JoinHandle<()>,
}

impl EngineProxy {
    pub fn start() -> Self {
        let path = std::env::temp_dir().join(format!(
            "{}.docker.sock",
            crate::unique_name("engine-proxy")
        ));
        let mut p = EngineProxy {
            path,
            running: None,
        };
        p.up();
        p
    }

    /// `unix://...`, for the agent's DOCKER_HOST.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Starts forwarding again on the same path.
    pub fn up(&mut self) {
        assert!(self.running.is_none(), "the proxy is already up");
        let listener = UnixListener::bind(&self.path).expect("bind the engine proxy socket");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (stop, conns) = (stop.clone(), conns.clone());
            let engine = engine_socket();
            std::thread::spawn(move || accept_loop(listener, &engine, &stop, &conns))
        };
        self.running = Some(Running {
            stop,
            conns,
            accept,
        });
    }

    /// The engine "goes away": no new connections, every open one cut.
    pub fn down(&mut self) {
        let Some(r) = self.running.take() else {
            return;
        };
        r.stop.store(true, Ordering::SeqCst);
        let _ = r.accept.join();
        let _ = std::fs::remove_file(&self.path);
        for c in r.conns.lock().expect("conns").drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.down();
    }
}

fn accept_loop(
    listener: UnixListener,
    engine_path: &Path,
    stop: &AtomicBool,
    conns: &Mutex<Vec<UnixStream>>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                let Ok(engine) = UnixStream::connect(engine_path) else {
                    continue;
                };
                let (Ok(c2), Ok(e2)) = (client.try_clone(), engine.try_clone()) else {
                    continue;
                };
                {
                    let mut list = conns.lock().expect("conns");
                    list.extend(client.try_clone().ok());
                    list.extend(engine.try_clone().ok());
                }
                std::thread::spawn(move || pump(client, engine));
                std::thread::spawn(move || pump(e2, c2));
            }
            // Nothing waiting, or a passing failure: try again rather than
            // go quiet while the test believes the engine is up.
            Err(e) => {
                if e.kind() != ErrorKind::WouldBlock {
                    eprintln!("engine proxy: accept: {e}");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// Copies one direction until either side ends, then passes the end on.
fn pump(mut from: UnixStream, mut to: UnixStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(std::net::Shutdown::Write);
}
