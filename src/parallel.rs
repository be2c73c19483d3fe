//! Rayon through a few entry points compiled once.
//!
//! A generic function that calls rayon's iterators or `join` itself gets a copy of rayon's job
//! machinery (stack jobs, join contexts, producer bridges) for every one of its instantiations,
//! and the render driver is instantiated for every (glyph, reduction) pair: those copies were
//! a third of the library's 2.87 M LLVM lines, and so of its compile time (2026-12-07). The
//! helpers here hand rayon `dyn` closures, so its machinery is compiled once for each helper;
//! the work inside a closure is compiled per instantiation as before. One indirect call per
//! item (a tile, a row block, a chunk of points, a worker's loop) costs nothing measurable.
//!
//! Scheduling is rayon's: every index is a task an idle thread may steal, so nested calls (a
//! band aggregated beside the encoding of the one before) share the pool as before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

/// Calls `each(i)` for every `i` in `0..n`, in parallel, each index a task of its own.
pub(crate) fn for_each_index(n: usize, each: &(dyn Fn(usize) + Sync)) {
    (0..n).into_par_iter().with_min_len(1).for_each(each);
}

/// Calls `each(i, &mut items[i])` for every item, in parallel.
pub(crate) fn for_each_mut<T: Send>(items: &mut [T], each: impl Fn(usize, &mut T) + Sync) {
    let items = SharedItems(items.as_mut_ptr(), items.len());
    for_each_index(items.1, &|i| {
        // SAFETY: `i < items.1`, and each index is handed out once, so every item is
        // borrowed by one call at a time; `T: Send` lets that call run on any thread.
        let item = unsafe { &mut *items.at(i) };
        each(i, item);
    });
}

/// The items of a slice that `for_each_mut` lends out, one index per task.
struct SharedItems<T>(*mut T, usize);

impl<T> SharedItems<T> {
    /// Item `i`'s address (a method, so closures capture the whole wrapper, which is Sync).
    fn at(&self, i: usize) -> *mut T {
        debug_assert!(i < self.1);
        self.0.wrapping_add(i)
    }
}

// SAFETY: the wrapper only hands out distinct items (see `for_each_mut`), each to one thread.
unsafe impl<T: Send> Sync for SharedItems<T> {}

/// `each(i)` for every `i` in `0..n`, in parallel, and the results in index order (collect
/// them into a `Result` for the first error by index).
pub(crate) fn map_indices<T: Send>(n: usize, each: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let mut results: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for_each_mut(&mut results, |i, slot| *slot = Some(each(i)));
    results.into_iter().map(|r| r.expect("every index visited")).collect()
}

/// `each(i)` for every `i` in `0..n`, in parallel, and the results in index order, or an
/// error: once an index fails, those not yet started are skipped (as rayon's
/// `try_for_each` stops), and the error of the lowest failed index is returned.
pub(crate) fn try_map_indices<T: Send, E: Send>(
    n: usize,
    each: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let failed = AtomicBool::new(false);
    let results = map_indices(n, |i| {
        if failed.load(Ordering::Relaxed) {
            return None;
        }
        let result = each(i);
        if result.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        Some(result)
    });
    let (mut values, mut error) = (Vec::with_capacity(n), None);
    for result in results.into_iter().flatten() {
        match result {
            Ok(value) => values.push(value),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    error.map_or(Ok(values), Err)
}

/// `each(i, &mut items[i])` for every item, in parallel, and the results in item order.
pub(crate) fn map_mut<T: Send, U: Send>(items: &mut [T], each: impl Fn(usize, &mut T) -> U + Sync) -> Vec<U> {
    let mut pairs: Vec<(&mut T, Option<U>)> = items.iter_mut().map(|item| (item, None)).collect();
    for_each_mut(&mut pairs, |i, (item, out)| *out = Some(each(i, item)));
    pairs.into_iter().map(|(_, out)| out.expect("every item visited")).collect()
}

/// Folds `0..n` in parallel, in contiguous runs of indices (four per thread of the pool, at
/// most): each run's state is made by `init` and folded with `fold(state, i)` for its indices
/// in increasing order. Returns the runs' states in index order, to be merged in that order
/// (how `0..n` is cut depends on the thread count: merging must not).
pub(crate) fn fold_indices<S: Send>(
    n: usize,
    init: impl Fn() -> S + Sync,
    fold: impl Fn(S, usize) -> S + Sync,
) -> Vec<S> {
    let runs = n.min(4 * rayon::current_num_threads().max(1));
    map_indices(runs, |r| (n * r / runs..n * (r + 1) / runs).fold(init(), &fold))
}

/// `a()` and `b()`, possibly in parallel (`rayon::join`), and their results.
pub(crate) fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    let (mut a, mut b) = (Some(a), Some(b));
    let (mut from_a, mut from_b) = (None, None);
    join_dyn(&mut || from_a = a.take().map(|a| a()), &mut || from_b = b.take().map(|b| b()));
    (from_a.expect("join ran a"), from_b.expect("join ran b"))
}

/// `rayon::join` of two `dyn` closures: the one copy of its machinery.
fn join_dyn(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send)) {
    rayon::join(a, b);
}

/// Runs `work` on a thread of `scope` (joined when the scope ends), or at once on the
/// calling thread when the system refuses a thread (a process or pid limit): background
/// work that must never fail the render for want of a thread.
pub(crate) fn spawn_or_run<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() + Send + 'scope,
) {
    use std::sync::{Arc, Mutex, PoisonError};
    // Shared, since a refused spawn drops the closure it was given.
    let work = Arc::new(Mutex::new(Some(work)));
    fn run<F: FnOnce()>(work: &Mutex<Option<F>>) {
        if let Some(work) = work.lock().unwrap_or_else(PoisonError::into_inner).take() {
            work();
        }
    }
    let given = Arc::clone(&work);
    if std::thread::Builder::new().spawn_scoped(scope, move || run(&given)).is_err() {
        run(&work);
    }
}

/// Reads of fewer bytes than this [`read_in_parts`] leaves to the calling thread.
pub(crate) const PARALLEL_READ_BYTES: usize = 1 << 20;

/// Fills `out` by `read(offset, part)` over parts of it of about [`PARALLEL_READ_BYTES`]
/// (whole `unit`s of bytes each), in parallel, and returns the error of the first part
/// that failed. A `pread` is a copy out of the page cache by the thread that calls it: a
/// band's records, or its kept cells, read by one thread left the other idle (a tenth of
/// the statistics pass of 10^8 points at 20000^2).
pub(crate) fn read_in_parts(
    out: &mut [u8],
    unit: usize,
    read: &(dyn Fn(usize, &mut [u8]) -> crate::error::Result<()> + Sync),
) -> crate::error::Result<()> {
    if out.len() <= PARALLEL_READ_BYTES {
        return read(0, out);
    }
    let units = out.len() / unit;
    let part = units.div_ceil(out.len().div_ceil(PARALLEL_READ_BYTES)) * unit;
    let mut parts: Vec<&mut [u8]> = out.chunks_mut(part).collect();
    map_mut(&mut parts, |i, part_bytes| read(i * part, part_bytes)).into_iter().collect()
}

/// A value per worker thread of the pool, made on a thread's first use: what a parallel loop
/// whose calls arrive from any thread (tiles handed out by a fill) keeps per thread, such as
/// scratch buffers or partial statistics, without one lock all threads contend for.
pub(crate) struct PerThread<T> {
    slots: Vec<Mutex<Option<T>>>,
}

impl<T: Send> PerThread<T> {
    /// No value yet, a slot for each thread of the current pool.
    pub fn new() -> PerThread<T> {
        let threads = rayon::current_num_threads().max(1);
        PerThread { slots: (0..threads).map(|_| Mutex::new(None)).collect() }
    }

    /// `f` of this thread's value, made by `init` if the thread has none yet.
    pub fn with<U>(&self, init: impl FnOnce() -> T, f: impl FnOnce(&mut T) -> U) -> U {
        let slot = &self.slots[rayon::current_thread_index().unwrap_or(0) % self.slots.len()];
        let mut value = slot.lock().unwrap_or_else(PoisonError::into_inner);
        f(value.get_or_insert_with(init))
    }

    /// The values made, in the order of the threads' indices.
    pub fn into_values(self) -> impl Iterator<Item = T> {
        self.slots.into_iter().filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    #[test]
    fn every_index_and_item_is_visited_once() {
        for threads in [1, 2, 3] {
            pool(threads).install(|| {
                for n in [0, 1, 2, 7, 100] {
                    let seen = Mutex::new(vec![0u32; n]);
                    for_each_index(n, &|i| seen.lock().unwrap()[i] += 1);
                    assert!(seen.into_inner().unwrap().iter().all(|&c| c == 1), "{n}");
                    let mut items: Vec<usize> = vec![0; n];
                    for_each_mut(&mut items, |i, item| *item += i + 1);
                    assert_eq!(items, (1..=n).collect::<Vec<_>>());
                    let doubled = map_mut(&mut items, |i, item| {
                        *item *= 2;
                        *item + i
                    });
                    assert_eq!(items, (1..=n).map(|i| 2 * i).collect::<Vec<_>>());
                    assert_eq!(doubled, (0..n).map(|i| 3 * i + 2).collect::<Vec<_>>());
                }
            });
        }
    }

    #[test]
    fn spawned_work_runs_once_on_another_thread_before_the_scope_ends() {
        let caller = std::thread::current().id();
        let ran = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for k in 0..3 {
                let ran = &ran;
                spawn_or_run(scope, move || ran.lock().unwrap().push((k, std::thread::current().id())));
            }
        });
        let mut ran = ran.into_inner().unwrap();
        ran.sort_by_key(|&(k, _)| k);
        assert_eq!(ran.iter().map(|&(k, _)| k).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(ran.iter().all(|&(_, id)| id != caller), "threads were given");
    }

    #[test]
    fn reads_in_parts_of_whole_units_and_reports_the_first_failed_part() {
        pool(2).install(|| {
            for (len, unit) in
                [(0, 4), (1000, 4), (PARALLEL_READ_BYTES * 3 + 12, 12), (PARALLEL_READ_BYTES * 5, 1)]
            {
                let mut out = vec![0u8; len];
                let parts = Mutex::new(Vec::new());
                read_in_parts(&mut out, unit, &|offset, part| {
                    assert_eq!((offset % unit, part.len() % unit), (0, 0), "whole units");
                    part.iter_mut().enumerate().for_each(|(i, byte)| *byte = ((offset + i) % 251) as u8);
                    parts.lock().unwrap().push(part.len());
                    Ok(())
                })
                .unwrap();
                assert!(out.iter().enumerate().all(|(i, &byte)| byte == (i % 251) as u8), "{len}");
                let parts = parts.into_inner().unwrap();
                assert_eq!(parts.len(), len.div_ceil(PARALLEL_READ_BYTES).max(1), "{len}");
            }
            let mut out = vec![0u8; PARALLEL_READ_BYTES * 4];
            let failed = read_in_parts(&mut out, 1, &|offset, _| match offset {
                0 => Ok(()),
                _ => Err(crate::error::Error::usage("part", format!("at {offset}"))),
            });
            assert_eq!(
                failed.unwrap_err().to_string(),
                crate::error::Error::usage("part", format!("at {}", PARALLEL_READ_BYTES)).to_string()
            );
        });
    }

    #[test]
    fn map_keeps_index_order_and_reports_the_first_error() {
        pool(3).install(|| {
            assert_eq!(map_indices(5, |i| i * i), vec![0, 1, 4, 9, 16]);
            let failed: Result<Vec<usize>, usize> =
                map_indices(9, |i| if i % 4 == 3 { Err(i) } else { Ok(i) }).into_iter().collect();
            assert_eq!(failed, Err(3));
            assert_eq!(try_map_indices(4, |i| Ok::<_, ()>(i + 1)), Ok(vec![1, 2, 3, 4]));
            let started = std::sync::atomic::AtomicUsize::new(0);
            let failed = try_map_indices(10_000, |i| {
                started.fetch_add(1, Ordering::Relaxed);
                if i >= 5 {
                    Err(i)
                } else {
                    Ok(i)
                }
            });
            assert!(matches!(failed, Err(i) if i >= 5));
            // Indices not started when one failed were skipped.
            assert!(started.into_inner() < 10_000);
        });
    }

    #[test]
    fn fold_cuts_the_indices_into_runs_in_order() {
        for threads in [1, 2, 4] {
            pool(threads).install(|| {
                for n in [0, 1, 5, 1000] {
                    let states = fold_indices(n, Vec::new, |mut s: Vec<usize>, i| {
                        s.push(i);
                        s
                    });
                    assert_eq!(states.len(), n.min(4 * threads));
                    assert!(states.iter().all(|s| !s.is_empty()));
                    assert_eq!(states.concat(), (0..n).collect::<Vec<_>>(), "{threads} threads, {n}");
                }
            });
        }
    }

    #[test]
    fn each_thread_folds_into_a_value_of_its_own() {
        for threads in [1, 2, 3] {
            pool(threads).install(|| {
                let per_thread = PerThread::new();
                for_each_index(1000, &|i| per_thread.with(Vec::new, |mine: &mut Vec<usize>| mine.push(i)));
                let values: Vec<Vec<usize>> = per_thread.into_values().collect();
                assert!((1..=threads).contains(&values.len()), "{} values", values.len());
                let mut all = values.concat();
                all.sort_unstable();
                assert_eq!(all, (0..1000).collect::<Vec<_>>());
            });
        }
    }

    #[test]
    fn join_returns_both_results() {
        pool(2).install(|| assert_eq!(join(|| 1 + 1, || "b".repeat(2)), (2, "bb".to_string())));
    }
}
