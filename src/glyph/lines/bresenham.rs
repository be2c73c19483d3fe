//! Datashader's integer Bresenham, evaluated in closed form so that a window of the line
//! costs only the pixels inside it.
//!
//! Datashader (`_bresenham`) walks the major axis one step at a time and steps the minor
//! axis when `error > 0`, or when `error == 0` and the line runs towards larger coordinates
//! along the major axis (the direction-symmetric tie-break). With `a = |major delta|`,
//! `b = |minor delta|` and `c = 0` for a line running towards larger major coordinates,
//! `c = 1` otherwise, the number of minor steps taken after `j` major steps is exactly
//!
//! `m(j) = floor((2 b j + a - c) / (2 a))`
//!
//! (proved by induction on Datashader's error term and checked against a literal port in
//! the tests). `m` is monotone, so the steps inside a window form one interval of `j`,
//! found by inverting `m`; inside it `m` advances with an exact integer remainder.

/// One segment in Bresenham terms: major/minor start, direction, and extent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Walk {
    /// Start along the major axis.
    pub p0: i64,
    /// Start along the minor axis.
    pub q0: i64,
    /// Direction of the major axis: -1, 0 or 1.
    pub ip: i64,
    /// Direction of the minor axis: -1, 0 or 1.
    pub iq: i64,
    /// |major delta|.
    pub a: i64,
    /// |minor delta| (at most `a`).
    pub b: i64,
    /// Datashader's tie-break: 0 if the minor axis steps on a tie, 1 if not.
    pub c: i64,
    /// The first step plotted: 0 (start pixel included) or 1.
    pub j_first: i64,
}

/// floor(n / d) for d > 0.
fn floor_div(n: i128, d: i128) -> i128 {
    n.div_euclid(d)
}

/// ceil(n / d) for d > 0.
fn ceil_div(n: i128, d: i128) -> i128 {
    -(-n).div_euclid(d)
}

impl Walk {
    /// Steps `j` whose major coordinate lies in `[lo, hi]` (inclusive), intersected with
    /// the segment's own steps.
    fn steps_for_major(&self, lo: i64, hi: i64) -> (i64, i64) {
        let (from, to) = match self.ip {
            1 => (lo - self.p0, hi - self.p0),
            -1 => (self.p0 - hi, self.p0 - lo),
            _ if (lo..=hi).contains(&self.p0) => (0, 0),
            _ => (1, 0),
        };
        (from.max(self.j_first), to.min(self.a))
    }

    /// Steps `j` whose minor coordinate lies in `[lo, hi]` (inclusive), possibly beyond
    /// the segment's own steps.
    fn steps_for_minor(&self, lo: i64, hi: i64) -> (i64, i64) {
        let (m_lo, m_hi) = match self.iq {
            1 => (lo - self.q0, hi - self.q0),
            -1 => (self.q0 - hi, self.q0 - lo),
            _ if (lo..=hi).contains(&self.q0) => return (i64::MIN, i64::MAX),
            _ => return (1, 0),
        };
        if m_hi < 0 || m_lo > m_hi {
            return (1, 0);
        }
        let (a, b, c) = (i128::from(self.a), i128::from(self.b), i128::from(self.c));
        let from =
            if m_lo <= 0 { i128::from(i64::MIN) } else { ceil_div(2 * a * i128::from(m_lo) - a + c, 2 * b) };
        let to = floor_div(2 * a * (i128::from(m_hi) + 1) - a + c - 1, 2 * b);
        let clamp = |v: i128| v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        (clamp(from), clamp(to))
    }

    /// Calls `plot(major, minor)` for every pixel of the walk with major coordinate in
    /// `major` and minor coordinate in `minor` (inclusive ranges), in step order.
    pub(crate) fn run(&self, major: (i64, i64), minor: (i64, i64), mut plot: impl FnMut(i64, i64)) {
        let (f0, t0) = self.steps_for_major(major.0, major.1);
        let (f1, t1) = self.steps_for_minor(minor.0, minor.1);
        let (from, to) = (f0.max(f1), t0.min(t1));
        if from > to {
            return;
        }
        let two_a = 2 * self.a.max(1);
        let z = 2 * i128::from(self.b) * i128::from(from) + i128::from(self.a - self.c);
        let mut m = floor_div(z, i128::from(two_a)) as i64;
        let mut rem = z.rem_euclid(i128::from(two_a)) as i64;
        let mut p = self.p0 + self.ip * from;
        for _ in from..=to {
            super::count_step();
            plot(p, self.q0 + self.iq * m);
            p += self.ip;
            rem += 2 * self.b;
            if rem >= two_a {
                rem -= two_a;
                m += 1;
            }
        }
    }
}

/// Datashader's `_bresenham` loop, verbatim, for tests: the pixels from `(x0, y0)` to
/// `(x1, y1)` in Datashader's own coordinates (y up).
#[cfg(test)]
pub(crate) fn datashader_bresenham(
    (mut x0, mut y0): (i64, i64),
    (x1, y1): (i64, i64),
    segment_start: bool,
    clipped: bool,
) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let dx = x1 - x0;
    let ix = (dx > 0) as i64 - (dx < 0) as i64;
    let dx = dx.abs() * 2;
    let dy = y1 - y0;
    let iy = (dy > 0) as i64 - (dy < 0) as i64;
    let dy = dy.abs() * 2;
    if !clipped && (dx | dy) == 0 {
        out.push((x0, y0));
        return out;
    }
    if segment_start {
        out.push((x0, y0));
    }
    if dx >= dy {
        let mut error = 2 * dy - dx;
        while x0 != x1 {
            if error >= 0 && (error != 0 || ix > 0) {
                error -= 2 * dx;
                y0 += iy;
            }
            error += 2 * dy;
            x0 += ix;
            out.push((x0, y0));
        }
    } else {
        let mut error = 2 * dx - dy;
        while y0 != y1 {
            if error >= 0 && (error != 0 || iy > 0) {
                error -= 2 * dy;
                x0 += ix;
            }
            error += 2 * dx;
            y0 += iy;
            out.push((x0, y0));
        }
    }
    out
}
