//! Integration tests that run the real `gigaplot` binary (and, where a test needs a
//! reference, the library beside it): one test binary, one module per topic, so the suite
//! links once.

mod common;

#[path = "cli"]
mod topics {
    mod aa_lines;
    mod bad_input;
    mod binning;
    mod cli_usage;
    mod faults;
    mod flags;
    mod hostile_paths;
    mod invariance;
    mod line_values;
    mod lines;
    mod memory;
    mod pyramid_any_shards;
    mod pyramid_cli;
    mod pyramid_faults;
    mod pyramid_labels;
    mod pyramid_shards;
    mod pyramid_stats_shards;
    mod raster_cli;
    mod raster_pyramid;
    mod reductions;
    mod series;
    mod serve_cli;
    mod spread_cli;
    mod stale_stats;
    mod tables;
    mod visible;
}
