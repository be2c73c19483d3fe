//! A census of the distinct count vectors of a `count-cat` canvas's non-empty pixels, while
//! they are few: what lets the shader know every colour of the image before the first row,
//! and so write it with a palette ([`crate::shade::CategoryShader::palette`]).

/// A [`Census`] holds at most this many distinct count vectors; beyond, it gives up. A
/// palette holds at most 256 colours, the empty pixels' among them, and distinct vectors
/// mostly shade to distinct colours (their mix or their alpha differ), so a census of more
/// would rarely give a palette.
pub(crate) const CENSUS_LIMIT: usize = 256;

/// The distinct count vectors of a canvas's non-empty pixels, while they are at most
/// [`CENSUS_LIMIT`]: with them the shader knows every colour of the image before it is
/// written. Independent of the order pixels come in, so the same for every tile size and
/// thread count; a statistics file keeps it sorted.
///
/// The vectors are kept one after another in one array, found through an open-addressed
/// table of their indices under a multiply-and-rotate hash (no allocation per vector).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(from = "Option<Vec<Box<[u32]>>>", into = "Option<Vec<Box<[u32]>>>")]
pub(crate) struct Census {
    /// False once it gave up.
    open: bool,
    /// Counts a vector has (0 until the first vector comes).
    width: usize,
    /// The vectors, `width` counts each.
    vectors: Vec<u32>,
    /// 1 + the index of a vector, or 0 for a free slot; [`CENSUS_SLOTS`] of them once a
    /// vector came.
    slots: Vec<u16>,
}

/// Slots of a census's table: twice its limit, so probes stay short.
const CENSUS_SLOTS: usize = 2 * CENSUS_LIMIT;

impl Census {
    /// No vector yet.
    pub fn new() -> Census {
        Census { open: true, width: 0, vectors: Vec::new(), slots: Vec::new() }
    }

    /// A census that has given up (more vectors than the limit, or none was taken: a
    /// statistics file written before census existed).
    pub fn given_up() -> Census {
        Census { open: false, ..Census::new() }
    }

    /// Whether it still counts.
    #[inline]
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// How many vectors it holds.
    fn len(&self) -> usize {
        self.vectors.len().checked_div(self.width).unwrap_or(0)
    }

    /// The slot of `pixel`: where it is, or the free slot where it would go.
    #[inline]
    fn slot(&self, pixel: &[u32]) -> usize {
        let hash = pixel
            .iter()
            .fold(0u64, |h, &v| (h.rotate_left(5) ^ u64::from(v)).wrapping_mul(0x517c_c1b7_2722_0a95));
        let mut slot = (hash >> 32) as usize % CENSUS_SLOTS;
        loop {
            match self.slots[slot] {
                0 => return slot,
                i => {
                    let at = (usize::from(i) - 1) * self.width;
                    if &self.vectors[at..at + self.width] == pixel {
                        return slot;
                    }
                }
            }
            slot = (slot + 1) % CENSUS_SLOTS;
        }
    }

    /// Counts `pixel`'s vector in.
    #[inline]
    pub(crate) fn add(&mut self, pixel: &[u32]) {
        if !self.open {
            return;
        }
        if self.slots.is_empty() {
            self.width = pixel.len();
            self.slots = vec![0; CENSUS_SLOTS];
        }
        let slot = self.slot(pixel);
        if self.slots[slot] == 0 {
            if self.len() == CENSUS_LIMIT {
                *self = Census::given_up();
            } else {
                self.vectors.extend_from_slice(pixel);
                self.slots[slot] = self.len() as u16;
            }
        }
    }

    /// Adds another part of the canvas's census.
    pub(crate) fn merge(&mut self, other: &Census) {
        if !other.open {
            *self = Census::given_up();
            return;
        }
        for vector in other.vectors.chunks_exact(other.width.max(1)) {
            self.add(vector);
        }
    }

    /// The vectors in order (None when it gave up).
    pub fn vectors(&self) -> Option<Vec<&[u32]>> {
        if !self.open {
            return None;
        }
        let mut all: Vec<&[u32]> = self.vectors.chunks_exact(self.width.max(1)).collect();
        all.sort_unstable();
        Some(all)
    }
}

impl PartialEq for Census {
    /// The same vectors, in whatever order they came.
    fn eq(&self, other: &Census) -> bool {
        self.vectors() == other.vectors()
    }
}

impl Eq for Census {}

impl Default for Census {
    /// A statistics file without a census: given up.
    fn default() -> Census {
        Census::given_up()
    }
}

impl From<Option<Vec<Box<[u32]>>>> for Census {
    fn from(saved: Option<Vec<Box<[u32]>>>) -> Census {
        let Some(vectors) = saved else { return Census::given_up() };
        let mut census = Census::new();
        vectors.iter().for_each(|v| census.add(v));
        census
    }
}

impl From<Census> for Option<Vec<Box<[u32]>>> {
    fn from(census: Census) -> Self {
        Some(census.vectors()?.into_iter().map(Box::from).collect())
    }
}
