"""Prints how the page cache holds a file: how many of its bytes sit in 2 MiB folios.

Run as root (it reads /proc/kpageflags):  python3 tools/page_cache_folios.py FILE...

Why: on the Linux 6.18 VM of 2026-12-07 a mapped column in 2 MiB folios is mapped a
folio at a time, while one in 4 KiB pages is mapped 64 KiB per page fault (fault-around),
and a 10^9-point render's system time follows that (README, Performance, session 11). The
file is mapped read-only and each page touched once, so pages not cached are read in (in
whatever folios readahead makes); nothing is evicted or changed.
"""
import ctypes
import mmap
import os
import struct
import sys

PAGE = 4096
COMPOUND_TAIL = 1 << 16
THP = 1 << 22
PFN_MASK = (1 << 55) - 1
WINDOW = 64 << 20

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def census(path):
    """(pages, pages in 2 MiB folios, pages in other large folios) of the file's cache."""
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    total = huge = other = 0
    with open("/proc/self/pagemap", "rb") as pagemap, open("/proc/kpageflags", "rb") as kflags:
        for offset in range(0, size, WINDOW):
            length = min(WINDOW, size - offset)
            base = libc.mmap(None, length, mmap.PROT_READ, mmap.MAP_SHARED, fd, offset)
            pages = (length + PAGE - 1) // PAGE
            for p in range(pages):
                ctypes.c_char.from_address(base + p * PAGE).value
            pagemap.seek(base // PAGE * 8)
            entries = struct.unpack(f"{pages}Q", pagemap.read(8 * pages))
            p = 0
            while p < pages:
                kflags.seek((entries[p] & PFN_MASK) * 8)
                flags = struct.unpack("Q", kflags.read(8))[0]
                run = 1
                while p + run < pages:
                    kflags.seek((entries[p + run] & PFN_MASK) * 8)
                    if not struct.unpack("Q", kflags.read(8))[0] & COMPOUND_TAIL:
                        break
                    run += 1
                if flags & THP and run == 512:
                    huge += run
                elif run > 1:
                    other += run
                total += run
                p += run
            libc.munmap(base, length)
    os.close(fd)
    return total, huge, other


for path in sys.argv[1:]:
    total, huge, other = census(path)
    print(
        f"{path}: {total * PAGE / 2**20:.0f} MiB, {100 * huge / total:.1f} % in 2 MiB folios, "
        f"{100 * other / total:.1f} % in other large folios, {100 * (total - huge - other) / total:.1f} % in 4 KiB pages"
    )
