//! Faults and interruptions, on the real binary: a file-size limit mid-write, SIGINT,
//! SIGTERM and SIGHUP (once and twice), `kill -9` and the next run's cleanup (which spares
//! another host's live scratch file), an input truncated while it is mapped (SIGBUS, also
//! in several threads at once), and limits (very wide canvases).
//!
//! After each of them the output path holds the previous file or nothing, and no temporary
//! or scratch file is left (except after `kill -9`, which the next run cleans up).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// What an interrupted or failed render must leave: the old output, nothing else.
const OLD_OUTPUT: &[u8] = b"the previous picture";

/// A directory with a point set and a separate scratch directory.
struct Scene {
    _dir: tempfile::TempDir,
    data: PathBuf,
    out: PathBuf,
    scratch: PathBuf,
}

impl Scene {
    /// `points` random points (float32, from `gigaplot generate`).
    fn new(points: u64) -> Scene {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = dir.path().join("out");
        let scratch = dir.path().join("scratch");
        for d in [&out, &scratch] {
            std::fs::create_dir(d).unwrap();
        }
        let points = points.to_string();
        run_ok(&["generate", "--points", &points, "--out", data.to_str().unwrap(), "-q"]);
        Scene { _dir: dir, data, out, scratch }
    }

    /// A render command into `out/out.png` with the scratch file in `scratch/`.
    fn render(&self, size: u32, extra: &[&str]) -> Command {
        let mut command = Command::new(bin());
        let size = size.to_string();
        command
            .args(["render", "-q", "--bare", "--x"])
            .arg(self.data.join("x.npy"))
            .arg("--y")
            .arg(self.data.join("y.npy"))
            .args(["--width", &size, "--height", &size, "--x-range", "-10,10", "--y-range", "-10,10"])
            .arg("-o")
            .arg(self.out.join("out.png"))
            .arg("--scratch-dir")
            .arg(&self.scratch)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn output(&self) -> PathBuf {
        self.out.join("out.png")
    }

    /// Files left in the output and scratch directories besides `out.png`.
    fn leftovers(&self) -> Vec<String> {
        let mut names = files_in(&self.scratch);
        names.extend(files_in(&self.out).into_iter().filter(|n| n != "out.png"));
        names
    }
}

/// Polls `ready` every millisecond until it holds (true) or `timeout` passes (false).
pub(super) fn wait_for(timeout: Duration, ready: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

pub(super) fn signal(child: &Child, signal: i32) {
    // SAFETY: kill on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

/// Waits for the child and returns its output and how long the wait took.
pub(super) fn finish(child: Child) -> (Output, Duration) {
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    (out, start.elapsed())
}

/// A render that runs for a while after its scratch file appears: a big canvas in many
/// bands, so there is time to interrupt it mid-render.
fn slow_render(scene: &Scene) -> Child {
    scene.render(6000, &["--memory", "100MiB", "--threads", "2"]).spawn().unwrap()
}

/// Starts a slow render and waits until it is mid-render (the scratch file exists).
fn start_mid_render(scene: &Scene) -> Child {
    std::fs::write(scene.output(), OLD_OUTPUT).unwrap();
    let child = slow_render(scene);
    let started = wait_for(Duration::from_secs(20), || !files_in(&scene.scratch).is_empty());
    assert!(started, "the scratch file never appeared");
    child
}

#[test]
fn sigint_and_sigterm_stop_promptly_and_leave_the_old_output() {
    let scene = Scene::new(2_000_000);
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let child = start_mid_render(&scene);
        signal(&child, sig);
        let (out, took) = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "signal {sig}: {stderr}");
        assert_eq!(stderr, "gigaplot: error: interrupted; no output was written\n");
        assert!(took < Duration::from_secs(2), "signal {sig}: took {took:?} to stop");
        assert_eq!(std::fs::read(scene.output()).unwrap(), OLD_OUTPUT);
        assert_eq!(scene.leftovers(), Vec::<String>::new());
    }
}

#[test]
fn sighup_from_a_dropped_session_stops_like_sigterm() {
    let scene = Scene::new(2_000_000);
    let child = start_mid_render(&scene);
    signal(&child, libc::SIGHUP);
    let (out, took) = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(129), "{:?}: {stderr}", out.status);
    assert_eq!(stderr, "gigaplot: error: interrupted; no output was written\n");
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
    assert_eq!(std::fs::read(scene.output()).unwrap(), OLD_OUTPUT);
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

#[test]
fn a_second_signal_exits_at_once_and_still_removes_temporary_files() {
    let scene = Scene::new(2_000_000);
    let child = start_mid_render(&scene);
    // Both signals arrive together when the process continues, before the render can poll
    // the first one: the second takes the emergency path (unlink from the handler, _exit).
    signal(&child, libc::SIGSTOP);
    signal(&child, libc::SIGINT);
    signal(&child, libc::SIGTERM);
    signal(&child, libc::SIGCONT);
    let (out, took) = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(130 | 143)), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("interrupted again; stopped at once"), "{stderr}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(std::fs::read(scene.output()).unwrap(), OLD_OUTPUT);
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

#[test]
fn after_kill_9_the_old_output_stays_and_the_next_run_cleans_up() {
    let scene = Scene::new(2_000_000);
    let mut child = start_mid_render(&scene);
    let pid = child.id();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(std::fs::read(scene.output()).unwrap(), OLD_OUTPUT);
    let mut left = scene.leftovers();
    left.sort();
    let temp = format!(".out.png.gigaplot-{pid}-");
    assert!(left.iter().any(|n| n.starts_with(&temp) && n.ends_with(".tmp")), "{left:?}");
    assert!(left.iter().any(|n| n.starts_with(&format!("gigaplot-scratch-{pid}-"))), "{left:?}");
    // The next run (a small one) removes the dead run's files and replaces the output.
    let out = scene.render(64, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(scene.leftovers(), Vec::<String>::new());
    assert_eq!(read_png(&scene.output()).0, 64);
}

/// Environment variable that turns [`lock_holder_child`] into the real test body: the file
/// it names is locked until the child's stdin closes.
const LOCK_HOLDER_CHILD: &str = "GIGAPLOT_TEST_LOCK_FILE";

/// What [`lock_holder_child`] prints once it holds the lock.
const LOCK_HELD: &str = "gigaplot-test: lock held";

/// Not a test on its own: run by [`a_locked_scratch_file_of_another_host_is_not_removed`]
/// in a child process, as the other host's live run. It locks the file, says so on stdout
/// and keeps the lock until its stdin is closed. (A lock taken in the test process itself
/// would be shared with every child another test forks meanwhile, and could outlive the
/// `drop` that should release it.)
#[test]
fn lock_holder_child() {
    use std::io::{Read, Write};
    let Some(path) = std::env::var_os(LOCK_HOLDER_CHILD) else { return };
    let holder = std::fs::File::open(path).unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&holder), libc::LOCK_EX) }, 0);
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{LOCK_HELD}").unwrap();
    stdout.flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

#[test]
fn a_locked_scratch_file_of_another_host_is_not_removed() {
    use std::io::BufRead;
    let scene = Scene::new(20_000);
    // pid 4194305 is above Linux's largest pid_max: no local process has it, as for a live
    // run on another node sharing the scratch directory, which holds its file locked.
    let live = scene.scratch.join("gigaplot-scratch-4194305-0.bin");
    let dead = scene.scratch.join("gigaplot-scratch-4194305-1.bin");
    std::fs::write(&live, b"another node's records").unwrap();
    std::fs::write(&dead, b"a killed run's records").unwrap();
    let mut holder = child_test("lock_holder_child")
        .env(LOCK_HOLDER_CHILD, &live)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // libtest prints the child test's name first, on the same line as what it says.
    let mut said = std::io::BufReader::new(holder.stdout.take().unwrap()).lines();
    assert!(said.any(|line| line.unwrap().ends_with(LOCK_HELD)), "the lock holder never took the lock");
    std::fs::write(scene.output(), OLD_OUTPUT).unwrap();
    let out = scene.render(64, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&live).unwrap(), b"another node's records");
    assert_eq!(files_in(&scene.scratch), ["gigaplot-scratch-4194305-0.bin"], "only the dead run's file goes");
    // Once its owner exits, it is a leftover like any other.
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    let out = scene.render(64, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

/// Runs `command` with a file-size limit of `bytes` (what `prlimit --fsize` does).
pub(super) fn with_file_size_limit(command: &mut Command, bytes: u64) -> &mut Command {
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

#[test]
fn a_file_size_limit_mid_write_is_a_clear_error_and_leaves_nothing() {
    let scene = Scene::new(20_000);
    let agg = scene.out.join("agg.npy");
    // (what overflows, canvas side, extra flags, file-size limit, the file the error names)
    let cases: [(&str, u32, Vec<&str>, u64, &str); 3] = [
        // The aggregate (400 x 400 x 4 = 640 KB) overflows; scratch (80 KB) and PNG fit.
        ("aggregate", 400, vec!["--agg-out", agg.to_str().unwrap()], 300_000, "agg.npy"),
        // The scratch file (80 KB: the points are one chunk, so one worker's file holds
        // them all) overflows first (a budget of two bands: a canvas of one band is
        // aggregated directly, without a scratch file).
        ("scratch", 400, vec!["--memory", "81MiB", "--threads", "2"], 40_000, "gigaplot-scratch-"),
        // The PNG (about 110 KB at 800 x 800, spread: truecolour; a count plot's indexed
        // PNG is 49 KB) overflows.
        ("png", 800, vec!["--spread", "1"], 100_000, "out.png"),
    ];
    for (what, side, extra, limit, names) in cases {
        std::fs::write(scene.output(), OLD_OUTPUT).unwrap();
        let out = with_file_size_limit(&mut scene.render(side, &extra), limit).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {:?} {stderr}", out.status);
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.contains(names) && stderr.contains("File too large"), "{what}: {stderr}");
        assert_eq!(std::fs::read(scene.output()).unwrap(), OLD_OUTPUT, "{what}");
        assert_eq!(scene.leftovers(), Vec::<String>::new(), "{what}");
    }
}

#[test]
fn an_input_truncated_mid_render_is_reported_not_a_crash() {
    let scene = Scene::new(2_000_000);
    let child = start_mid_render(&scene);
    signal(&child, libc::SIGSTOP);
    let x = scene.data.join("x.npy");
    std::fs::OpenOptions::new().write(true).open(&x).unwrap().set_len(128).unwrap();
    signal(&child, libc::SIGCONT);
    let (out, _) = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Either the SIGBUS handler (reading the truncated mapping) or the size and mtime
    // check after the partition catches it; both name the file.
    assert_eq!(out.status.code(), Some(1), "{:?}: {stderr}", out.status);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("x.npy") && stderr.contains("changed while it was being read"), "{stderr}");
    assert_eq!(std::fs::read(scene.output()).unwrap(), OLD_OUTPUT);
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

/// Environment variable that turns [`sigbus_child`] into the real test body.
const SIGBUS_CHILD: &str = "GIGAPLOT_TEST_SIGBUS_DIR";

/// Not a test on its own: run by [`sigbus_in_a_mapped_input_names_it_and_cleans_up`] in a
/// child process. Maps a column, registers a temporary output, truncates the column and
/// reads it: the SIGBUS handler must name the file, unlink the temporary and exit 1.
#[test]
fn sigbus_child() {
    let Some(dir) = std::env::var_os(SIGBUS_CHILD).map(PathBuf::from) else { return };
    gigaplot::cleanup::install_fault_handlers();
    let x = dir.join("x.npy");
    let column = gigaplot::NpyColumn::open(&gigaplot::ColumnSpec::parse(x.to_str().unwrap())).unwrap();
    let _output = gigaplot::AtomicFile::create(&dir.join("out.png")).unwrap();
    std::fs::OpenOptions::new().write(true).open(&x).unwrap().set_len(0).unwrap();
    let summary = column.summary(); // faults
    panic!("read {summary:?} from a truncated mapping without SIGBUS");
}

#[test]
fn sigbus_in_a_mapped_input_names_it_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    write_f64(&dir.path().join("x.npy"), &vec![1.5; 100_000]);
    let out = child_test("sigbus_child").env(SIGBUS_CHILD, dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?}: {stderr}", out.status);
    let expected = format!(
        "gigaplot: error: {}: the file was truncated or changed while it was being read (SIGBUS); render again\n",
        dir.path().join("x.npy").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(files_in(dir.path()), ["x.npy"], "the temporary output must be gone");
}

#[test]
fn a_canvas_over_a_million_pixels_wide_renders_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_f64(&d.join("x.npy"), &[0.0, 1.0, 2.0]);
    write_f64(&d.join("y.npy"), &[0.0, 1.0, 2.0]);
    let s = |n: &str| d.join(n).to_string_lossy().into_owned();
    let out = run_ok(&[
        "render",
        "-q",
        "--bare",
        "--x",
        &s("x.npy"),
        "--y",
        &s("y.npy"),
        "--width",
        "1000001",
        "--height",
        "2",
        "-o",
        &s("wide.png"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("gigaplot: warning: --width 1000001") && stderr.contains("--pyramid"),
        "{stderr}"
    );
    let (width, height, _, _) = read_png(Path::new(&s("wide.png")));
    assert_eq!((width, height), (1_000_001, 2));
}

/// This test binary, set to run only the child test `name` of this module (named as the
/// test harness knows it: the module path without the crate's name), with its output.
fn child_test(name: &str) -> Command {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", &format!("{module}::{name}"), "--nocapture", "--test-threads=1"]);
    command
}

/// Environment variable that turns [`sigbus_threads_child`] into a real test body.
const SIGBUS_THREADS_CHILD: &str = "GIGAPLOT_TEST_SIGBUS_THREADS_DIR";

/// Set (to anything) to make [`sigbus_threads_child`] fill its stderr pipe first.
const FILL_STDERR: &str = "GIGAPLOT_TEST_FILL_STDERR";

/// The line [`sigbus_threads_child`] prints just before its threads fault.
const FAULTING: &str = "sigbus-threads-child: faulting";

/// Threads of [`sigbus_threads_child`] that read the truncated mapping at once.
const FAULTING_THREADS: usize = 8;

/// Fills the stderr pipe (non-blocking writes until it is full), so the next write to it
/// blocks until the parent reads.
fn fill_stderr() {
    let chunk = [b'.'; 4096];
    // SAFETY: fcntl and write on fd 2 with a live buffer.
    unsafe {
        let flags = libc::fcntl(2, libc::F_GETFL);
        libc::fcntl(2, libc::F_SETFL, flags | libc::O_NONBLOCK);
        while libc::write(2, chunk.as_ptr().cast(), chunk.len()) > 0 {}
        while libc::write(2, chunk.as_ptr().cast(), 1) > 0 {}
        libc::fcntl(2, libc::F_SETFL, flags);
    }
}

/// Not a test on its own: run by
/// [`several_threads_faulting_at_once_on_a_truncated_input_exit_cleanly`]. Maps a column,
/// registers a temporary output, truncates the column, then releases
/// [`FAULTING_THREADS`] threads that all read it at once.
#[test]
fn sigbus_threads_child() {
    let Some(dir) = std::env::var_os(SIGBUS_THREADS_CHILD).map(PathBuf::from) else { return };
    gigaplot::cleanup::install_fault_handlers();
    let x = dir.join("x.npy");
    let spec = gigaplot::ColumnSpec::parse(x.to_str().unwrap());
    let column = std::sync::Arc::new(gigaplot::NpyColumn::open(&spec).unwrap());
    let _output = gigaplot::AtomicFile::create(&dir.join("out.png")).unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(FAULTING_THREADS + 1));
    let readers: Vec<_> = (0..FAULTING_THREADS)
        .map(|i| {
            let (column, barrier) = (column.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut values = vec![0.0; 1024];
                barrier.wait();
                column.read_f64(i * 10_000, &mut values);
            })
        })
        .collect();
    std::fs::OpenOptions::new().write(true).open(&x).unwrap().set_len(0).unwrap();
    if std::env::var_os(FILL_STDERR).is_some() {
        fill_stderr();
    }
    println!("{FAULTING}");
    barrier.wait();
    for reader in readers {
        let _ = reader.join();
    }
    panic!("read a truncated mapping without SIGBUS");
}

#[test]
fn several_threads_faulting_at_once_on_a_truncated_input_exit_cleanly() {
    use std::io::{BufRead, Read};
    // Rounds with a full stderr pipe hold the first handler in its write while every other
    // thread faults (the old handler then died of the default action every time); the
    // others leave the timing to the scheduler.
    for round in 0..16 {
        let fill = round < 4;
        let dir = tempfile::tempdir().unwrap();
        write_f64(&dir.path().join("x.npy"), &vec![1.5; 100_000]);
        let mut command = child_test("sigbus_threads_child");
        command.env(SIGBUS_THREADS_CHILD, dir.path()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if fill {
            command.env(FILL_STDERR, "1");
        }
        let mut child = command.spawn().unwrap();
        // A child that hangs is killed, so the test fails instead of waiting forever.
        let (done, watch) = std::sync::mpsc::channel::<()>();
        let pid = child.id() as i32;
        std::thread::spawn(move || {
            if watch.recv_timeout(Duration::from_secs(20)).is_err() {
                // SAFETY: kill on our own child's pid, not yet reaped (`done` not sent).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        });
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap() > 0 && !line.trim_end().ends_with(FAULTING) {
            line.clear();
        }
        if fill {
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut stderr = Vec::new();
        child.stderr.take().unwrap().read_to_end(&mut stderr).unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let status = child.wait().unwrap();
        let _ = done.send(());
        let stderr = String::from_utf8_lossy(&stderr);
        let stderr = stderr.trim_start_matches('.');
        assert_eq!(status.code(), Some(1), "round {round}: {status:?}: {stderr}");
        let expected = format!(
            "gigaplot: error: {}: the file was truncated or changed while it was being read (SIGBUS); render again\n",
            dir.path().join("x.npy").display()
        );
        assert_eq!(stderr, expected, "round {round}: one message, once");
        assert_eq!(files_in(dir.path()), ["x.npy"], "round {round}: the temporary output must be gone");
    }
}
