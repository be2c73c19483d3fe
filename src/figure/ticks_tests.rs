//! Tick values and labels against Matplotlib 3.11 (printed by tools/figure_ticks_reference.py).

use super::*;

fn plain(labels: &[&str]) -> Vec<TickLabel> {
    labels.iter().map(|s| TickLabel::Plain(s.replace('-', "\u{2212}"))).collect()
}

#[test]
fn zero_to_one() {
    let t = axis_ticks((0.0, 1.0), Scale::Linear, 9);
    assert_eq!(t.major, [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
    assert_eq!(t.labels, plain(&["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]));
    assert_eq!(t.offset, None);
    assert_eq!(t.minor.len(), 15);
    assert_eq!(&t.minor[..3], &[0.05, 0.1, 0.15000000000000002]);
}

#[test]
fn symmetric_range_has_a_tick_at_zero() {
    let t = axis_ticks((-10.0, 10.0), Scale::Linear, 9);
    assert_eq!(t.major, [-10.0, -7.5, -5.0, -2.5, 0.0, 2.5, 5.0, 7.5, 10.0]);
    let want = ["-10.0", "-7.5", "-5.0", "-2.5", "0.0", "2.5", "5.0", "7.5", "10.0"];
    assert_eq!(t.labels, plain(&want));
    assert_eq!(t.minor.len(), 32);
    assert_eq!(&t.minor[..4], &[-9.5, -9.0, -8.5, -8.0]);
}

#[test]
fn negative_to_positive_coarse() {
    // Matplotlib extends the locator one step beyond the view (-5 and 15); only the ticks
    // inside -3.7..12.2 are drawn.
    assert_eq!(max_n_locator(-3.7, 12.2, 5), [-5.0, 0.0, 5.0, 10.0, 15.0]);
    let t = axis_ticks((-3.7, 12.2), Scale::Linear, 5);
    assert_eq!(t.major, [0.0, 5.0, 10.0]);
    assert_eq!(t.labels, plain(&["0", "5", "10"]));
    assert_eq!(&t.minor[..4], &[-3.0, -2.0, -1.0, 1.0]);
    let t = axis_ticks((-0.3, 0.3), Scale::Linear, 9);
    assert_eq!(t.labels, plain(&["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"]));
    assert_eq!(t.major[3], 0.0);
}

#[test]
fn narrow_small_range() {
    let t = axis_ticks((0.001, 0.0013), Scale::Linear, 9);
    assert_eq!(t.major, [0.001, 0.00105, 0.0011, 0.00115, 0.0012000000000000001, 0.00125, 0.0013]);
    let want = ["0.00100", "0.00105", "0.00110", "0.00115", "0.00120", "0.00125", "0.00130"];
    assert_eq!(t.labels, plain(&want));
    assert_eq!(t.minor.len(), 24);
    assert_eq!(&t.minor[..3], &[0.00101, 0.00102, 0.0010299999999999999]);
}

#[test]
fn offset_and_scientific_notation() {
    let t = axis_ticks((1000.001, 1000.003), Scale::Linear, 9);
    assert_eq!(t.labels[0], TickLabel::Plain("0.00100".into()));
    assert_eq!(t.labels[8], TickLabel::Plain("0.00300".into()));
    assert_eq!(t.offset.as_deref(), Some("+1e3"));
    let t = axis_ticks((0.0, 1e7), Scale::Linear, 9);
    assert_eq!(t.labels, plain(&["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]));
    assert_eq!(t.offset.as_deref(), Some("1e7"));
    let t = axis_ticks((0.0, 3e-6), Scale::Linear, 9);
    assert_eq!(t.labels, plain(&["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"]));
    assert_eq!(t.offset.as_deref(), Some("1e\u{2212}6"));
}

#[test]
fn few_bins() {
    assert_eq!(axis_ticks((-1.0, 1.0), Scale::Linear, 3).labels, plain(&["-1", "0", "1"]));
    assert_eq!(axis_ticks((0.0, 1.0), Scale::Linear, 2).labels, plain(&["0.0", "0.5", "1.0"]));
    let t = axis_ticks((0.0, 1.0), Scale::Linear, 2);
    assert_eq!(&t.minor[..3], &[0.1, 0.2, 0.30000000000000004]);
}

#[test]
fn log_decades() {
    let t = axis_ticks((1.0, 1e6), Scale::Log, 9);
    assert_eq!(t.major, [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]);
    assert_eq!(t.labels, (0..=6).map(TickLabel::Power).collect::<Vec<_>>());
    assert_eq!(t.minor.len(), 6 * 8);
    assert_eq!(&t.minor[..3], &[2.0, 3.0, 4.0]);
    let t = axis_ticks((1e-3, 1e9), Scale::Log, 9);
    assert_eq!(t.labels, [-3, -1, 1, 3, 5, 7, 9].map(TickLabel::Power));
    assert_eq!(t.minor.len(), 6);
    let t = axis_ticks((2.0, 30.0), Scale::Log, 9);
    assert_eq!(t.major, [2.0, 5.0, 10.0, 20.0]);
}

#[test]
fn auto_bins_like_matplotlib() {
    assert_eq!(auto_bins(1000.0, 12.0, true), 9);
    assert_eq!(auto_bins(100.0, 12.0, true), 2);
    assert_eq!(auto_bins(100.0, 12.0, false), 4);
    assert_eq!(auto_bins(10.0, 12.0, true), 1);
}

#[test]
fn compact_numbers() {
    assert_eq!(compact_number(0.1 + 0.2), "0.3");
    assert_eq!(compact_number(1500.0), "1500");
    assert_eq!(compact_number(2e6), "2e6");
    assert_eq!(compact_number(-2.5e-7), "\u{2212}2.5e\u{2212}7");
    assert_eq!(compact_number(0.001), "0.001");
}
