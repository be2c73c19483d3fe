//! The request targets and `Range` headers of `gigaplot serve`: resolving a target never
//! panics and never leaves the served directory (no `..`, no hidden name, no symbolic link
//! out, only regular files), and an accepted range lies inside the file.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gigaplot::__bench::{byte_range, resolve, ByteRange};
use libfuzzer_sys::fuzz_target;

/// `TMP/gigaplot-fuzz-serve-PID/{root,outside}`: root holds index.html, 0/0/0.png, a hidden
/// temporary tile and a link to outside/secret; returns the canonical root.
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("gigaplot-fuzz-serve-{}", std::process::id()));
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("0/0")).expect("create the tree");
        std::fs::create_dir_all(&outside).expect("create the tree");
        std::fs::write(root.join("index.html"), "i").expect("write");
        std::fs::write(root.join("0/0/0.png"), "p").expect("write");
        std::fs::write(root.join(".0.png.gigaplot-1.tmp"), "t").expect("write");
        std::fs::write(outside.join("secret"), "s").expect("write");
        let _ = std::os::unix::fs::symlink(outside.join("secret"), root.join("link"));
        let _ = std::os::unix::fs::symlink(&outside, root.join("out"));
        root.canonicalize().expect("canonical root")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let root = root();
    if let Some(path) = resolve(root, &text) {
        let inside = path.strip_prefix(root).expect("resolved inside the root");
        assert!(path.is_file(), "{text:?} -> {path:?}");
        assert!(
            inside.components().all(|c| !c.as_os_str().to_string_lossy().starts_with('.')),
            "{text:?} -> {path:?}"
        );
    }
    for len in [0u64, 1, 10, 1 << 40] {
        match byte_range(&text, len) {
            ByteRange::Part { start, end } => assert!(start <= end && end < len, "{text:?} of {len}"),
            ByteRange::Unsatisfiable | ByteRange::Whole => {}
        }
    }
});
