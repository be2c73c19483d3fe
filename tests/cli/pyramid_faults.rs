//! A pyramid appears whole or not at all, on the real binary: `render --pyramid DIR` is
//! written under a temporary directory beside DIR and swapped in when complete. SIGINT,
//! SIGTERM, SIGHUP (once or twice) or a full disk leave the previous pyramid exactly as it
//! was and no temporary directory; a finished one replaces the old one whole (no stale levels); a
//! directory holding anything but a pyramid is never replaced.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::faults::{finish, signal, wait_for, with_file_size_limit};
use crate::common::*;

/// Points, a site directory holding the pyramid `pyr`, and a scratch directory.
struct Scene {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    site: PathBuf,
    pyr: PathBuf,
    scratch: PathBuf,
}

impl Scene {
    fn new(points: u64) -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_path_buf();
        let (data, site, scratch) = (d.join("data"), d.join("site"), d.join("scratch"));
        for dir in [&site, &scratch] {
            std::fs::create_dir(dir).unwrap();
        }
        run_ok(&["generate", "-q", "--points", &points.to_string(), "--out", data.to_str().unwrap()]);
        let pyr = site.join("pyr");
        Scene { _tmp: tmp, data, site, pyr, scratch }
    }

    /// The canvas flags of a `size` x `size` pyramid with `tile` pixel tiles.
    fn canvas(&self, size: u32, tile: u32) -> Vec<String> {
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        let size = size.to_string();
        let mut args: Vec<String> =
            vec!["--x".into(), s(self.data.join("x.npy")), "--y".into(), s(self.data.join("y.npy"))];
        for a in ["--width", &size, "--height", &size, "--x-range", "-10,10", "--y-range", "-10,10"] {
            args.push(a.into());
        }
        args.extend([
            "--pyramid-tile".into(),
            tile.to_string(),
            "--scratch-dir".into(),
            s(self.scratch.clone()),
        ]);
        args
    }

    /// `render --pyramid pyr` of a `size` x `size` canvas.
    fn render(&self, size: u32, tile: u32, extra: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command
            .args(["render", "-q", "--pyramid"])
            .arg(&self.pyr)
            .args(self.canvas(size, tile))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// Renders a small pyramid into `pyr` and returns its files.
    fn old_pyramid(&self) -> BTreeMap<String, Vec<u8>> {
        let out = self.render(512, 256, &[]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let files = tree(&self.pyr);
        assert!(files.contains_key("metadata.json") && files.contains_key("1/0/0.png"));
        files
    }

    /// What is in the site and scratch directories besides `pyr`.
    fn leftovers(&self) -> Vec<String> {
        let mut names: Vec<String> = files_in(&self.site).into_iter().filter(|n| n != "pyr").collect();
        names.extend(files_in(&self.scratch));
        names
    }

    /// True once some directory in the site (`pyr` or a temporary one) has level `zoom`.
    fn writing_level(&self, zoom: u32) -> bool {
        files_in(&self.site).iter().any(|n| self.site.join(n).join(zoom.to_string()).is_dir())
    }
}

#[test]
fn an_interrupted_pyramid_leaves_the_previous_one_and_no_temporary_directory() {
    let scene = Scene::new(2_000_000);
    let old = scene.old_pyramid();
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143), (libc::SIGHUP, 129)] {
        // 8192 px in 256 px tiles: levels 0 to 5; stop it once level 5 is being written.
        let child = scene.render(8192, 256, &["--memory", "100MiB", "--threads", "2"]).spawn().unwrap();
        let writing = wait_for(Duration::from_secs(60), || scene.writing_level(5));
        signal(&child, sig);
        let (out, took) = finish(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(writing, "signal {sig}: the tiles never started: {stderr}");
        assert_eq!(out.status.code(), Some(code), "signal {sig}: {stderr}");
        assert_eq!(stderr, "gigaplot: error: interrupted; no output was written\n");
        assert!(took < Duration::from_secs(5), "signal {sig}: took {took:?} to stop");
        assert!(tree(&scene.pyr) == old, "signal {sig}: the previous pyramid changed");
        assert_eq!(scene.leftovers(), Vec::<String>::new(), "signal {sig}");
    }
}

#[test]
fn a_second_signal_mid_pyramid_still_removes_the_temporary_directory() {
    let scene = Scene::new(2_000_000);
    let old = scene.old_pyramid();
    let child = scene.render(8192, 256, &["--memory", "100MiB", "--threads", "2"]).spawn().unwrap();
    let writing = wait_for(Duration::from_secs(60), || scene.writing_level(5));
    // Both arrive together: the second takes the emergency path (the signal handler removes
    // the registered temporary directory and scratch file, then _exit).
    signal(&child, libc::SIGSTOP);
    signal(&child, libc::SIGINT);
    signal(&child, libc::SIGTERM);
    signal(&child, libc::SIGCONT);
    let (out, took) = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(writing, "the tiles never started: {stderr}");
    assert!(matches!(out.status.code(), Some(130 | 143)), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("interrupted again; stopped at once"), "{stderr}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(tree(&scene.pyr) == old, "the previous pyramid changed");
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

#[test]
fn a_full_disk_mid_pyramid_leaves_the_previous_one_and_no_temporary_directory() {
    let scene = Scene::new(10_000);
    let old = scene.old_pyramid();
    // Statistics first, without a limit; then the pyramid with an 8 kB file-size limit: the
    // zoom-1 tiles (under 5.1 kB) fit, the zoom-0 tile (10.2 kB) does not. (Tiles are
    // indexed in the level's palette with the transparent padding of the 1000 px levels'
    // edge tiles, as one-render pyramids write them; the scratch file is not written: the
    // bands stay in memory.)
    let stats = scene.site.parent().unwrap().join("stats.json");
    let mut args = vec!["stats".to_string(), "-q".into(), "-o".into(), stats.to_string_lossy().into_owned()];
    args.extend(scene.canvas(1000, 512));
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut command = scene.render(1000, 512, &["--stats", stats.to_str().unwrap(), "--background", "black"]);
    let out = with_file_size_limit(&mut command, 8_000).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?}: {stderr}", out.status);
    let expected =
        format!("gigaplot: error: {}: File too large (os error 27)\n", scene.pyr.join("0/0/0.png").display());
    assert_eq!(stderr, expected, "one line naming the tile in the pyramid (not a temporary name)");
    assert!(tree(&scene.pyr) == old, "the previous pyramid changed");
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

#[test]
fn a_finished_pyramid_replaces_the_previous_one_whole() {
    let scene = Scene::new(10_000);
    // The previous pyramid has levels 0 to 3; the new one 0 and 1 only.
    let out = scene.render(2048, 256, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(tree(&scene.pyr).keys().any(|k| k.starts_with("3/")));
    let out = scene.render(512, 256, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = tree(&scene.pyr);
    assert!(
        !files.keys().any(|k| k.starts_with("2/") || k.starts_with("3/")),
        "stale levels: {:?}",
        files.keys()
    );
    assert_eq!(scene.leftovers(), Vec::<String>::new());
    // The same files as a pyramid rendered into a new directory.
    let fresh = scene.site.parent().unwrap().join("fresh");
    let mut args =
        vec!["render".to_string(), "-q".into(), "--pyramid".into(), fresh.to_string_lossy().into_owned()];
    args.extend(scene.canvas(512, 256));
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(tree(&fresh) == files, "the replaced pyramid differs from a fresh one");
}

#[test]
fn a_directory_holding_other_files_is_never_replaced_by_a_pyramid() {
    let scene = Scene::new(10_000);
    std::fs::create_dir(&scene.pyr).unwrap();
    std::fs::write(scene.pyr.join("notes.txt"), b"mine").unwrap();
    let out = scene.render(512, 256, &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let expected = format!(
        "gigaplot: error: {}: holds notes.txt, which is not part of a pyramid; a pyramid replaces its \
         directory whole, so give --pyramid a new directory or an earlier pyramid's\n",
        scene.pyr.display()
    );
    assert_eq!(stderr, expected);
    assert_eq!(files_in(&scene.pyr), ["notes.txt"]);
    assert_eq!(std::fs::read(scene.pyr.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}

/// Shards write into the shared directory directly, but `metadata.json` (and the viewer)
/// appear only once every shard's part is there: a killed shard leaves tiles (never half
/// a one) and no metadata; the other shard finishing does not complete the pyramid; the
/// killed shard run again does, giving exactly the single-process files and no markers.
#[test]
fn a_sharded_pyramid_has_metadata_only_when_every_shard_finished() {
    let scene = Scene::new(2_000_000);
    let stats = scene.site.parent().unwrap().join("stats.json");
    let mut args = vec!["stats".to_string(), "-q".into(), "-o".into(), stats.to_string_lossy().into_owned()];
    args.extend(scene.canvas(8192, 256));
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let shard = |i: &str| {
        scene.render(8192, 256, &["--stats", stats.to_str().unwrap(), "--shard", i, "--memory", "100MiB"])
    };
    let no_temporaries = |files: &BTreeMap<String, Vec<u8>>| {
        let temporary: Vec<&String> = files.keys().filter(|k| k.contains(".tmp")).collect();
        assert!(temporary.is_empty(), "temporary files left: {temporary:?}");
    };

    // Shard 0 (which also writes the coarse levels) killed while writing the finest tiles.
    let child = shard("0/2").spawn().unwrap();
    let writing = wait_for(Duration::from_secs(60), || scene.pyr.join("5").is_dir());
    signal(&child, libc::SIGTERM);
    let (out, _) = finish(child);
    assert!(writing, "the tiles never started: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(143), "{}", String::from_utf8_lossy(&out.stderr));
    let files = tree(&scene.pyr);
    no_temporaries(&files);
    assert!(!files.contains_key("metadata.json") && !files.contains_key("index.html"));

    let out = shard("1/2").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = tree(&scene.pyr);
    no_temporaries(&files);
    assert!(!files.contains_key("metadata.json"), "metadata without shard 0's part");
    assert!(files.contains_key("shards/1-of-2.json"), "{:?}", files.keys().filter(|k| !k.ends_with(".png")));

    let out = shard("0/2").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = tree(&scene.pyr);
    assert!(files.contains_key("metadata.json") && files.contains_key("index.html"));
    assert!(!files.keys().any(|k| k.starts_with("shards/")), "markers left");
    let whole = scene.site.parent().unwrap().join("whole");
    let mut args =
        vec!["render".to_string(), "-q".into(), "--pyramid".into(), whole.to_string_lossy().into()];
    args.extend(scene.canvas(8192, 256));
    args.extend(["--stats".into(), stats.to_string_lossy().into()]);
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(tree(&whole) == files, "the shards differ from a single process");

    // Running a shard again withdraws the metadata until its part is written again.
    let child = shard("1/2").spawn().unwrap();
    let withdrawn = wait_for(Duration::from_secs(60), || !scene.pyr.join("metadata.json").exists());
    signal(&child, libc::SIGINT);
    finish(child);
    assert!(withdrawn, "a shard rewriting tiles left the metadata of the finished pyramid");
    assert_eq!(scene.leftovers(), Vec::<String>::new());
}
