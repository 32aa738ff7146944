//! A plain HTTP/1.1 server on 127.0.0.1 that answers by path from a table,
//! well-behaved or not, for the tests of downloads (`update`, AIA
//! completion). It runs on plain threads until the test process ends and
//! logs every path requested.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers for a path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body and no Content-Type.
    Body(Vec<u8>),
    /// 200 with this body and Content-Type.
    Typed(Vec<u8>, &'static str),
    /// This status with an empty body.
    Status(u16),
    /// 302 to this location.
    Redirect(String),
    /// Reads the request and never answers (for a minute).
    Stall,
    /// A body of this many bytes, streamed.
    Huge(usize),
}

/// The running server.
pub struct HttpServer {
    addr: SocketAddr,
    requested: Arc<Mutex<Vec<String>>>,
}

impl HttpServer {
    /// Serves `routes` (path -> reply; other paths get 404).
    pub fn start(routes: HashMap<String, Reply>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = Arc::new(routes);
        let requested: Arc<Mutex<Vec<String>>> = Default::default();
        let log = requested.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (routes, log) = (routes.clone(), log.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request = String::new();
                    let _ = reader.read_line(&mut request);
                    let path = request.split(' ').nth(1).unwrap_or("").to_string();
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    log.lock().unwrap().push(path.clone());
                    let reply = routes.get(&path).cloned().unwrap_or(Reply::Status(404));
                    let _ = answer(stream, reply);
                });
            }
        });
        HttpServer { addr, requested }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// Every path requested so far, in order.
    pub fn requested(&self) -> Vec<String> {
        self.requested.lock().unwrap().clone()
    }
}

fn answer(mut out: std::net::TcpStream, reply: Reply) -> std::io::Result<()> {
    let head = |status: &str, extra: &str, len: usize| {
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    match reply {
        Reply::Body(b) => {
            out.write_all(head("200 OK", "", b.len()).as_bytes())?;
            out.write_all(&b)
        }
        Reply::Typed(b, kind) => {
            out.write_all(
                head("200 OK", &format!("Content-Type: {kind}\r\n"), b.len()).as_bytes(),
            )?;
            out.write_all(&b)
        }
        Reply::Status(code) => out.write_all(head(&format!("{code} Nope"), "", 0).as_bytes()),
        Reply::Redirect(to) => {
            out.write_all(head("302 Found", &format!("Location: {to}\r\n"), 0).as_bytes())
        }
        Reply::Stall => {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        Reply::Huge(len) => {
            out.write_all(head("200 OK", "", len).as_bytes())?;
            let chunk = vec![b'0'; 64 << 10];
            let mut sent = 0;
            while sent < len {
                let n = chunk.len().min(len - sent);
                out.write_all(&chunk[..n])?;
                sent += n;
            }
            Ok(())
        }
    }
}
