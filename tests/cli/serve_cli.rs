//! `gigaplot serve` as a process (issue 16, item 9): it says where it serves only once the
//! address is bound, warns when the address is not loopback, and streams files: twenty
//! concurrent downloads of a 100 MB file keep its peak RSS small.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// A `gigaplot serve` child, killed on drop.
struct Server {
    child: Child,
    /// The stderr lines up to and including the "serving" line.
    lines: Vec<String>,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Path, addr: &str) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", dir.to_str().unwrap(), "--addr", addr])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut lines = Vec::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                panic!("gigaplot serve ended: {lines:?}");
            }
            lines.push(line.trim_end().to_string());
            if let Some(rest) = line.split(" at http://").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining the request log so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Server { child, lines, addr }
    }

    /// Peak resident memory so far (VmHWM: this process's own, not inherited at exec).
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kb * 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pyramid_dir(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("index.html"), "<p>viewer</p>").unwrap();
}

#[test]
fn a_bind_failure_is_one_line_and_no_serving_message() {
    let tmp = tempfile::tempdir().unwrap();
    pyramid_dir(tmp.path());
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["serve", tmp.path().to_str().unwrap(), "--addr", &addr]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let prefix = format!("gigaplot: error: --addr: cannot listen on {addr}: ");
    assert!(stderr.starts_with(&prefix) && stderr.lines().count() == 1, "{stderr}");
    assert!(!stderr.contains("serving"), "{stderr}");
}

#[test]
fn serving_is_announced_after_the_bind_and_non_loopback_warns() {
    let tmp = tempfile::tempdir().unwrap();
    pyramid_dir(tmp.path());
    let local = Server::start(tmp.path(), "127.0.0.1:0");
    assert_eq!(
        local.lines,
        [format!("gigaplot: serving {} at http://{}/ (Ctrl-C to stop)", tmp.path().display(), local.addr)]
    );
    assert_ne!(local.addr.port(), 0, "the bound port is printed");
    drop(local);
    // Every interface: a warning first (no request is sent to it).
    let all = Server::start(tmp.path(), "0.0.0.0:0");
    assert_eq!(all.lines.len(), 2, "{:?}", all.lines);
    assert_eq!(
        all.lines[0],
        format!(
            "gigaplot: warning: {} is not a loopback address: every host that reaches this machine can read {}",
            all.addr,
            tmp.path().display()
        )
    );
}

#[test]
fn twenty_downloads_of_a_100_mb_file_stream_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    pyramid_dir(tmp.path());
    let size: u64 = 100 << 20;
    // Sparse: reading it costs no disk, and the server cannot tell.
    let big = std::fs::File::create(tmp.path().join("big.bin")).unwrap();
    big.set_len(size).unwrap();
    // A fixed free port, so the address is known whatever the server prints.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server::start(tmp.path(), &format!("127.0.0.1:{port}"));
    let before = server.peak_rss();
    let addr = server.addr;
    let downloads: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                s.write_all(b"GET /big.bin HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
                let mut buf = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    match s.read(&mut buf).unwrap() {
                        0 => break total,
                        n => total += n as u64,
                    }
                }
            })
        })
        .collect();
    for d in downloads {
        let got = d.join().unwrap();
        assert!(got > size && got < size + 1000, "a download got {got} bytes (head and body)");
    }
    let peak = server.peak_rss();
    // The old server held each whole file per download: about 2 GB here.
    assert!(peak < 64 << 20, "peak RSS {} MB (before the downloads: {} MB)", peak >> 20, before >> 20);
}

#[test]
fn a_hundred_dripping_clients_do_not_lock_others_out() {
    // The old server gave its 64 connection slots to the first 64 clients for as long as
    // they sent a byte every few seconds, and answered everyone else 503.
    let tmp = tempfile::tempdir().unwrap();
    pyramid_dir(tmp.path());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server::start(tmp.path(), &format!("127.0.0.1:{port}"));
    let mut drippers: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for s in &mut drippers {
        s.write_all(b"a").unwrap();
    }
    let start = std::time::Instant::now();
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let read = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{read:?}: {answer}");
    assert!(answer.ends_with("<p>viewer</p>"), "{answer}");
    assert!(start.elapsed() < Duration::from_secs(2), "answered after {:?}", start.elapsed());
}
