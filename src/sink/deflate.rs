//! A fast deflate encoder for independent segments of PNG scanlines, so bands compress in
//! parallel and join into one valid zlib stream (the technique pigz uses).
