//! A pyramid statistics file (`render --stats FILE`, `stats --merge`): parsing never
//! panics, errors are one line naming the file, and what is accepted is consistent,
//! round-trips through JSON, and shades and plans shards without panicking.
#![no_main]

use std::path::Path;

use gigaplot::__bench::ShardPlan;
use gigaplot::{Color, Colormap, How, PyramidStats};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-stats.json");
    match PyramidStats::parse(data, path) {
        Ok(stats) => {
            assert_eq!(stats.validate(), Ok(()));
            let text = serde_json::to_vec(&stats).expect("serialise");
            assert_eq!(PyramidStats::parse(&text, path).expect("round trip"), stats);
            let cmap = Colormap::default();
            for how in How::ALL {
                let shaders = stats.shaders(how, &cmap, Color::TRANSPARENT, None).expect("shaders");
                assert_eq!(shaders.len(), stats.levels.len());
            }
            let plan = stats.plan().expect("a validated plan");
            let shards = stats.shards.min(64);
            let _ = ShardPlan::new(&plan, shards, &stats.row_work(), stats.top_work());
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("fuzz-stats.json: "), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }
});
