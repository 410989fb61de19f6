//! A TCP relay between a client and an agent whose link can be cut the way
//! a network fails: `freeze` stops moving bytes in both directions while
//! every socket stays open, so neither end sees a FIN or a reset and only
//! HTTP/2 keepalive can tell that the peer is gone.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TcpProxy {
    pub addr: String,
    frozen: Arc<AtomicBool>,
    /// Cut: open connections were closed, new ones are closed at once.
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl TcpProxy {
    /// Relays 127.0.0.1:<free port> to `target`.
    pub fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("proxy address").to_string();
        let frozen = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let target = target.to_string();
        let accept = {
            let (frozen, stop, conns) = (frozen.clone(), stop.clone(), conns.clone());
            let cut = cut.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) if cut.load(Ordering::SeqCst) => {
                            let _ = client.shutdown(Shutdown::Both);
                        }
                        Ok((client, _)) => {
                            let _ = client.set_nonblocking(false);
                            let Ok(agent) = TcpStream::connect(&target) else {
                                continue;
                            };
                            let (Ok(c2), Ok(a2)) = (client.try_clone(), agent.try_clone()) else {
                                continue;
                            };
                            {
                                let mut list = conns.lock().expect("conns");
                                list.extend(client.try_clone().ok());
                                list.extend(agent.try_clone().ok());
                            }
                            let f = frozen.clone();
                            std::thread::spawn(move || pump(client, agent, &f));
                            let f = frozen.clone();
                            std::thread::spawn(move || pump(a2, c2, &f));
                        }
                        // Nothing waiting, or a passing failure (EMFILE,
                        // ECONNABORTED): try again rather than go quiet.
                        Err(e) => {
                            if e.kind() != ErrorKind::WouldBlock {
                                eprintln!("tcp proxy: accept: {e}");
                            }
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                }
            })
        };
        TcpProxy {
            addr,
            frozen,
            cut,
            stop,
            conns,
            accept: Some(accept),
        }
    }

    /// The network "fails": nothing passes any more, nothing is closed.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// The link drops: every open connection is closed (both ends see it)
    /// and new ones are closed as soon as they are accepted, until
    /// [`restore`](Self::restore).
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for c in self.conns.lock().expect("conns").drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // No connection can be added once the accept loop has ended.
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for c in self.conns.lock().expect("conns").drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Frozen pumps wake, find their sockets shut and end.
        self.frozen.store(false, Ordering::SeqCst);
    }
}

/// Copies one direction; once frozen, holds whatever it has and stops
/// reading, so the sender's kernel buffers fill as on a dead link.
fn pump(mut from: TcpStream, mut to: TcpStream, frozen: &AtomicBool) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while frozen.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while frozen.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
