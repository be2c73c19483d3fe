//! `gigaplot serve DIR`: a small static file server for a pyramid, on loopback by default.
//!
//! HTTP/1.1 `GET` and `HEAD` only, one short-lived thread per connection (at most
//! [`MAX_CONNECTIONS`] at once, further ones get 503), `Connection: close`. Paths are
//! percent-decoded and must stay inside DIR: `..`, absolute paths, backslashes, NUL and
//! hidden names (temporary tiles) are refused. `/` serves `index.html`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

/// Where `gigaplot serve` listens unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// Most connections handled at once.
pub const MAX_CONNECTIONS: usize = 64;

/// One served request, for logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLog {
    /// `GET` or `HEAD` (or whatever was sent).
    pub method: String,
    /// The path as requested.
    pub path: String,
    /// The status code answered.
    pub status: u16,
}

/// Receives every request served.
pub type Logger = Arc<dyn Fn(&RequestLog) + Send + Sync>;

/// A bound static file server over a directory.
pub struct StaticServer {
    listener: TcpListener,
    root: PathBuf,
    logger: Logger,
    stop: Arc<AtomicBool>,
}

/// Stops a running [`StaticServer`] from another thread.
#[derive(Clone)]
pub struct StopHandle {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl StopHandle {
    /// Makes [`StaticServer::run`] return after the connection in progress.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept call.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Serves `dir` on `addr` until killed, logging each request to stderr.
pub fn serve(dir: &Path, addr: SocketAddr) -> Result<()> {
    let server = StaticServer::bind(dir, addr)?;
    eprintln!("serving {} on http://{}/ (Ctrl-C to stop)", dir.display(), server.local_addr()?);
    server.with_logger(Arc::new(|r: &RequestLog| eprintln!("{} {} {}", r.method, r.path, r.status))).run()
}

impl StaticServer {
    /// Binds `addr` (port 0 picks a free port) to serve `dir`. Fails naming the directory
    /// or `--addr`.
    pub fn bind(dir: &Path, addr: SocketAddr) -> Result<StaticServer> {
        let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        if !root.is_dir() {
            return Err(Error::bad_parameter(dir.display().to_string(), "is not a directory"));
        }
        let listener = TcpListener::bind(addr)
            .map_err(|e| Error::bad_parameter("--addr", format!("cannot listen on {addr}: {e}")))?;
        Ok(StaticServer { listener, root, logger: Arc::new(|_| {}), stop: Arc::new(AtomicBool::new(false)) })
    }

    /// Calls `logger` for every request.
    pub fn with_logger(mut self, logger: Logger) -> StaticServer {
        self.logger = logger;
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|e| Error::bad_parameter("--addr", e.to_string()))
    }

    /// A handle that stops [`StaticServer::run`].
    pub fn stop_handle(&self) -> Result<StopHandle> {
        Ok(StopHandle { addr: self.local_addr()?, stop: self.stop.clone() })
    }

    /// Accepts and answers connections until stopped.
    pub fn run(self) -> Result<()> {
        let active = Arc::new(AtomicUsize::new(0));
        let root = Arc::new(self.root);
        for stream in self.listener.incoming() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(mut stream) = stream else { continue };
            if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                active.fetch_sub(1, Ordering::SeqCst);
                let _ = respond(&mut stream, 503, "text/plain", b"busy\n", true);
                continue;
            }
            let (root, logger, active) = (root.clone(), self.logger.clone(), active.clone());
            std::thread::spawn(move || {
                handle(&root, stream, &logger);
                active.fetch_sub(1, Ordering::SeqCst);
            });
        }
        Ok(())
    }
}

/// Answers one request and logs it before the connection closes.
fn handle(root: &Path, mut stream: TcpStream, logger: &Logger) {
    if let Some(log) = answer(root, &mut stream) {
        logger(&log);
    }
}

/// Answers one request; None when the client sent nothing readable.
fn answer(root: &Path, stream: &mut TcpStream) -> Option<RequestLog> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().ok()?).take(16 * 1024);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    // Skip the headers.
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next().unwrap_or("").to_string());
    let head = method == "HEAD";
    let status = if method != "GET" && !head {
        let _ = respond(stream, 405, "text/plain", b"only GET and HEAD\n", head);
        405
    } else {
        match resolve(root, &target) {
            Some(path) => match std::fs::read(&path) {
                Ok(body) => {
                    let _ = respond(stream, 200, content_type(&path), &body, head);
                    200
                }
                Err(_) => {
                    let _ = respond(stream, 404, "text/plain", b"not found\n", head);
                    404
                }
            },
            None => {
                let _ = respond(stream, 404, "text/plain", b"not found\n", head);
                404
            }
        }
    };
    Some(RequestLog { method, path: target, status })
}

/// Writes a complete response.
fn respond(stream: &mut TcpStream, status: u16, kind: &str, body: &[u8], head: bool) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// The file under `root` a request target names, or None when it would leave `root`, is
/// hidden or malformed. `/` and directories map to their `index.html`.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path)?;
    if !decoded.starts_with('/') || decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut out = root.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(name) if !name.to_string_lossy().starts_with('.') => out.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    // Symbolic links must not lead outside either.
    let real = out.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

/// Decodes `%XX` escapes; None on a bad escape or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type of a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn serves_files_with_types_and_refuses_escapes() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("pyr");
        std::fs::create_dir_all(dir.join("0/0")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.join("0/0/0.png"), b"\x89PNG").unwrap();
        std::fs::write(dir.join(".0.png.gigaplot-1.tmp"), "x").unwrap();
        std::fs::write(parent.path().join("secret"), "s").unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let server = StaticServer::bind(&dir, "127.0.0.1:0".parse().unwrap())
            .unwrap()
            .with_logger(Arc::new(move |r: &RequestLog| sink.lock().unwrap().push(r.clone())));
        let addr = server.local_addr().unwrap();
        let stop = server.stop_handle().unwrap();
        let thread = std::thread::spawn(move || server.run());

        let index = get(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
        assert!(index.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(index.ends_with("\r\n\r\n<p>hi</p>"));
        let tile = get(addr, "GET /0/0/0.png?v=1 HTTP/1.1\r\n\r\n");
        assert!(tile.contains("Content-Type: image/png\r\nContent-Length: 4\r\n"), "{tile}");
        let head = get(addr, "HEAD /%30/0/0.png HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200") && head.ends_with("\r\n\r\n"), "{head}");
        for bad in ["/../secret", "/%2e%2e/secret", "/.0.png.gigaplot-1.tmp", "/0/0/9.png", "/%zz", "secret"]
        {
            let answer = get(addr, &format!("GET {bad} HTTP/1.1\r\n\r\n"));
            assert!(answer.starts_with("HTTP/1.1 404"), "{bad}: {answer}");
        }
        assert!(get(addr, "POST / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        stop.stop();
        thread.join().unwrap().unwrap();
        let log = log.lock().unwrap();
        assert_eq!(log[0], RequestLog { method: "GET".into(), path: "/".into(), status: 200 });
        assert_eq!(log[1].path, "/0/0/0.png?v=1");
    }
}
