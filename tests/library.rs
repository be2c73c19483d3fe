//! Integration tests of the library's public API: one test binary, one module per topic.

mod common;

#[path = "library"]
mod topics {
    mod memory_sinks;
    mod parsers;
    mod pyramid_parsers;
    mod pyramid_render;
    mod serve;
    mod table_parsers;
    mod viewer_browser;
}
