//! Flags given where they would do nothing are refused, one line naming the flag: a
//! `--shard` without `--pyramid`, a `--color-key` for counts, a `--title` on a `--bare`
//! image. Silently ignoring them would hand back an output that is not what was asked for.
//!
//! clap's own `requires` cannot say this: it only names the missing flag, and it waives a
//! requirement that conflicts with another flag given (`--extent` with `--x`).

use std::collections::BTreeSet;

use super::failure::{Failure, Result};
use clap::parser::ValueSource;
use clap::ArgMatches;
use gigaplot::{Glyph, Reduction};

use super::args::{RenderArgs, StatsArgs};

/// The arguments (by clap id, the field name) written on the command line, as opposed to
/// those holding their default.
#[derive(Debug, Default)]
pub struct Given(BTreeSet<String>);

impl Given {
    /// The arguments given to the subcommand of `matches`.
    pub fn of_subcommand(matches: &ArgMatches) -> Given {
        let Some((_, sub)) = matches.subcommand() else { return Given::default() };
        let ids = sub
            .ids()
            .filter(|id| sub.value_source(id.as_str()) == Some(ValueSource::CommandLine))
            .map(|id| id.as_str().to_string());
        Given(ids.collect())
    }

    /// True when the argument with clap id `id` was given.
    pub fn has(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

/// One rule: the argument `id` (spelled `flag` on the command line) may only be given when
/// `applies`; otherwise the error says `why`.
struct Rule {
    id: &'static str,
    flag: &'static str,
    applies: bool,
    why: String,
}

/// Fails on the first rule broken by a given flag, naming the flag.
fn check(rules: Vec<Rule>, given: &Given) -> Result<()> {
    match rules.into_iter().find(|r| !r.applies && given.has(r.id)) {
        Some(rule) => Err(Failure::flag(rule.flag, rule.why)),
        None => Ok(()),
    }
}

/// A rule with a fixed reason.
fn rule(id: &'static str, flag: &'static str, applies: bool, why: &str) -> Rule {
    Rule { id, flag, applies, why: why.to_string() }
}

/// Refuses the `render` flags that the rest of the command line makes meaningless.
pub fn check_render(args: &RenderArgs, given: &Given) -> Result<()> {
    let raster = args.raster.raster.is_some();
    let pyramid = args.pyramid.pyramid.is_some();
    let png = args.output.is_some();
    let figure = png && !args.figure.bare;
    let lines = args.glyph == Glyph::Lines;
    let categories = args.reduction == Reduction::CountCat;
    let spreads = args.spread.is_some() || args.dynspread;
    let only_raster = "applies to --raster only";
    let not_raster = "does not apply to --raster (the raster's cells are the values drawn)";
    let only_lines = "applies to --glyph lines only";
    let only_categories = "applies to --agg count-cat only";
    let only_png = "applies to the PNG image (-o) only; pyramids are not changed by it";
    let only_images = "applies to the PNG image (-o) and pyramid tiles only";
    let only_figure = if png {
        "applies to figures only; drop --bare"
    } else {
        "applies to the figure (-o) only; pyramids have no axes"
    };
    let only_pyramid = "applies to --pyramid only; add --pyramid DIR";
    let mut rules = vec![
        rule("extent", "--extent", raster, only_raster),
        rule("origin", "--origin", raster, only_raster),
        rule("downsample", "--downsample", raster, only_raster),
        rule("upsample", "--upsample", raster, only_raster),
        rule("glyph", "--glyph", !raster, not_raster),
        rule("reduction", "--agg", !raster, not_raster),
        rule("scratch_dir", "--scratch-dir", !raster, "a raster needs no scratch file (it is read in place)"),
        rule(
            "projection",
            "--projection",
            !raster,
            "does not apply to --raster (its cells are placed by --extent; only points are projected)",
        ),
        rule("series", "--series", lines, only_lines),
        rule("line_width", "--line-width", lines, only_lines),
        rule("color_key", "--color-key", categories, only_categories),
        rule("labels", "--labels", categories, only_categories),
        rule("colorbar", "--colorbar", !categories, "count-cat figures get a legend, not a colorbar"),
        rule("bare", "--bare", png, only_png),
        rule("compression", "--compression", png, only_png),
        rule("thumbnail", "--thumbnail", png, "writes NAME.thumb.png beside the PNG; add -o NAME.png"),
        rule("spread", "--spread", png || pyramid, only_images),
        rule("dynspread", "--dynspread", png || pyramid, only_images),
        rule("spread_shape", "--spread-shape", spreads, "applies to --spread and --dynspread only"),
        rule("dynspread_max", "--dynspread-max", args.dynspread, "applies to --dynspread only"),
        rule("dynspread_threshold", "--dynspread-threshold", args.dynspread, "applies to --dynspread only"),
    ];
    for (id, flag) in [
        ("title", "--title"),
        ("xlabel", "--xlabel"),
        ("ylabel", "--ylabel"),
        ("font_size", "--font-size"),
        ("grid", "--grid"),
        ("colorbar", "--colorbar"),
    ] {
        rules.push(rule(id, flag, figure, only_figure));
    }
    // count-cat pyramids take the legend's labels too
    rules.push(rule("labels", "--labels", figure || pyramid, only_figure));
    for (id, flag) in [
        ("shard", "--shard"),
        ("stats", "--stats"),
        ("stats_out", "--stats-out"),
        ("span_from_level", "--span-from-level"),
        ("pyramid_tile", "--pyramid-tile"),
        ("viewer_assets", "--viewer-assets"),
        ("pyramid_format", "--pyramid-format"),
        ("max_zoom", "--max-zoom"),
        ("basemap", "--basemap"),
    ] {
        rules.push(rule(id, flag, pyramid, only_pyramid));
    }
    let mercator = args.projection == gigaplot::projection::Projection::WebMercator;
    for (id, flag) in [("max_zoom", "--max-zoom"), ("basemap", "--basemap")] {
        rules.push(rule(id, flag, mercator, "applies to --projection web-mercator only"));
    }
    for (id, flag) in [("width", "--width"), ("height", "--height")] {
        let why = "web-mercator tiles are --pyramid-tile x 2^Z pixels square; give --max-zoom Z instead";
        rules.push(rule(id, flag, !(mercator && pyramid), why));
    }
    // Shards of plain count pyramids of points shade with a statistics file; those of every
    // other pyramid (one render each) compute the statistics themselves.
    let plain_counts = !raster
        && args.reduction == Reduction::Count
        && !lines
        && !spreads
        && args.pyramid.pyramid_format == gigaplot::PyramidFormat::Xyz;
    rules.push(rule(
        "stats_out",
        "--stats-out",
        !raster && args.output.is_none() && args.agg_out.is_none() && args.pyramid.stats.is_none(),
        "computes the statistics of a pyramid of points only; give no -o, --agg-out, --stats or --raster",
    ));
    rules.push(rule(
        "shard",
        "--shard",
        args.pyramid.stats.is_some() || args.pyramid.stats_out.is_some() || !plain_counts,
        "needs --stats FILE, the statistics of every shard from gigaplot stats",
    ));
    check(rules, given)
}

/// Refuses the `stats` flags of a computation given with `--merge`, which only reads the
/// parts (their canvas is recorded in them).
pub fn check_stats(args: &StatsArgs, given: &Given) -> Result<()> {
    let computes = args.merge.is_empty();
    let why = "does not apply to --merge, which reads the canvas from the parts";
    let mut rules = [
        ("width", "--width"),
        ("height", "--height"),
        ("x_range", "--x-range"),
        ("y_range", "--y-range"),
        ("pyramid_tile", "--pyramid-tile"),
        ("shard", "--shard"),
        ("threads", "--threads"),
        ("memory", "--memory"),
        ("scratch_dir", "--scratch-dir"),
        ("projection", "--projection"),
        ("max_zoom", "--max-zoom"),
    ]
    .into_iter()
    .map(|(id, flag)| rule(id, flag, computes, why))
    .collect::<Vec<_>>();
    let mercator = args.projection == gigaplot::projection::Projection::WebMercator;
    rules.push(rule("max_zoom", "--max-zoom", mercator, "applies to --projection web-mercator only"));
    for (id, flag) in [("width", "--width"), ("height", "--height")] {
        let why = "web-mercator tiles are --pyramid-tile x 2^Z pixels square; give --max-zoom Z instead";
        rules.push(rule(id, flag, !mercator, why));
    }
    check(rules, given)
}
