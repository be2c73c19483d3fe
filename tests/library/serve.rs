//! `gigaplot serve`'s server under load and with ranges (issue 16, item 9): clients that
//! drip their headers a byte at a time are cut off after the header timeout and never make
//! the server refuse others; a server at its connection limit serves a new client once a
//! slot frees; `Range` requests get exactly the bytes asked for.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use gigaplot::serve::{StaticServer, StopHandle};

/// A running server over `dir`; stopped and joined on drop.
struct Running {
    addr: SocketAddr,
    stop: StopHandle,
    thread: Option<std::thread::JoinHandle<gigaplot::Result<()>>>,
}

impl Running {
    fn start(dir: &Path, configure: impl FnOnce(StaticServer) -> StaticServer) -> Running {
        let server = configure(StaticServer::bind(dir, "127.0.0.1:0".parse().unwrap()).unwrap());
        let addr = server.local_addr().unwrap();
        let stop = server.stop_handle().unwrap();
        Running { addr, stop, thread: Some(std::thread::spawn(move || server.run())) }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

/// A directory with `index.html` and `data.bin` (`n` bytes of a known pattern).
fn site(dir: &Path, n: usize) -> Vec<u8> {
    std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
    let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("data.bin"), &data).unwrap();
    data
}

/// Sends `request` (closing the connection after the answer) and splits the answer into
/// its head and body.
fn exchange(addr: SocketAddr, request: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
    (String::from_utf8_lossy(&out[..split]).into_owned(), out[split..].to_vec())
}

/// Opens `n` connections that send the start of a request, then one byte every 100 ms
/// for at most `limit`. Returns, for each, how long the server took to close it (None
/// when it was still open at `limit`).
fn drip(addr: SocketAddr, n: usize, limit: Duration) -> std::thread::JoinHandle<Vec<Option<Duration>>> {
    let streams: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").unwrap();
            s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
            s
        })
        .collect();
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut closed: Vec<Option<Duration>> = vec![None; streams.len()];
        while start.elapsed() < limit && closed.iter().any(Option::is_none) {
            for (s, done) in streams.iter().zip(closed.iter_mut()).filter(|(_, d)| d.is_none()) {
                let mut byte = [0u8; 256];
                let gone = match (&*s).read(&mut byte) {
                    Ok(_) => true, // EOF, or an error response before the close
                    Err(e) => {
                        !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
                    }
                };
                if gone || (&*s).write_all(b"a").is_err() {
                    *done = Some(start.elapsed());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        closed
    })
}

#[test]
fn dripping_clients_are_cut_off_and_never_block_others() {
    let tmp = tempfile::tempdir().unwrap();
    site(tmp.path(), 10);
    let timeout = Duration::from_millis(1000);
    let server = Running::start(tmp.path(), |s| s.with_header_timeout(timeout));
    // More drippers than the old server's 64 connection slots.
    let drippers = drip(server.addr, 100, Duration::from_secs(4));
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let (head, body) = exchange(server.addr, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    let waited = start.elapsed();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, b"<p>hi</p>");
    // Served at once, not after the drippers' headers time out.
    assert!(waited < timeout, "a normal client waited {waited:?}");
    let closed = drippers.join().unwrap();
    for (i, c) in closed.iter().enumerate() {
        let c = c.unwrap_or_else(|| panic!("dripping connection {i} still open after 4 s"));
        assert!(c < timeout + Duration::from_millis(1500), "connection {i} closed after {c:?}");
    }
}

#[test]
fn a_full_server_serves_a_new_client_within_the_header_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    site(tmp.path(), 10);
    let timeout = Duration::from_millis(1000);
    let server = Running::start(tmp.path(), |s| s.with_header_timeout(timeout).with_max_connections(8));
    let drippers = drip(server.addr, 8, Duration::from_secs(4));
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let (head, _) = exchange(server.addr, "GET /index.html HTTP/1.1\r\nConnection: close\r\n\r\n");
    let waited = start.elapsed();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    // It waited for a slot (the limit holds), but no longer than the drippers' headers may take.
    assert!(waited > Duration::from_millis(400), "the limit of 8 connections was not applied: {waited:?}");
    assert!(waited < timeout + Duration::from_millis(1000), "the new client waited {waited:?}");
    drippers.join().unwrap();
}

#[test]
fn range_requests_get_exactly_the_bytes_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 300_000; // several 64 KiB chunks
    let data = site(tmp.path(), n);
    let server = Running::start(tmp.path(), |s| s);
    let get = |range: &str| {
        exchange(
            server.addr,
            &format!("GET /data.bin HTTP/1.1\r\nConnection: close\r\nRange: {range}\r\n\r\n"),
        )
    };
    for (range, start, end) in [
        ("bytes=100-199", 100, 199),
        ("bytes=70000-200000", 70_000, 200_000),
        ("bytes=299990-", 299_990, n - 1),
        ("bytes=-5", n - 5, n - 1),
        ("bytes=0-999999", 0, n - 1),
    ] {
        let (head, body) = get(range);
        assert!(head.starts_with("HTTP/1.1 206 Partial Content\r\n"), "{range}: {head}");
        assert!(head.contains(&format!("Content-Range: bytes {start}-{end}/{n}\r\n")), "{range}: {head}");
        assert!(head.contains(&format!("Content-Length: {}\r\n", end - start + 1)), "{range}: {head}");
        assert!(body == data[start..=end], "{range}: wrong bytes");
    }
    let (head, body) = get("bytes=300000-");
    assert!(head.starts_with("HTTP/1.1 416"), "{head}");
    assert!(head.contains(&format!("Content-Range: bytes */{n}\r\n")), "{head}");
    assert!(!body.is_empty());
    // Several ranges: the whole file, as RFC 9110 allows.
    let (head, body) = get("bytes=0-1,5-6");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("Accept-Ranges: bytes\r\n"), "{head}");
    assert!(body == data);
    // Keep-alive: two requests on one connection, the second a range.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"GET /index.html HTTP/1.1\r\n\r\nGET /data.bin HTTP/1.1\r\nRange: bytes=1-2\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 ").count(), 2, "{text}");
    assert!(out.ends_with(&data[1..=2]), "{text}");
}

#[test]
fn served_bytes_equal_the_file_whatever_its_size() {
    let tmp = tempfile::tempdir().unwrap();
    let data = site(tmp.path(), 1_000_003);
    std::fs::write(tmp.path().join("empty.png"), b"").unwrap();
    let server = Running::start(tmp.path(), |s| s);
    let (head, body) = exchange(server.addr, "GET /data.bin HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(head.contains("Content-Length: 1000003\r\n"), "{head}");
    assert!(body == data);
    let (head, body) = exchange(server.addr, "GET /empty.png HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("Content-Length: 0\r\n"), "{head}");
    assert!(body.is_empty());
}
