//! Length-limited canonical Huffman codes for deflate blocks.

/// Huffman code lengths (<= `max_bits`) for `freq`, complete whenever two or more symbols
/// are used; with a single used symbol, a second one gets a code too, so decoders that
/// reject incomplete codes accept the result. Symbols of frequency 0 get length 0.
pub(super) fn code_lengths(freq: &[u32], max_bits: u8) -> Vec<u8> {
    let mut lengths = vec![0u8; freq.len()];
    let mut used: Vec<(u32, usize)> =
        freq.iter().enumerate().filter(|(_, &f)| f > 0).map(|(s, &f)| (f, s)).collect();
    match used.len() {
        0 => {
            lengths[0] = 1;
            lengths[1] = 1;
            return lengths;
        }
        1 => {
            let other = if used[0].1 == 0 { 1 } else { 0 };
            lengths[used[0].1] = 1;
            lengths[other] = 1;
            return lengths;
        }
        _ => {}
    }
    used.sort_unstable();
    let mut weights: Vec<u32> = used.iter().map(|&(f, _)| f).collect();
    minimum_redundancy(&mut weights);
    // weights[i] is now the code length of used[i] (longest first).
    let mut count_per_length = [0u32; 64];
    for &len in &weights {
        count_per_length[(len as usize).min(63)] += 1;
    }
    limit_lengths(&mut count_per_length, max_bits);
    let mut next = 0;
    for len in (1..=max_bits as usize).rev() {
        for _ in 0..count_per_length[len] {
            lengths[used[next].1] = len as u8;
            next += 1;
        }
    }
    lengths
}

/// In-place Moffat-Katajainen: turns ascending weights (at least 2) into optimal code
/// lengths (the first, lightest symbol gets the longest code).
fn minimum_redundancy(a: &mut [u32]) {
    let n = a.len();
    // Phase 1: build the tree, storing parent pointers and internal weights.
    a[0] += a[1];
    let (mut root, mut leaf) = (0usize, 2usize);
    for next in 1..n - 1 {
        if leaf >= n || a[root] < a[leaf] {
            a[next] = a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] = a[leaf];
            leaf += 1;
        }
        if leaf >= n || (root < next && a[root] < a[leaf]) {
            a[next] += a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] += a[leaf];
            leaf += 1;
        }
    }
    // Phase 2: depths of internal nodes.
    a[n - 2] = 0;
    for next in (0..n.saturating_sub(2)).rev() {
        a[next] = a[a[next] as usize] + 1;
    }
    // Phase 3: depths of leaves.
    let (mut avail, mut used, mut depth) = (1i64, 0i64, 0u32);
    let mut root = n as i64 - 2;
    let mut next = n as i64 - 1;
    while avail > 0 {
        while root >= 0 && a[root as usize] == depth {
            used += 1;
            root -= 1;
        }
        while avail > used {
            a[next as usize] = depth;
            next -= 1;
            avail -= 1;
        }
        avail = 2 * used;
        depth += 1;
        used = 0;
    }
}

/// Moves codes longer than `max_bits` to `max_bits` and rebalances so the Kraft sum is
/// exactly 1 again (miniz's method).
fn limit_lengths(count_per_length: &mut [u32; 64], max_bits: u8) {
    let max = max_bits as usize;
    for len in max + 1..64 {
        count_per_length[max] += count_per_length[len];
        count_per_length[len] = 0;
    }
    let mut total: u64 = (1..=max).map(|len| u64::from(count_per_length[len]) << (max - len)).sum();
    while total > 1u64 << max {
        count_per_length[max] -= 1;
        for len in (1..max).rev() {
            if count_per_length[len] > 0 {
                count_per_length[len] -= 1;
                count_per_length[len + 1] += 2;
                break;
            }
        }
        total -= 1;
    }
}

/// Canonical codes for `lengths`, bit-reversed for LSB-first output.
pub(super) fn canonical_codes(lengths: &[u8]) -> Vec<u16> {
    let mut count = [0u16; 16];
    for &len in lengths {
        count[len as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for len in 1..16 {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    lengths
        .iter()
        .map(|&len| {
            if len == 0 {
                return 0;
            }
            let c = next[len as usize];
            next[len as usize] += 1;
            c.reverse_bits() >> (16 - len)
        })
        .collect()
}
