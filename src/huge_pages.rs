//! Cells on 2 MiB pages: the accumulators that every point lands in at random.
//!
//! A tally of 2000^2 bytes spans 1024 pages of 4 KiB. Points hit it at random, so almost
//! every increment needs a page-table walk that the TLB no longer holds, and on a virtual
//! machine each walk goes through the host's tables too. The same 4 MB on 2 MiB pages
//! needs two TLB entries. So the hot accumulators are anonymous mappings rounded up to
//! whole 2 MiB pages and advised `MADV_HUGEPAGE` (Linux's transparent huge pages in their
//! default `madvise` mode); elsewhere, or when the kernel has no huge page to give, they
//! are ordinary zeroed pages, with the same contents either way.
//!
//! A side effect that matters as much: the first touch of a page of a `vec![0; n]` is
//! usually a read (an increment reads first), which maps the shared zero page; the write
//! that follows copies it and flushes the other cores' TLBs, one interrupt per 4 KiB page.
//! On huge pages that happens once per 2 MiB.

use bytemuck::Zeroable;

/// The size of a transparent huge page on x86-64 and most arm64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// Smaller buffers stay on the heap: they fit the TLB's reach anyway, and rounding them up
/// to a whole huge page would make a 100-pixel canvas cost 2 MiB.
const HEAP_BELOW: usize = HUGE_PAGE / 2;

/// `len` zero-initialised cells of `T`, on 2 MiB pages where the system gives them.
pub(crate) struct HugePageCells<T: Zeroable + Copy> {
    storage: Storage<T>,
    len: usize,
}

enum Storage<T> {
    Mapped(memmap2::MmapMut),
    /// Buffers under [`HEAP_BELOW`], or when the anonymous mapping fails.
    Heap(Vec<T>),
}

impl<T: Zeroable + Copy> HugePageCells<T> {
    /// `len` cells, every byte zero.
    pub(crate) fn zeroed(len: usize) -> HugePageCells<T> {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        let map = match bytes < HEAP_BELOW {
            true => None,
            false => memmap2::MmapOptions::new().len(bytes.div_ceil(HUGE_PAGE) * HUGE_PAGE).map_anon().ok(),
        };
        let storage = match map {
            Some(map) => {
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::HugePage);
                Storage::Mapped(map)
            }
            None => Storage::Heap(vec![T::zeroed(); len]),
        };
        HugePageCells { storage, len }
    }
}

impl<T: Zeroable + Copy> std::ops::Deref for HugePageCells<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.storage {
            // SAFETY: the mapping is page-aligned (so aligned for any `T` of alignment up
            // to 4096), at least `len * size_of::<T>()` bytes long, zero-filled by the
            // kernel, and all-zero bytes are a valid `T` (`Zeroable`). It lives as long as
            // `self`.
            Storage::Mapped(map) => unsafe { std::slice::from_raw_parts(map.as_ptr().cast::<T>(), self.len) },
            Storage::Heap(cells) => cells,
        }
    }
}

impl<T: Zeroable + Copy> std::ops::DerefMut for HugePageCells<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.storage {
            // SAFETY: as in `deref`; `&mut self` makes this the only reference.
            Storage::Mapped(map) => unsafe {
                std::slice::from_raw_parts_mut(map.as_mut_ptr().cast::<T>(), self.len)
            },
            Storage::Heap(cells) => cells,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_start_at_zero_and_keep_what_is_written() {
        for len in [0usize, 1, 1000, HEAP_BELOW / 4, (HUGE_PAGE / 4) + 3] {
            let mut cells = HugePageCells::<u32>::zeroed(len);
            assert_eq!(cells.len(), len);
            assert_eq!(matches!(cells.storage, Storage::Mapped(_)), len * 4 >= HEAP_BELOW);
            assert!(cells.iter().all(|&c| c == 0));
            for (i, c) in cells.iter_mut().enumerate() {
                *c = i as u32 * 7;
            }
            assert!(cells.iter().enumerate().all(|(i, &c)| c == i as u32 * 7));
        }
    }
}
