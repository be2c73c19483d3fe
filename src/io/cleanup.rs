//! What must not outlive a dead process: a process-wide registry of temporary files and of
//! memory-mapped inputs that signal handlers can read.
//!
//! Normal code removes its temporary files when they are dropped ([`crate::io::AtomicFile`],
//! [`crate::io::ScratchFile`]). Three ways out skip every destructor: a second
//! Ctrl-C (the CLI exits at once), a `SIGBUS` from an input file truncated while it is
//! mapped, and `kill -9`. For the first two, every temporary file and mapped input is also
//! recorded here, in fixed static slots, so an async-signal-safe path can unlink the files
//! with nothing but `unlink(2)`, say which input failed with `write(2)`, and `_exit(2)`.
//! After `kill -9`, the next run removes the leftovers it can lock (see `temporary.rs`:
//! every live temporary holds an advisory lock for its whole life).
//!
//! A registered temporary is a file (unlinked) or a directory tree (a pyramid being written:
//! emptied and removed with `openat`, `getdents64` and `unlinkat`, which allocate nothing).
//!
//! `SIGHUP`, `SIGINT` and `SIGTERM` are the CLI's (`cli/progress.rs`); `SIGBUS` and
//! `SIGXFSZ` are handled here. Several threads may fault at once on a truncated mapping: the
//! first one reports and exits, the others wait for it inside the handler.
//!
//! A slot moves `FREE -> WRITING -> READY` when registered and back to `FREE` when its
//! [`Registration`] drops; a signal handler claims a `READY` slot (`READY -> TAKEN`) before
//! reading it and never gives it back, since it ends the process.

use std::cell::UnsafeCell;
use std::ffi::{c_void, CStr};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use rustix::fs;

/// Longest path (in bytes, with its NUL) a slot holds; longer paths are cleaned up only by
/// destructors.
const PATH_CAPACITY: usize = 4096;

const FREE: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;
const TAKEN: u8 = 3;

/// One registered path, readable from a signal handler.
struct Slot {
    state: AtomicU8,
    /// For a temporary: a directory tree to remove, not a file to unlink.
    tree: AtomicBool,
    /// For a mapped input: its address range, so `SIGBUS` can name the file that faulted.
    start: AtomicUsize,
    len: AtomicUsize,
    /// The NUL-terminated path.
    path: UnsafeCell<[u8; PATH_CAPACITY]>,
}

// SAFETY: `path` is written only by the thread that moved `state` from FREE to WRITING and
// read only after `state` is READY (by the owner) or TAKEN (by a signal handler that won
// the READY -> TAKEN exchange); the state machine gives each phase a single owner.
unsafe impl Sync for Slot {}

impl Slot {
    const fn new() -> Slot {
        Slot {
            state: AtomicU8::new(FREE),
            tree: AtomicBool::new(false),
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            path: UnsafeCell::new([0; PATH_CAPACITY]),
        }
    }
}

/// Temporary files (outputs being written, scratch files) to unlink on an emergency exit.
static TEMPORARIES: [Slot; 32] = [const { Slot::new() }; 32];

/// Memory-mapped input files, to name in the `SIGBUS` message.
static INPUTS: [Slot; 16] = [const { Slot::new() }; 16];

/// Keeps a path registered until dropped.
#[derive(Debug)]
pub struct Registration {
    slot: Option<usize>,
    temporary: bool,
}

impl Registration {
    /// True when the path found a free slot (false when all are taken or it is too long).
    #[cfg(test)]
    pub fn is_registered(&self) -> bool {
        self.slot.is_some()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            let slots: &[Slot] = if self.temporary { &TEMPORARIES } else { &INPUTS };
            // Fails only if a signal handler took the slot: the process is ending anyway.
            let _ = slots[i].state.compare_exchange(READY, FREE, Ordering::AcqRel, Ordering::Relaxed);
        }
    }
}

/// Registers a temporary file for [`remove_temporaries`] until the result drops.
pub fn register_temporary(path: &Path) -> Registration {
    Registration { slot: register(&TEMPORARIES, path, (0, 0), false), temporary: true }
}

/// Registers a temporary directory for [`remove_temporaries`], which removes it with
/// everything in it (a few levels deep), until the result drops.
pub fn register_temporary_tree(path: &Path) -> Registration {
    Registration { slot: register(&TEMPORARIES, path, (0, 0), true), temporary: true }
}

/// Registers an input mapped at `mapping` so a `SIGBUS` inside it names `path`.
pub fn register_input(path: &Path, mapping: &[u8]) -> Registration {
    let slot = register(&INPUTS, path, (mapping.as_ptr() as usize, mapping.len()), false);
    Registration { slot, temporary: false }
}

/// Stores `path` (made absolute, so a change of directory cannot misdirect the unlink) in a
/// free slot of `slots`.
fn register(slots: &[Slot], path: &Path, (start, len): (usize, usize), tree: bool) -> Option<usize> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= PATH_CAPACITY || bytes.contains(&0) {
        return None;
    }
    for (i, slot) in slots.iter().enumerate() {
        if slot.state.compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            // SAFETY: the FREE -> WRITING exchange made this thread the only user of `path`.
            let buffer = unsafe { &mut *slot.path.get() };
            buffer[..bytes.len()].copy_from_slice(bytes);
            buffer[bytes.len()] = 0;
            slot.start.store(start, Ordering::Relaxed);
            slot.len.store(len, Ordering::Relaxed);
            slot.tree.store(tree, Ordering::Relaxed);
            slot.state.store(READY, Ordering::Release);
            return Some(i);
        }
    }
    None
}

/// Unlinks every registered temporary file and removes every registered temporary tree.
/// Async-signal-safe (atomics and system calls only, nothing allocated); meant for paths
/// that end the process right after.
pub fn remove_temporaries() {
    for slot in &TEMPORARIES {
        let tree = slot.tree.load(Ordering::Relaxed);
        let Some(path) = take(slot) else { continue };
        let Ok(path) = CStr::from_bytes_until_nul(path) else { continue };
        if tree {
            remove_tree(path);
        } else {
            let _ = fs::unlink(path);
        }
    }
}

/// How deep [`remove_tree`] descends below the directory it removes (a pyramid is
/// `DIR/z/x/y.png`, and `DIR/leaflet/images/*`).
const TREE_DEPTH: u32 = 4;

/// Removes the directory `path` and what it holds, up to [`TREE_DEPTH`] levels down.
/// Other threads may still be adding files while a signal handler runs this, so it makes a
/// few passes. Async-signal-safe: `openat`, `getdents64`, `unlinkat` on stack buffers.
fn remove_tree(path: &CStr) {
    for _ in 0..8 {
        let flags = fs::OFlags::RDONLY | fs::OFlags::DIRECTORY | fs::OFlags::NOFOLLOW | fs::OFlags::CLOEXEC;
        let Ok(dir) = fs::openat(fs::CWD, path, flags, fs::Mode::empty()) else { return };
        empty_directory(dir.as_fd(), TREE_DEPTH);
        drop(dir);
        match fs::unlinkat(fs::CWD, path, fs::AtFlags::REMOVEDIR) {
            Err(rustix::io::Errno::NOTEMPTY) => continue,
            _ => return,
        }
    }
}

/// Unlinks the entries of `dir`, emptying and removing subdirectories `depth` levels down.
fn empty_directory(dir: BorrowedFd<'_>, depth: u32) {
    let mut buffer = [MaybeUninit::<u8>::uninit(); 2048];
    let mut entries = fs::RawDir::new(dir, &mut buffer);
    while let Some(Ok(entry)) = entries.next() {
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        if fs::unlinkat(dir, name, fs::AtFlags::empty()) != Err(rustix::io::Errno::ISDIR) {
            continue;
        }
        if depth > 0 {
            let flags =
                fs::OFlags::RDONLY | fs::OFlags::DIRECTORY | fs::OFlags::NOFOLLOW | fs::OFlags::CLOEXEC;
            if let Ok(sub) = fs::openat(dir, name, flags, fs::Mode::empty()) {
                empty_directory(sub.as_fd(), depth - 1);
            }
        }
        let _ = fs::unlinkat(dir, name, fs::AtFlags::REMOVEDIR);
    }
}

/// Claims a READY slot and returns its NUL-terminated path.
fn take(slot: &'static Slot) -> Option<&'static [u8; PATH_CAPACITY]> {
    slot.state
        .compare_exchange(READY, TAKEN, Ordering::AcqRel, Ordering::Relaxed)
        .ok()
        // SAFETY: the READY -> TAKEN exchange hands the slot to this caller for good.
        .map(|_| unsafe { &*slot.path.get() })
}

/// Writes `message` to stderr, unlinks the registered temporary files and ends the process
/// with `code`, running no destructor. Async-signal-safe.
pub fn emergency_exit(code: i32, message: &[u8]) -> ! {
    write_stderr(message);
    remove_temporaries();
    // SAFETY: _exit ends the process at once; it is async-signal-safe.
    unsafe { libc::_exit(code) }
}

/// Exit status after a `SIGBUS` in a mapped input (the same as any other input error).
pub const SIGBUS_EXIT_CODE: i32 = 1;

/// Ignores `SIGXFSZ`, so a file-size limit makes writes fail with `EFBIG` (reported as an
/// error naming the file) instead of killing the process, and installs a `SIGBUS` handler
/// that names the mapped input that was truncated, removes the temporary files and exits
/// with [`SIGBUS_EXIT_CODE`]. For programs (the CLI); a library should not own signals.
pub fn install_fault_handlers() {
    // SAFETY: plain sigaction calls with a zeroed struct we own; the handler below only
    // calls async-signal-safe functions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Set by the first thread that enters the `SIGBUS` handler.
static SIGBUS_HANDLED: AtomicBool = AtomicBool::new(false);

/// The `SIGBUS` handler: one line naming the input, cleanup, exit.
///
/// Only the first faulting thread does that. A thread faulting while it runs (every reader
/// of a truncated file faults) waits here for the process to end: returning would repeat
/// its fault, and restoring the default action would kill the process before the first
/// thread has cleaned up and exited with its message.
extern "C" fn on_sigbus(_signal: i32, info: *mut libc::siginfo_t, _context: *mut c_void) {
    if SIGBUS_HANDLED.swap(true, Ordering::AcqRel) {
        loop {
            // SAFETY: pause(2) is async-signal-safe; the first handler ends the process.
            unsafe { libc::pause() };
        }
    }
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler of SIGBUS.
    let address = unsafe { (*info).si_addr() } as usize;
    let culprit = INPUTS.iter().find(|slot| {
        let (start, len) = (slot.start.load(Ordering::Relaxed), slot.len.load(Ordering::Relaxed));
        slot.state.load(Ordering::Acquire) == READY && address >= start && address - start < len
    });
    match culprit.and_then(take) {
        Some(path) => {
            write_stderr(b"gigaplot: error: ");
            write_stderr(until_nul(path));
            write_stderr(
                b": the file was truncated or changed while it was being read (SIGBUS); \
                  render again\n",
            );
            emergency_exit(SIGBUS_EXIT_CODE, b"");
        }
        None => {
            // Not a mapped input: a genuine fault. Restore the default action, so returning
            // re-runs the faulting access and the process dies with SIGBUS as usual.
            // SAFETY: signal(2) is async-signal-safe.
            unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
            remove_temporaries();
        }
    }
}

/// The bytes of `buffer` before its first NUL.
fn until_nul(buffer: &[u8]) -> &[u8] {
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    &buffer[..end]
}

/// `write(2)` to stderr, retried until done or failed. Async-signal-safe.
fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice; write(2) is async-signal-safe.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// True if a process with this pid exists (signal 0 probes without sending anything).
pub fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 performs only the existence and permission check.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered_temporaries() -> Vec<Vec<u8>> {
        TEMPORARIES
            .iter()
            .filter(|s| s.state.load(Ordering::Acquire) == READY)
            // SAFETY: test-only peek at READY slots registered by this test.
            .map(|s| until_nul(unsafe { &*s.path.get() }).to_vec())
            .collect()
    }

    #[test]
    fn registration_lasts_until_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("held.tmp");
        let key = path.as_os_str().as_bytes().to_vec();
        let registration = register_temporary(&path);
        assert!(registration.is_registered());
        assert!(registered_temporaries().contains(&key));
        drop(registration);
        assert!(!registered_temporaries().contains(&key));
    }

    #[test]
    fn remove_temporaries_unlinks_what_is_registered() {
        let dir = tempfile::tempdir().unwrap();
        let doomed = dir.path().join("doomed.tmp");
        std::fs::write(&doomed, b"x").unwrap();
        let registration = register_temporary(&doomed);
        // Only this test's slot is taken: other tests' slots may be READY too, so claim
        // just ours by running the handler path on it directly.
        let slot = &TEMPORARIES[registration.slot.unwrap()];
        let path = take(slot).unwrap();
        assert_eq!(until_nul(path), doomed.as_os_str().as_bytes());
        // SAFETY: NUL-terminated path from the slot.
        assert_eq!(unsafe { libc::unlink(path.as_ptr().cast()) }, 0);
        assert!(!doomed.exists());
        // The handler kept the slot: dropping the registration does not free it.
        drop(registration);
        assert_eq!(slot.state.load(Ordering::Acquire), TAKEN);
        slot.state.store(FREE, Ordering::Release);
    }

    #[test]
    fn a_registered_tree_is_removed_whole() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("pyr.tmp");
        for sub in ["0/0", "3/1", "leaflet/images"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
            std::fs::write(root.join(sub).join("f.png"), b"x").unwrap();
        }
        std::fs::write(root.join("metadata.json"), b"{}").unwrap();
        // A symbolic link inside is removed, never followed.
        let outside = parent.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), b"k").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        let registration = register_temporary_tree(&root);
        let slot = &TEMPORARIES[registration.slot.unwrap()];
        assert!(slot.tree.load(Ordering::Relaxed));
        let path = take(slot).unwrap();
        remove_tree(CStr::from_bytes_until_nul(path).unwrap());
        assert!(!root.exists());
        assert!(outside.join("keep").exists());
        drop(registration);
        slot.state.store(FREE, Ordering::Release);
    }

    #[test]
    fn paths_too_long_or_with_nul_are_not_registered() {
        let long = "a".repeat(PATH_CAPACITY);
        assert!(!register_temporary(Path::new(&format!("/{long}"))).is_registered());
    }

    #[test]
    fn relative_paths_are_stored_absolute() {
        let registration = register_temporary(Path::new("relative.tmp"));
        let slot = &TEMPORARIES[registration.slot.unwrap()];
        // SAFETY: our READY slot, read by its owner.
        let stored = until_nul(unsafe { &*slot.path.get() }).to_vec();
        assert!(stored.starts_with(b"/") && stored.ends_with(b"/relative.tmp"), "{stored:?}");
    }

    #[test]
    fn dead_and_live_processes() {
        assert!(process_alive(std::process::id() as i32));
        assert!(!process_alive(0));
        assert!(!process_alive(-1));
        assert!(!process_alive(4_194_305));
    }
}
