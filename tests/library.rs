//! Integration tests of the library's public API: one test binary, one module per topic.

mod common;

#[path = "library"]
mod topics {
    #[cfg(all(feature = "arrow", feature = "parquet", feature = "csv"))]
    mod arrow_arrays;
    mod by_category;
    mod compact_counts;
    mod direct;
    mod figure_palette;
    mod kept_bands;
    mod legend;
    mod memory_sinks;
    mod options;
    mod palette_png;
    mod parsers;
    #[cfg(feature = "cli")]
    mod pyramid_api;
    mod pyramid_first_last;
    mod pyramid_levels;
    mod pyramid_parsers;
    mod pyramid_render;
    #[cfg(feature = "serve")]
    mod serve;
    mod sparse_bands;
    mod table_parsers;
    #[cfg(feature = "serve")]
    mod viewer_browser;
    mod warnings;
}
