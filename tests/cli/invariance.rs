//! Decoded PNG pixels and the aggregate are byte-identical for every tile size and thread
//! count, including a tile size that does not divide the canvas and budgets that cut the
//! canvas into several bands.

use crate::common::*;

#[test]
fn output_is_identical_for_tiles_64_256_1000_and_threads_1_2_4() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pts");
    run_ok(&["generate", "-q", "--points", "300000", "--out", data.to_str().unwrap()]);
    let (x, y) = (data.join("x.npy"), data.join("y.npy"));
    let mut reference: Option<(Vec<u8>, Vec<u8>)> = None;
    for tile in ["64", "256", "1000"] {
        for threads in ["1", "2", "4"] {
            let png = dir.path().join(format!("t{tile}-{threads}.png"));
            let agg = dir.path().join(format!("t{tile}-{threads}.npy"));
            run_ok(&[
                "render",
                "-q",
                "--bare",
                "--x",
                x.to_str().unwrap(),
                "--y",
                y.to_str().unwrap(),
                "--width",
                "2100",
                "--height",
                "1500",
                "--tile",
                tile,
                "--threads",
                threads,
                // Small enough for several bands at every thread count.
                "--memory",
                "125MiB",
                "--how",
                "eq-hist",
                "--cmap",
                "viridis",
                "-o",
                png.to_str().unwrap(),
                "--agg-out",
                agg.to_str().unwrap(),
            ]);
            let png_bytes = std::fs::read(&png).unwrap();
            let agg_bytes = std::fs::read(&agg).unwrap();
            match &reference {
                None => {
                    // The picture is not trivially empty.
                    let (_, _, _, pixels) = read_png(&png);
                    assert!(pixels.chunks(4).filter(|p| p[3] != 0).count() > 10_000);
                    reference = Some((png_bytes, agg_bytes));
                }
                Some((p, a)) => {
                    assert!(p == &png_bytes, "PNG differs for tile {tile}, {threads} threads");
                    assert!(a == &agg_bytes, "aggregate differs for tile {tile}, {threads} threads");
                }
            }
        }
    }
}

#[test]
fn figures_with_every_decoration_are_identical_for_every_tile_and_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pts");
    run_ok(&["generate", "-q", "--points", "100000", "--out", data.to_str().unwrap()]);
    let (x, y) = (data.join("x.npy"), data.join("y.npy"));
    let mut reference: Option<Vec<u8>> = None;
    for (tile, threads, memory) in [("64", "1", "100MiB"), ("1000", "3", "150MiB"), ("256", "2", "1GiB")] {
        let png = dir.path().join(format!("fig{tile}.png"));
        run_ok(&[
            "render",
            "-q",
            "--x",
            x.to_str().unwrap(),
            "--y",
            y.to_str().unwrap(),
            "--width",
            "1700",
            "--height",
            "1100",
            "--x-range",
            "-10,10",
            "--y-range",
            "-10,10",
            "--tile",
            tile,
            "--threads",
            threads,
            "--memory",
            memory,
            "--title",
            "A title",
            "--xlabel",
            "x",
            "--ylabel",
            "y",
            "--colorbar",
            "--grid",
            "-o",
            png.to_str().unwrap(),
        ]);
        let bytes = std::fs::read(&png).unwrap();
        match &reference {
            None => {
                let (w, h, _, _) = read_png(&png);
                assert!(w > 1700 && h > 1100, "margins around the data area: {w} x {h}");
                reference = Some(bytes);
            }
            Some(r) => assert!(r == &bytes, "figure differs for tile {tile}, {threads} threads"),
        }
    }
}
