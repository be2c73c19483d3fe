//! `gigaplot serve DIR`: a small static file server for a pyramid, on loopback by default
//! (feature `serve`, part of `cli`). It never prints: requests go to its [`Logger`].
//!
//! HTTP/1.1 with keep-alive on hyper, in a single-threaded tokio runtime. `GET` and `HEAD`
//! only. Files are streamed in [`CHUNK`]-byte reads, so memory does not grow with file
//! sizes or downloads, and `Range: bytes=...` gets the part asked for (206). Every request's
//! headers must arrive within [`HEADER_TIMEOUT`] of the connection becoming ready for them
//! (idle keep-alive connections included), else the connection is closed, so clients that
//! drip bytes cannot hold the server; at most [`MAX_CONNECTIONS`] connections are served at
//! once and further ones wait in the listen queue (no 503).
//!
//! Paths ([`resolve`]) are percent-decoded and must stay inside DIR: `..`, absolute paths,
//! backslashes, NUL and hidden names (temporary tiles) are refused, symbolic links must
//! resolve inside DIR, and only regular files are opened (no-follow, non-blocking, so a
//! FIFO cannot hang a worker). `/` and directories serve their `index.html`.

use std::convert::Infallible;
use std::future::Future;
use std::io::{Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{Notify, Semaphore};

use crate::error::{Error, Field, Result};

mod request;

pub use request::{byte_range, content_type, resolve, ByteRange};

/// Where `gigaplot serve` listens unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// Most connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;

/// Time a connection has to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes read from a file per body frame: the memory one download holds in gigaplot.
pub const CHUNK: usize = 64 << 10;

/// One served request, for logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLog {
    /// `GET` or `HEAD` (or whatever was sent).
    pub method: String,
    /// The path as requested, with its query.
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
    stop: Arc<Notify>,
    header_timeout: Duration,
    max_connections: usize,
}

/// Stops a running [`StaticServer`] from another thread.
#[derive(Clone)]
pub struct StopHandle {
    stop: Arc<Notify>,
}

impl StopHandle {
    /// Makes [`StaticServer::run`] return; connections in progress are dropped.
    pub fn stop(&self) {
        self.stop.notify_one();
    }
}

impl StaticServer {
    /// Binds `addr` (port 0 picks a free port) to serve `dir`. Fails naming the directory
    /// or `addr`.
    pub fn bind(dir: &Path, addr: SocketAddr) -> Result<StaticServer> {
        let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        if !root.is_dir() {
            return Err(Error::bad_input(dir, "is not a directory"));
        }
        let cannot =
            |e: std::io::Error| Error::bad_parameter(Field::Addr, format!("cannot listen on {addr}: {e}"));
        let listener = TcpListener::bind(addr).map_err(cannot)?;
        listener.set_nonblocking(true).map_err(cannot)?;
        Ok(StaticServer {
            listener,
            root,
            logger: Arc::new(|_| {}),
            stop: Arc::new(Notify::new()),
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        })
    }

    /// Calls `logger` for every request.
    pub fn with_logger(mut self, logger: Logger) -> StaticServer {
        self.logger = logger;
        self
    }

    /// Sets the time a connection has to send a request's headers (`HEADER_TIMEOUT`).
    pub fn with_header_timeout(mut self, timeout: Duration) -> StaticServer {
        self.header_timeout = timeout;
        self
    }

    /// Sets the number of connections served at once (`MAX_CONNECTIONS`, at least 1).
    pub fn with_max_connections(mut self, count: usize) -> StaticServer {
        self.max_connections = count.max(1);
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|e| Error::bad_parameter(Field::Addr, e.to_string()))
    }

    /// A handle that stops [`StaticServer::run`].
    pub fn stop_handle(&self) -> Result<StopHandle> {
        Ok(StopHandle { stop: self.stop.clone() })
    }

    /// Accepts and answers connections until stopped.
    pub fn run(self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::bad_parameter(Field::Addr, format!("cannot start the server: {e}")))?;
        let result = runtime.block_on(self.accept_loop());
        // Connections still open are dropped, not waited for.
        runtime.shutdown_background();
        result
    }

    /// Takes a connection slot, then a connection, and answers it on its own task.
    async fn accept_loop(self) -> Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .map_err(|e| Error::bad_parameter(Field::Addr, format!("cannot listen: {e}")))?;
        let slots = Arc::new(Semaphore::new(self.max_connections));
        let site = Arc::new(Site { root: self.root, logger: self.logger });
        loop {
            let Some(Ok(slot)) = until_stopped(&self.stop, slots.clone().acquire_owned()).await else {
                return Ok(());
            };
            let Some(accepted) = until_stopped(&self.stop, listener.accept()).await else { return Ok(()) };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors or a connection reset before it was accepted:
                    // let some finish before trying again.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let site = site.clone();
            let timeout = self.header_timeout;
            tokio::spawn(async move {
                let _slot = slot;
                let service = hyper::service::service_fn(move |request| {
                    let site = site.clone();
                    async move { Ok::<_, Infallible>(site.answer(request).await) }
                });
                // Errors (timeouts, resets, malformed requests) only end this connection.
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(timeout)
                    .title_case_headers(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}

/// Runs `work` until it completes or `stop` is notified (None).
async fn until_stopped<F: Future>(stop: &Notify, work: F) -> Option<F::Output> {
    let mut stopped = pin!(stop.notified());
    let mut work = pin!(work);
    std::future::poll_fn(|cx| {
        if stopped.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        work.as_mut().poll(cx).map(Some)
    })
    .await
}

/// What every connection shares: the directory and the logger.
struct Site {
    root: PathBuf,
    logger: Logger,
}

impl Site {
    /// The response to one request, logged.
    async fn answer(&self, request: Request<Incoming>) -> Response<FileBody> {
        let method = request.method().clone();
        let target =
            request.uri().path_and_query().map_or_else(|| request.uri().to_string(), |p| p.to_string());
        let response = if method == Method::GET || method == Method::HEAD {
            let (root, path) = (self.root.clone(), request.uri().path().to_string());
            match tokio::task::spawn_blocking(move || open(&root, &path)).await {
                Ok(Some(file)) => {
                    file_response(file, requested_range(request.headers()), method == Method::HEAD)
                }
                _ => text(StatusCode::NOT_FOUND, "not found\n"),
            }
        } else {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        };
        (self.logger)(&RequestLog {
            method: method.to_string(),
            path: target,
            status: response.status().as_u16(),
        });
        response
    }
}

/// A file opened for serving.
struct OpenFile {
    file: std::fs::File,
    len: u64,
    content_type: &'static str,
}

/// Opens the regular file under `root` that `path` names, or None.
fn open(root: &Path, path: &str) -> Option<OpenFile> {
    let real = resolve(root, path)?;
    // No-follow: the name resolved without links must still be no link; non-blocking: a
    // FIFO swapped in since must not block the open.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&real)
        .ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then(|| OpenFile { file, len: meta.len(), content_type: content_type(&real) })
}

/// The `Range` header to honour: none when absent, repeated, or conditional (`If-Range`,
/// whose validators this server does not send).
fn requested_range(headers: &HeaderMap) -> Option<String> {
    if headers.contains_key(header::IF_RANGE) {
        return None;
    }
    let mut values = headers.get_all(header::RANGE).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok().map(str::to_string),
        _ => None,
    }
}

/// The response for a file: whole (200), a part (206) or an unsatisfiable range (416).
fn file_response(open: OpenFile, range: Option<String>, head: bool) -> Response<FileBody> {
    let OpenFile { mut file, len, content_type } = open;
    let range = range.map_or(ByteRange::Whole, |r| byte_range(&r, len));
    let (status, start, count) = match range {
        ByteRange::Whole => (StatusCode::OK, 0, len),
        ByteRange::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        ByteRange::Unsatisfiable => {
            let mut response = text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
            set(&mut response, header::CONTENT_RANGE, format!("bytes */{len}"));
            return response;
        }
    };
    let body = if head || count == 0 {
        FileBody::empty()
    } else {
        match file.seek(SeekFrom::Start(start)) {
            Ok(_) => FileBody::file(tokio::fs::File::from_std(file), count),
            Err(_) => return text(StatusCode::NOT_FOUND, "not found\n"),
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    set(&mut response, header::CONTENT_TYPE, content_type.to_string());
    set(&mut response, header::CONTENT_LENGTH, count.to_string());
    set(&mut response, header::ACCEPT_RANGES, "bytes".to_string());
    if status == StatusCode::PARTIAL_CONTENT {
        set(&mut response, header::CONTENT_RANGE, format!("bytes {start}-{}/{len}", start + count - 1));
    }
    common_headers(&mut response);
    response
}

/// A short plain-text response.
fn text(status: StatusCode, body: &'static str) -> Response<FileBody> {
    let mut response = Response::new(FileBody::bytes(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    set(&mut response, header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string());
    common_headers(&mut response);
    response
}

/// Headers of every response: tiles change between renders, and types are not guessed.
fn common_headers(response: &mut Response<FileBody>) {
    set(response, header::CACHE_CONTROL, "no-cache".to_string());
    set(response, header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string());
}

/// Sets a header (values built here are always valid; an invalid one is left out).
fn set(response: &mut Response<FileBody>, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(name, value);
    }
}

/// A response body: a short text, or a file streamed [`CHUNK`] bytes at a time.
pub struct FileBody {
    inner: Inner,
}

enum Inner {
    Bytes(Option<Bytes>),
    File { file: tokio::fs::File, remaining: u64, buf: Vec<u8> },
}

impl FileBody {
    fn empty() -> FileBody {
        FileBody { inner: Inner::Bytes(None) }
    }

    fn bytes(bytes: Bytes) -> FileBody {
        FileBody { inner: Inner::Bytes(Some(bytes)) }
    }

    /// The next `count` bytes of `file`.
    fn file(file: tokio::fs::File, count: u64) -> FileBody {
        FileBody { inner: Inner::File { file, remaining: count, buf: Vec::new() } }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, std::io::Error>>> {
        match &mut self.get_mut().inner {
            Inner::Bytes(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::File { remaining: 0, .. } => Poll::Ready(None),
            Inner::File { file, remaining, buf } => {
                let want = (*remaining).min(CHUNK as u64) as usize;
                buf.resize(want, 0);
                let mut read = ReadBuf::new(&mut buf[..want]);
                match Pin::new(file).poll_read(cx, &mut read) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    // The file was cut short since it was opened: end the connection, as
                    // its Content-Length can no longer be honoured.
                    Poll::Ready(Ok(())) if read.filled().is_empty() => {
                        Poll::Ready(Some(Err(std::io::ErrorKind::UnexpectedEof.into())))
                    }
                    Poll::Ready(Ok(())) => {
                        *remaining -= read.filled().len() as u64;
                        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(read.filled())))))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.inner, Inner::Bytes(None) | Inner::File { remaining: 0, .. })
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Bytes(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::File { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::Mutex;

    /// Sends `request` on a new connection (closed after the answer) and returns all of it.
    fn get(addr: SocketAddr, request: &str) -> String {
        let (line, rest) = request.split_once("\r\n").unwrap();
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("{line}\r\nConnection: close\r\n{rest}").as_bytes()).unwrap();
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
        std::os::unix::fs::symlink(parent.path().join("secret"), dir.join("link")).unwrap();
        let fifo = std::ffi::CString::new(dir.join("fifo.png").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
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
        assert!(
            tile.contains("Content-Type: image/png\r\n") && tile.contains("Content-Length: 4\r\n"),
            "{tile}"
        );
        let head = get(addr, "HEAD /%30/0/0.png HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200") && head.ends_with("\r\n\r\n"), "{head}");
        assert!(head.contains("Content-Length: 4\r\n"), "{head}");
        for bad in [
            "/../secret",
            "/%2e%2e/secret",
            "/.0.png.gigaplot-1.tmp",
            "/0/0/9.png",
            "/%zz",
            "secret",
            "/link",
            "/fifo.png",
            "/..%2fsecret",
            "/0/..%5c..%5csecret",
            "//etc/passwd",
            "/%00",
        ] {
            let answer = get(addr, &format!("GET {bad} HTTP/1.1\r\n\r\n"));
            assert!(
                answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"),
                "{bad}: {answer}"
            );
            assert!(!answer.ends_with("\r\n\r\ns"), "{bad}: {answer}");
        }
        let post = get(addr, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405") && post.contains("Allow: GET, HEAD\r\n"), "{post}");
        stop.stop();
        thread.join().unwrap().unwrap();
        let log = log.lock().unwrap();
        assert_eq!(log[0], RequestLog { method: "GET".into(), path: "/".into(), status: 200 });
        assert_eq!(log[1].path, "/0/0/0.png?v=1");
    }
}
