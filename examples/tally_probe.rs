//! Standalone measurement of direct counting's accumulation (issue 18): the index kernel and
//! the tally over float32 columns held in memory, 2 threads, in several arrangements.
//!
//! `cargo run --profile ci --example tally_probe -- DIR POINTS RANGE WIDTH [WHICH]` (DIR holds
//! x.npy and y.npy of float32, loaded into memory; WHICH picks arrangements by letter: `i`
//! index only, `a` the real [`Tally`] with chunks split between the threads, `b` and `c` rows
//! split between the threads (both read every point; u8 and 4-bit tallies), `d` 4-bit tallies,
//! `p` prefetch hints and distances, `r` a radix pre-pass into cache-sized blocks, `n` the
//! real index and tally in runs of 2048 to 32768 points, `e` rows split with the other half's
//! indices handed across, `f` the columns prefetched ahead; all but `p`, `r`, `n`, `e` and `f`
//! when left out); prints CPU-seconds of both threads and points per CPU-second, three rounds.
//!
//! `... -- arrival DIR POINTS RANGE PIECE`: page arrival with the real index and tally at
//! 2000^2, mapped columns (`MADV_SEQUENTIAL`, released every 2^16, 2^18 or 2^20 points, or
//! populated a window ahead with `MADV_POPULATE_READ`) against `pread` into reused buffers
//! of PIECE points; user and system CPU-seconds.

use std::time::Instant;

use gigaplot::__bench::{Axis, PixelIndex, Tally};
use gigaplot::Scale;

const RUN: usize = 8192;
const PREFETCH: usize = 128;

fn load(path: &str, n: usize) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("read");
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize + 10;
    bytemuck::cast_slice::<u8, f32>(&bytes[header..header + 4 * n]).to_vec()
}

fn thread_cpu() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

#[inline(always)]
fn prefetch(at: *const u8) {
    // SAFETY: a prefetch never faults.
    unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast()) }
}

/// Runs `f(worker)` on 2 threads; returns (wall, cpu of both).
fn two<F: Fn(usize) -> u64 + Sync>(f: F) -> (f64, f64, u64) {
    let t = Instant::now();
    let (cpu, check) = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|w| {
                let f = &f;
                s.spawn(move || {
                    let c = thread_cpu();
                    let r = f(w);
                    (thread_cpu() - c, r)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).fold((0.0, 0), |(a, b), (c, d)| (a + c, b + d))
    });
    (t.elapsed().as_secs_f64(), cpu, check)
}

#[inline(always)]
fn add<const HINT: i32, const DIST: usize>(small: &mut [u8], carry: &mut [u32], indices: &[u32]) {
    for (k, &i) in indices.iter().enumerate() {
        if let Some(&ahead) = indices.get(k + DIST) {
            // SAFETY: a prefetch never faults.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<HINT>(small.as_ptr().wrapping_add(ahead as usize).cast())
            }
        }
        let i = i as usize;
        let v = small[i].wrapping_add(1);
        small[i] = v;
        if v == 0 {
            carry[i] = carry[i].saturating_add(256);
        }
    }
}

#[inline(always)]
fn bump(small: &mut [u8], carry: &mut [u32], i: u32) {
    let i = i as usize;
    let v = small[i].wrapping_add(1);
    small[i] = v;
    if v == 0 {
        carry[i] = carry[i].saturating_add(256);
    }
}

#[inline(always)]
fn add_zip(small: &mut [u8], carry: &mut [u32], indices: &[u32]) {
    let split = indices.len().saturating_sub(256);
    for (&i, &ahead) in indices.iter().zip(&indices[indices.len().min(256)..]) {
        // SAFETY: a prefetch never faults.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                small.as_ptr().wrapping_add(ahead as usize).cast(),
            )
        }
        bump(small, carry, i);
    }
    for &i in &indices[split..] {
        bump(small, carry, i);
    }
}

/// A 4-bit counter per pixel (two per byte), carries of 16 in u16 cells, then u32.
struct Nibbles {
    small: Vec<u8>,
    mid: Vec<u16>,
}

impl Nibbles {
    fn new(cells: usize) -> Self {
        Nibbles { small: vec![0; cells.div_ceil(2)], mid: vec![0; cells] }
    }
    #[inline]
    fn add(&mut self, indices: &[u32]) {
        let (small, mid) = (&mut self.small[..], &mut self.mid[..]);
        for (k, &i) in indices.iter().enumerate() {
            if let Some(&ahead) = indices.get(k + PREFETCH) {
                prefetch(small.as_ptr().wrapping_add(ahead as usize >> 1));
            }
            let i = i as usize;
            let shift = (i & 1) * 4;
            let b = small[i >> 1];
            let nib = ((b >> shift) + 1) & 15;
            small[i >> 1] = (b & !(15 << shift)) | (nib << shift);
            if nib == 0 {
                mid[i] = mid[i].wrapping_add(1);
            }
        }
    }
    fn sum(&self) -> u64 {
        (0..self.mid.len())
            .map(|i| u64::from((self.small[i >> 1] >> ((i & 1) * 4)) & 15) + 16 * u64::from(self.mid[i]))
            .sum()
    }
}

/// Radix pre-pass (issue 18, session 10): indices bucketed by block of `1 << BITS` cells as
/// u16 in-block offsets, `cap` per bucket; a full bucket is flushed into its block of the u8
/// tally (which then stays in L1/L2 for the whole flush).
struct Radix<const BITS: u32> {
    small: Vec<u8>,
    carry: Vec<u32>,
    buckets: Vec<u16>,
    lens: Vec<u32>,
    cap: usize,
    prefetch_block: bool,
}

impl<const BITS: u32> Radix<BITS> {
    fn new(cells: usize, cap: usize, prefetch_block: bool) -> Self {
        let blocks = cells.div_ceil(1 << BITS);
        Radix {
            small: vec![0; blocks << BITS],
            carry: vec![0; blocks << BITS],
            buckets: vec![0; blocks * cap],
            lens: vec![0; blocks],
            cap,
            prefetch_block,
        }
    }

    #[inline(never)]
    fn flush(&mut self, b: usize) {
        let len = self.lens[b] as usize;
        let base = b << BITS;
        let small = &mut self.small[base..base + (1 << BITS)];
        if self.prefetch_block {
            for line in (0..1usize << BITS).step_by(64) {
                prefetch(small.as_ptr().wrapping_add(line));
            }
        }
        let carry = &mut self.carry[base..base + (1 << BITS)];
        for &o in &self.buckets[b * self.cap..b * self.cap + len] {
            let o = o as usize & ((1 << BITS) - 1);
            let v = small[o].wrapping_add(1);
            small[o] = v;
            if v == 0 {
                carry[o] = carry[o].saturating_add(256);
            }
        }
        self.lens[b] = 0;
    }

    #[inline]
    fn add(&mut self, indices: &[u32]) {
        for &i in indices {
            let b = (i >> BITS) as usize;
            let len = self.lens[b] as usize;
            self.buckets[b * self.cap + len] = i as u16;
            self.lens[b] = len as u32 + 1;
            if len + 1 == self.cap {
                self.flush(b);
            }
        }
    }

    fn finish(&mut self) -> u64 {
        for b in 0..self.lens.len() {
            self.flush(b);
        }
        self.small.iter().zip(&self.carry).map(|(&s, &c)| u64::from(s) + u64::from(c)).sum()
    }
}

/// User and system CPU-seconds of the calling thread.
fn thread_times() -> (f64, f64) {
    // SAFETY: a zeroed rusage is a valid out-value.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    (t(u.ru_utime), t(u.ru_stime))
}

/// Page arrival: mmap (MADV_SEQUENTIAL, released every 64 Ki points) against pread into
/// reused buffers, with the real index and tally; `n` points of DIR's columns.
fn arrival(dir: &str, n: usize, kernel: &PixelIndex, piece: usize) {
    use std::os::unix::fs::FileExt;
    let open = |name: &str| std::fs::File::open(format!("{dir}/{name}.npy")).unwrap();
    let (fx, fy) = (open("x"), open("y"));
    let header = 128u64;
    let cells = kernel.dropped() as usize + 1;
    let chunk = 1 << 20;
    let chunks = n.div_ceil(chunk);
    let run = |name: &str, f: &(dyn Fn(usize, &mut Tally) + Sync)| {
        let t = Instant::now();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let times: Vec<(f64, f64, u64)> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let next = &next;
                    s.spawn(move || {
                        let (u0, s0) = thread_times();
                        let mut tally = Tally::new(cells);
                        loop {
                            let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if c >= chunks {
                                break;
                            }
                            f(c, &mut tally);
                        }
                        let (u1, s1) = thread_times();
                        (u1 - u0, s1 - s0, tally.get(cells - 1) as u64)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let (u, s) = times.iter().fold((0.0, 0.0), |(a, b), t| (a + t.0, b + t.1));
        println!(
            "{name:40} wall {:.3} s  user {u:.3} s  sys {s:.3} s  cpu {:.3} s",
            t.elapsed().as_secs_f64(),
            u + s
        );
    };
    let len = header as usize + 4 * n;
    // SAFETY: the benchmark files are read-only and not truncated while mapped.
    let mx = unsafe { memmap2::Mmap::map(&fx).unwrap() };
    // SAFETY: as above.
    let my = unsafe { memmap2::Mmap::map(&fy).unwrap() };
    for m in [&mx, &my] {
        m.advise(memmap2::Advice::Sequential).unwrap();
    }
    let _ = len;
    fn floats(m: &memmap2::Mmap, a: usize, l: usize) -> &[f32] {
        bytemuck::cast_slice(&m[128 + 4 * a..128 + 4 * (a + l)])
    }
    let release = |a: usize, l: usize| {
        for m in [&mx, &my] {
            let lo = (header as usize + 4 * a) & !4095;
            let hi = (header as usize + 4 * (a + l)) & !4095;
            if hi > lo {
                // SAFETY: the range is within the mapping; the pages are only read again through it.
                unsafe { libc::madvise(m.as_ptr().add(lo) as *mut _, hi - lo, libc::MADV_DONTNEED) };
            }
        }
    };
    // Populates the pages of points [a, a + l) in one call (MADV_POPULATE_READ, Linux 5.14).
    let populate = |a: usize, l: usize| {
        for m in [&mx, &my] {
            let lo = (header as usize + 4 * a) & !4095;
            let hi = ((header as usize + 4 * (a + l)) & !4095).min(m.len() & !4095);
            if hi > lo {
                // SAFETY: the range is within the mapping; populating only reads the file.
                unsafe { libc::madvise(m.as_ptr().add(lo) as *mut _, hi - lo, 22) };
            }
        }
    };
    let (rmx, rmy, release, populate) = (&mx, &my, &release, &populate);
    let mmap_every = |every: usize, ahead: bool| {
        move |c: usize, tally: &mut Tally| {
            let (a, l) = (c * chunk, chunk.min(n - c * chunk));
            let mut out = [0u32; RUN];
            let mut released = a;
            if ahead {
                populate(a, every.min(l));
            }
            for at in (a..a + l).step_by(RUN) {
                let m = RUN.min(a + l - at);
                kernel.index(floats(rmx, at, m), floats(rmy, at, m), &mut out[..m]);
                tally.add(&out[..m]);
                if at + m - released >= every || at + m == a + l {
                    release(released, at + m - released);
                    released = at + m;
                    if ahead && released < a + l {
                        populate(released, every.min(a + l - released));
                    }
                }
            }
        }
    };
    let mmap_chunk = mmap_every(1 << 16, false);
    let pread_chunk = |c: usize, tally: &mut Tally| {
        let (a, l) = (c * chunk, chunk.min(n - c * chunk));
        let mut out = [0u32; RUN];
        let mut bx = vec![0f32; piece];
        let mut by = vec![0f32; piece];
        for p in (a..a + l).step_by(piece) {
            let m = piece.min(a + l - p);
            fx.read_exact_at(bytemuck::cast_slice_mut(&mut bx[..m]), header + 4 * p as u64).unwrap();
            fy.read_exact_at(bytemuck::cast_slice_mut(&mut by[..m]), header + 4 * p as u64).unwrap();
            for q in (0..m).step_by(RUN) {
                let k = RUN.min(m - q);
                kernel.index(&bx[q..q + k], &by[q..q + k], &mut out[..k]);
                tally.add(&out[..k]);
            }
        }
    };
    for round in 0..3 {
        println!("arrival round {round}, {n} points, pread pieces of {piece}");
        run("mmap + SEQUENTIAL + DONTNEED per 64 Ki", &mmap_chunk);
        run("pread into reused buffers", &pread_chunk);
        run("mmap, DONTNEED per 256 Ki", &mmap_every(1 << 18, false));
        run("mmap, DONTNEED per 1 Mi (a chunk)", &mmap_every(1 << 20, false));
        run("mmap, POPULATE_READ + DONTNEED per 64 Ki", &mmap_every(1 << 16, true));
        run("mmap, POPULATE_READ + DONTNEED per 256 Ki", &mmap_every(1 << 18, true));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "arrival" {
        let r: f64 = args[4].parse().unwrap();
        let x = Axis::new(gigaplot::Field::XRange, (-r, r), 2000, Scale::Linear).unwrap();
        let y = Axis::new(gigaplot::Field::YRange, (-r, r), 2000, Scale::Linear).unwrap();
        arrival(&args[2], args[3].parse().unwrap(), &PixelIndex::new(x, y), args[5].parse().unwrap());
        return;
    }
    let dir = &args[1];
    let n: usize = args[2].parse().unwrap();
    let r: f64 = args[3].parse().unwrap();
    let width: u32 = args[4].parse().unwrap();
    let which = args.get(5).cloned().unwrap_or_default();
    let xs = load(&format!("{dir}/x.npy"), n);
    let ys = load(&format!("{dir}/y.npy"), n);
    let x = Axis::new(gigaplot::Field::XRange, (-r, r), width, Scale::Linear).unwrap();
    let y = Axis::new(gigaplot::Field::YRange, (-r, r), width, Scale::Linear).unwrap();
    let kernel = PixelIndex::new(x, y);
    let cells = kernel.dropped() as usize + 1;
    let chunk = 1 << 20;
    let chunks = n.div_ceil(chunk);
    let span = |c: usize| (c * chunk, chunk.min(n - c * chunk));
    let index_runs = |start: usize, len: usize, f: &mut dyn FnMut(&[u32])| {
        let mut out = [0u32; RUN];
        for at in (start..start + len).step_by(RUN) {
            let m = RUN.min(start + len - at);
            kernel.index(&xs[at..at + m], &ys[at..at + m], &mut out[..m]);
            f(&out[..m]);
        }
    };
    // The same with the columns prefetched `ahead` points on, 256 points (16 lines a column)
    // at a time.
    let index_runs_pf = |start: usize, len: usize, ahead: usize, hint: i32, f: &mut dyn FnMut(&[u32])| {
        let mut out = [0u32; RUN];
        let end = start + len;
        for at in (start..end).step_by(RUN) {
            let m = RUN.min(end - at);
            for sub in (0..m).step_by(256) {
                let k = 256.min(m - sub);
                let p = (at + sub + ahead).min(n - 1);
                for line in (0..256).step_by(16) {
                    let (px, py) = (
                        xs.as_ptr().wrapping_add(p + line).cast(),
                        ys.as_ptr().wrapping_add(p + line).cast(),
                    );
                    // SAFETY: a prefetch never faults.
                    unsafe {
                        use std::arch::x86_64::*;
                        match hint {
                            0 => {
                                _mm_prefetch::<_MM_HINT_T0>(px);
                                _mm_prefetch::<_MM_HINT_T0>(py)
                            }
                            1 => {
                                _mm_prefetch::<_MM_HINT_T1>(px);
                                _mm_prefetch::<_MM_HINT_T1>(py)
                            }
                            _ => {
                                _mm_prefetch::<_MM_HINT_NTA>(px);
                                _mm_prefetch::<_MM_HINT_NTA>(py)
                            }
                        }
                    }
                }
                kernel.index(
                    &xs[at + sub..at + sub + k],
                    &ys[at + sub..at + sub + k],
                    &mut out[sub..sub + k],
                );
            }
            f(&out[..m]);
        }
    };
    let report = |name: &str, (wall, cpu, check): (f64, f64, u64)| {
        println!(
            "{name:40} wall {wall:.3} s  cpu {cpu:.3} s  {:.0} M points/CPU-s  check {check}",
            n as f64 / cpu / 1e6
        )
    };
    for round in 0..3 {
        println!("round {round}");
        if which.is_empty() || which.contains('i') {
            report(
                "index only (chunks split)",
                two(|w| {
                    let mut s = 0u64;
                    for c in (w..chunks).step_by(2) {
                        let (a, l) = span(c);
                        index_runs(a, l, &mut |o| s += u64::from(o[0]));
                    }
                    s
                }),
            );
        }
        if which.is_empty() || which.contains('a') {
            report(
                "A: chunks split, 4 MB u8 tally each",
                two(|w| {
                    let mut t = Tally::new(cells);
                    for c in (w..chunks).step_by(2) {
                        let (a, l) = span(c);
                        index_runs(a, l, &mut |o| t.add(o));
                    }
                    (0..cells).map(|i| u64::from(t.get(i))).sum()
                }),
            );
        }
        if which.contains('p') {
            macro_rules! variant {
                ($name:expr, $hint:expr, $dist:expr) => {
                    report(
                        $name,
                        two(|w| {
                            let mut small = vec![0u8; cells];
                            let mut carry = vec![0u32; cells];
                            for c in (w..chunks).step_by(2) {
                                let (a, l) = span(c);
                                index_runs(a, l, &mut |o| add::<$hint, $dist>(&mut small, &mut carry, o));
                            }
                            (0..cells).map(|i| u64::from(small[i]) + u64::from(carry[i])).sum()
                        }),
                    )
                };
            }
            use std::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T1};
            variant!("P: T0 128", _MM_HINT_T0, 128);
            variant!("P: T1 256", _MM_HINT_T1, 256);
            variant!("P: T1 320", _MM_HINT_T1, 320);
            report(
                "U: T1 256, zipped",
                two(|w| {
                    let mut small = vec![0u8; cells];
                    let mut carry = vec![0u32; cells];
                    for c in (w..chunks).step_by(2) {
                        let (a, l) = span(c);
                        index_runs(a, l, &mut |o| add_zip(&mut small, &mut carry, o));
                    }
                    (0..cells).map(|i| u64::from(small[i]) + u64::from(carry[i])).sum()
                }),
            );
            variant!("P: T1 256", _MM_HINT_T1, 256);
        }
        if which.contains('n') {
            // The index run's length: points indexed before the tally counts them.
            macro_rules! run_length {
                ($run:expr) => {
                    report(
                        &format!("N: index + tally in runs of {}", $run),
                        two(|w| {
                            let mut t = Tally::new(cells);
                            let mut out = [0u32; $run];
                            for c in (w..chunks).step_by(2) {
                                let (start, len) = span(c);
                                for at in (start..start + len).step_by($run) {
                                    let m = $run.min(start + len - at);
                                    kernel.index(&xs[at..at + m], &ys[at..at + m], &mut out[..m]);
                                    t.add(&out[..m]);
                                }
                            }
                            (0..cells).map(|i| u64::from(t.get(i))).sum()
                        }),
                    )
                };
            }
            run_length!(2048);
            run_length!(4096);
            run_length!(8192);
            run_length!(16384);
            run_length!(32768);
        }
        if which.contains('f') {
            for (ahead, hint) in [(256usize, 0), (512, 0), (1024, 0), (512, 1), (512, 2), (1024, 2)] {
                report(
                    &format!("F: index only, columns prefetched {ahead} on, hint {hint}"),
                    two(|w| {
                        let mut s = 0u64;
                        for c in (w..chunks).step_by(2) {
                            let (a, l) = span(c);
                            index_runs_pf(a, l, ahead, hint, &mut |o| s += u64::from(o[0]));
                        }
                        s
                    }),
                );
                report(
                    &format!("F: + tally, columns prefetched {ahead} on, hint {hint}"),
                    two(|w| {
                        let mut t = Tally::new(cells);
                        for c in (w..chunks).step_by(2) {
                            let (a, l) = span(c);
                            index_runs_pf(a, l, ahead, hint, &mut |o| t.add(o));
                        }
                        (0..cells).map(|i| u64::from(t.get(i))).sum()
                    }),
                );
            }
        }
        if which.contains('r') {
            macro_rules! radix {
                ($name:expr, $bits:expr, $cap:expr, $pf:expr) => {
                    report(
                        $name,
                        two(|w| {
                            let mut t = Radix::<$bits>::new(cells, $cap, $pf);
                            for c in (w..chunks).step_by(2) {
                                let (a, l) = span(c);
                                index_runs(a, l, &mut |o| t.add(o));
                            }
                            t.finish()
                        }),
                    )
                };
            }
            radix!("R: radix 32 KiB blocks, 2048 each", 15, 2048, false);
            radix!("R: radix 32 KiB blocks, 4096 each", 15, 4096, false);
            radix!("R: radix 32 KiB, 4096, block prefetch", 15, 4096, true);
            radix!("R: radix 64 KiB blocks, 4096 each", 16, 4096, false);
            radix!("R: radix 64 KiB blocks, 8192 each", 16, 8192, false);
            radix!("R: radix 16 KiB blocks, 2048 each", 14, 2048, false);
        }
        if which.contains('e') {
            // Rows split with an exchange: each worker indexes its chunks, tallies the points
            // of its half of the rows into a 2 MB tally and hands the others over in batches.
            let h = (kernel.dropped() as usize / width as usize).div_ceil(2) * width as usize;
            for batch in [1usize << 14, 1 << 16] {
                let (tx0, rx0) = std::sync::mpsc::channel::<Vec<u32>>();
                let (tx1, rx1) = std::sync::mpsc::channel::<Vec<u32>>();
                let ends = std::sync::Mutex::new(vec![Some((tx1, rx0)), Some((tx0, rx1))]);
                report(
                    &format!("E: rows split, exchange batches of {batch}"),
                    two(|w| {
                        let (tx, rx) = ends.lock().unwrap()[w].take().unwrap();
                        let (lo, hi) = if w == 0 { (0, h) } else { (h, cells) };
                        let mut t = Tally::new(hi - lo);
                        let mut mine = [0u32; RUN];
                        let mut theirs: Vec<u32> = Vec::with_capacity(batch + RUN);
                        for c in (w..chunks).step_by(2) {
                            let (a, l) = span(c);
                            index_runs(a, l, &mut |o| {
                                let mut k = 0;
                                for &i in o {
                                    let j = i.wrapping_sub(lo as u32);
                                    let keep = (j as usize) < hi - lo;
                                    mine[k] = j;
                                    k += usize::from(keep);
                                    if !keep {
                                        theirs.push(i);
                                    }
                                }
                                t.add(&mine[..k]);
                                if theirs.len() >= batch {
                                    tx.send(std::mem::replace(&mut theirs, Vec::with_capacity(batch + RUN)))
                                        .unwrap();
                                }
                                while let Ok(mut got) = rx.try_recv() {
                                    got.iter_mut().for_each(|i| *i -= lo as u32);
                                    t.add(&got);
                                }
                            });
                        }
                        tx.send(theirs).unwrap();
                        drop(tx);
                        for mut got in rx.iter() {
                            got.iter_mut().for_each(|i| *i -= lo as u32);
                            t.add(&got);
                        }
                        (0..hi - lo).map(|i| u64::from(t.get(i))).sum()
                    }),
                );
            }
        }
        if which.is_empty() || which.contains('b') {
            // Rows split: worker w owns cells [lo, hi); both read every point.
            let h = (kernel.dropped() as usize / width as usize).div_ceil(2) * width as usize;
            report(
                "B: rows split, 2 MB u8 tally each",
                two(|w| {
                    let (lo, hi) = if w == 0 { (0, h) } else { (h, cells) };
                    let mut t = Tally::new(hi - lo);
                    let mut mine = [0u32; RUN];
                    for c in 0..chunks {
                        let (a, l) = span(c);
                        index_runs(a, l, &mut |o| {
                            let mut k = 0;
                            for &i in o {
                                let j = i.wrapping_sub(lo as u32);
                                mine[k] = j;
                                k += usize::from((j as usize) < hi - lo);
                            }
                            t.add(&mine[..k]);
                        });
                    }
                    (0..hi - lo).map(|i| u64::from(t.get(i))).sum()
                }),
            );
        }
        if which.is_empty() || which.contains('c') {
            let h = (kernel.dropped() as usize / width as usize).div_ceil(2) * width as usize;
            report(
                "C: rows split, 1 MB nibble tally each",
                two(|w| {
                    let (lo, hi) = if w == 0 { (0, h) } else { (h, cells) };
                    let mut t = Nibbles::new(hi - lo);
                    let mut mine = [0u32; RUN];
                    for c in 0..chunks {
                        let (a, l) = span(c);
                        index_runs(a, l, &mut |o| {
                            let mut k = 0;
                            for &i in o {
                                let j = i.wrapping_sub(lo as u32);
                                mine[k] = j;
                                k += usize::from((j as usize) < hi - lo);
                            }
                            t.add(&mine[..k]);
                        });
                    }
                    t.sum()
                }),
            );
        }
        if which.is_empty() || which.contains('d') {
            report(
                "D: chunks split, 2 MB nibble tally each",
                two(|w| {
                    let mut t = Nibbles::new(cells);
                    for c in (w..chunks).step_by(2) {
                        let (a, l) = span(c);
                        index_runs(a, l, &mut |o| t.add(o));
                    }
                    t.sum()
                }),
            );
        }
    }
}
