//! Division of u32 values by a divisor fixed for a whole render (band height, tile width)
//! with one multiplication, since a hardware division per point is measurable at 10^9 points.

/// Divides u32 numerators by a fixed non-zero u32 divisor (Lemire's method: exact for every
/// u32 numerator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastDiv {
    multiplier: u64,
    divisor: u32,
}

impl FastDiv {
    /// Prepares division by `divisor` (must not be 0).
    pub fn new(divisor: u32) -> FastDiv {
        assert!(divisor > 0, "FastDiv by zero");
        // For divisor 1 the multiplier would be 2^64; that case is handled in `div`.
        let multiplier = if divisor == 1 { 0 } else { u64::MAX / u64::from(divisor) + 1 };
        FastDiv { multiplier, divisor }
    }

    /// `n / divisor`.
    #[inline(always)]
    pub fn quotient(self, n: u32) -> u32 {
        if self.divisor == 1 {
            return n;
        }
        ((u128::from(self.multiplier) * u128::from(n)) >> 64) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hardware_division() {
        let divisors = [1u32, 2, 3, 7, 64, 100, 255, 256, 1000, 65_535, 1 << 20, 2_147_483_647, u32::MAX];
        let numerators = [0u32, 1, 2, 3, 99, 100, 101, 65_535, 65_536, 1 << 31, u32::MAX - 1, u32::MAX];
        for &d in &divisors {
            let f = FastDiv::new(d);
            for &n in &numerators {
                assert_eq!(f.quotient(n), n / d, "{n} / {d}");
            }
            let mut n = 12_345u32;
            for _ in 0..10_000 {
                n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                assert_eq!(f.quotient(n), n / d, "{n} / {d}");
            }
        }
    }
}
