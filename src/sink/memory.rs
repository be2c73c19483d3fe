//! Results kept in memory: what a sink hands back once the render has finished (the
//! writer of a [`crate::sink::PngSink::to_writer`], say a `Vec<u8>` of PNG bytes, an
//! [`crate::sink::RgbaImage`], an [`crate::sink::AggregateArray`]), and the limit on how
//! large a whole-canvas buffer may grow.
//!
//! A render takes its sinks by value (`Vec<Box<dyn Sink>>`) and consumes them, so a sink
//! that produces something is made together with a [`Finished`] handle the caller keeps;
//! the sink fills it in [`crate::sink::Sink::finish`].
//!
//! Whole-canvas buffers break gigaplot's bounded memory on purpose (the caller asked for
//! the pixels), so they are refused, before the render does any work, beyond
//! [`IN_MEMORY_LIMIT`] bytes unless the caller raises the limit: a gigapixel canvas belongs
//! in a PNG or a tile pyramid.

use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Result};

/// Default limit of an in-memory sink's buffer: 1 GiB, a 16384 x 16384 RGBA image or a
/// 11585 x 11585 float64 aggregate.
pub const IN_MEMORY_LIMIT: u64 = 1 << 30;

/// A zeroed buffer of `bytes` for the sink `sink` holding `what`, refused (naming the
/// sink, the size and the limit) over `limit` bytes or when the allocation fails.
pub(crate) fn allocate(sink: &str, what: &str, bytes: u64, limit: u64) -> Result<Vec<u8>> {
    let refuse = |why: String| {
        Error::usage(
            sink,
            format!("{what} takes {bytes} bytes in memory, {why}; write a PNG, an .npy file or a tile pyramid instead"),
        )
    };
    if bytes > limit {
        return Err(refuse(format!("over the limit of {limit} bytes (raise it with {sink}::with_limit)")));
    }
    let len = usize::try_from(bytes).map_err(|_| refuse("more than this machine can address".into()))?;
    // Zeroed by the system page by page as the sink first writes them, on whichever thread
    // writes: filling the buffer here had one thread fault in and clear every page twice.
    bytemuck::allocation::try_zeroed_vec(len).map_err(|()| refuse("more than could be allocated".into()))
}

/// The result of a sink, available after the render finished successfully.
#[derive(Debug)]
pub struct Finished<T>(Arc<Mutex<Option<T>>>);

impl<T> Clone for Finished<T> {
    fn clone(&self) -> Self {
        Finished(Arc::clone(&self.0))
    }
}

impl<T> Finished<T> {
    /// An empty handle (its clones share what is put into it).
    pub(crate) fn new() -> Finished<T> {
        Finished(Arc::new(Mutex::new(None)))
    }

    /// Stores the sink's result.
    pub(crate) fn put(&self, value: T) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
    }

    /// Takes the result: `None` until the sink has finished, and after it was taken. Trust
    /// it only when the render returned `Ok`: a render that fails while finishing its sinks
    /// may have finished this one (its files are then not renamed into place).
    pub fn take(&self) -> Option<T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}
