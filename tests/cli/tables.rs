//! Table inputs (Parquet, Arrow IPC file and stream, CSV) give the same answer as the
//! .npy twins of their columns (NaN where the table has nulls): the aggregate and the PNG
//! byte for byte, for count, a value reduction, count-cat and lines; bad tables get one
//! line naming the file and the problem.

use std::path::{Path, PathBuf};

use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};

use crate::common::tables::{sample, write_arrow, write_csv, write_parquet, Col, LABELS};
use crate::common::*;

const N: usize = 20_000;

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gigaplot-tables-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The renders compared: (name, extra flags, whether it reads v, whether it reads c).
const CASES: [(&str, &[&str]); 4] = [
    ("count", &[]),
    ("mean", &["--agg", "mean", "--value", "v"]),
    ("countcat", &["--agg", "count-cat", "--value", "c"]),
    ("lines", &["--glyph", "lines"]),
];

/// Renders each case from `table` (TABLE --x x form) and from the .npy twins in `d`,
/// asserting equal PNG and aggregate bytes.
fn same_as_npy(d: &Path, table: &Path, extra: &[&str]) {
    for (name, flags) in CASES {
        let out = |tag: &str, ext: &str| d.join(format!("{name}-{tag}.{ext}")).display().to_string();
        let npy = |c: &str| d.join(format!("{c}.npy")).display().to_string();
        let mut twin: Vec<String> = vec!["render".into(), "--x".into(), npy("x"), "--y".into(), npy("y")];
        let mut args: Vec<String> =
            vec!["render".into(), table.display().to_string(), "--x".into(), "x".into()];
        args.extend(["--y".into(), "y".into()]);
        for (i, f) in flags.iter().enumerate() {
            let is_column = i > 0 && flags[i - 1] == "--value";
            twin.push(if is_column { npy(f) } else { f.to_string() });
            args.push(f.to_string());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        for (v, tag) in [(&mut twin, "npy"), (&mut args, "table")] {
            v.extend(
                ["--width", "120", "--height", "90", "--threads", "2", "--tile", "32", "-q"]
                    .map(String::from),
            );
            v.extend(["-o".into(), out(tag, "png"), "--agg-out".into(), out(tag, "npy")]);
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            run_ok(&refs);
        }
        for ext in ["png", "npy"] {
            let (a, b) = (std::fs::read(out("npy", ext)).unwrap(), std::fs::read(out("table", ext)).unwrap());
            assert!(a == b, "{}: {name} .{ext} differs from the .npy render", table.display());
        }
    }
}

/// Writes the .npy twins of `columns` into `d`.
fn twins(d: &Path, columns: &[(&str, Col)]) {
    for (name, col) in columns {
        col.write_npy(&d.join(format!("{name}.npy")));
    }
}

#[test]
fn parquet_renders_like_npy_with_every_codec() {
    let d = dir("parquet");
    let columns = sample(N);
    twins(&d, &columns);
    let codecs = [
        ("snappy", Compression::SNAPPY, true),
        ("zstd", Compression::ZSTD(ZstdLevel::default()), false),
        ("gzip", Compression::GZIP(GzipLevel::default()), true),
        ("lz4raw", Compression::LZ4_RAW, false),
        ("lz4", Compression::LZ4, true),
        ("brotli", Compression::BROTLI(BrotliLevel::default()), false),
        ("none", Compression::UNCOMPRESSED, true),
    ];
    for (i, (name, codec, dictionary)) in codecs.into_iter().enumerate() {
        let table = d.join(format!("t-{name}.parquet"));
        // Row groups of several lengths, some not multiples of the page length.
        write_parquet(&table, &columns, [7000, 4096, 20_000, 1234, 9999, 3000, 15_000][i], codec, dictionary);
        if i < 2 {
            same_as_npy(&d, &table, &[]);
        } else {
            // The other codecs: the count and the value reduction.
            same_as_npy_count(&d, &table);
        }
    }
}

/// The count render of `table` equals the .npy one (a quicker check for extra codecs).
fn same_as_npy_count(d: &Path, table: &Path) {
    let t = table.display().to_string();
    let npy = |c: &str| d.join(format!("{c}.npy")).display().to_string();
    let size = ["--width", "120", "--height", "90", "-q"];
    let (a, b) = (d.join("c-npy.npy").display().to_string(), d.join("c-t.npy").display().to_string());
    let (pa, pb) = (d.join("c-npy.png").display().to_string(), d.join("c-t.png").display().to_string());
    let twin = ["render", "--x", &npy("x"), "--y", &npy("y"), "--agg", "sum", "--value", &npy("v")];
    run_ok(&[&twin[..], &size, &["-o", &pa, "--agg-out", &a]].concat());
    let (x, y, v) = (format!("{t}:x"), format!("{t}:y"), format!("{t}:v"));
    let form = ["render", "--x", &x, "--y", &y, "--agg", "sum", "--value", &v];
    run_ok(&[&form[..], &size, &["-o", &pb, "--agg-out", &b]].concat());
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "{t}: sum aggregate differs");
    assert!(std::fs::read(&pa).unwrap() == std::fs::read(&pb).unwrap(), "{t}: sum PNG differs");
}

#[test]
fn arrow_file_and_stream_render_like_npy() {
    let d = dir("arrow");
    let columns = sample(N);
    twins(&d, &columns);
    let cases = [
        ("plain.arrow", None, false, 3000),
        ("lz4.feather", Some(arrow_ipc::CompressionType::LZ4_FRAME), false, 7777),
        ("zstd.ipc", Some(arrow_ipc::CompressionType::ZSTD), false, 20_000),
        ("stream.arrows", None, true, 4096),
        ("stream-zstd.arrows", Some(arrow_ipc::CompressionType::ZSTD), true, 5000),
    ];
    for (i, (name, codec, stream, batch)) in cases.into_iter().enumerate() {
        let table = d.join(name);
        write_arrow(&table, &columns, batch, codec, stream);
        if i == 0 || i == 3 {
            same_as_npy(&d, &table, &[]);
        } else {
            same_as_npy_count(&d, &table);
        }
    }
}

#[test]
fn csv_renders_like_npy_with_quotes_and_tabs() {
    let d = dir("csv");
    // CSV holds decimal text: the twins are the float64 values the text spells.
    let columns: Vec<(&str, Col)> = sample(N)
        .into_iter()
        .map(|(name, col)| match col {
            Col::F32(v) => {
                (name, Col::F64(v.iter().map(|v| v.map(|v| v.to_string().parse().unwrap())).collect()))
            }
            other => (name, other),
        })
        .collect();
    twins(&d, &columns);
    let table = d.join("t.csv");
    write_csv(&table, &columns, true, b',');
    same_as_npy(&d, &table, &[]);
    let tsv = d.join("t.tsv");
    write_csv(&tsv, &columns, false, b'\t');
    same_as_npy_count(&d, &tsv);
    let semi = d.join("semi.csv");
    write_csv(&semi, &columns, false, b';');
    let out = d.join("semi.png").display().to_string();
    let s = semi.display().to_string();
    run_ok(&["render", &s, "--x", "x", "--y", "y", "--delimiter", ";", "-q", "-o", &out]);
}

#[test]
fn dictionary_strings_are_categories_with_their_names() {
    let d = dir("dict");
    let columns = sample(2000);
    twins(&d, &columns);
    let table = d.join("t.arrow");
    write_arrow(&table, &columns, 700, None, false);
    let t = table.display().to_string();
    let (a, b) = (d.join("a.npy").display().to_string(), d.join("b.npy").display().to_string());
    let (x, y, c) =
        (d.join("x.npy").display().to_string(), d.join("y.npy").display().to_string(), d.join("c.npy"));
    let c = c.display().to_string();
    let size = ["--width", "60", "--height", "40", "-q", "--bare"];
    let (pa, pb) = (d.join("a.png").display().to_string(), d.join("b.png").display().to_string());
    run_ok(
        &[
            &["render", "--x", &x, "--y", &y, "--agg", "count-cat", "--value", &c][..],
            &size,
            &["-o", &pa, "--agg-out", &a],
        ]
        .concat(),
    );
    run_ok(
        &[
            &["render", &t, "--x", "x", "--y", "y", "--category", "label"][..],
            &size,
            &["-o", &pb, "--agg-out", &b],
        ]
        .concat(),
    );
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "dictionary categories differ from codes"
    );
    // The legend of a figure names the categories from the dictionary (not their codes):
    // same image as --labels with those names.
    let (la, lb) = (d.join("la.png").display().to_string(), d.join("lb.png").display().to_string());
    let fig = ["--width", "300", "--height", "200", "-q"];
    run_ok(
        &[&["render", &t, "--x", "x", "--y", "y", "--category", "label"][..], &fig, &["-o", &la]].concat(),
    );
    let labels = LABELS.join(",");
    run_ok(
        &[
            &["render", &t, "--x", "x", "--y", "y", "--category", "c", "--labels", &labels][..],
            &fig,
            &["-o", &lb],
        ]
        .concat(),
    );
    assert!(std::fs::read(&la).unwrap() == std::fs::read(&lb).unwrap(), "legend does not use the dictionary");
}

/// The pyarrow-written fixture of tools/gen_parquet_categories.py.
fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tables").join(name).display().to_string()
}

/// The categories of the fixture's `label` column (a pandas Categorical: its order) and
/// of `name` (plain strings: the order they first appear in).
const FIXTURE_LABELS: [&str; 5] = ["elder", "apple", "date", "cherry", "banana"];
const FIXTURE_FIRST: [&str; 5] = ["elder", "date", "apple", "banana", "cherry"];

#[test]
fn parquet_strings_are_categories_with_their_names() {
    let d = dir("pqstrings");
    let t = fixture("categories.parquet");
    let size = ["--width", "60", "--height", "40", "-q", "--bare"];
    let agg = |column: &str| {
        let out = d.join(format!("{column}.npy"));
        let o = out.display().to_string();
        let png = d.join(format!("{column}.png")).display().to_string();
        run_ok(
            &[
                &["render", &t, "--x", "x", "--y", "y", "--category", column][..],
                &size,
                &["-o", &png, "--agg-out", &o],
            ]
            .concat(),
        );
        // a version 1 .npy of shape (40, 60, 5), uint32
        let bytes = std::fs::read(&out).unwrap();
        let header = 10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert!(String::from_utf8_lossy(&bytes[..header]).contains("(40, 60, 5)"));
        let counts: Vec<u32> =
            bytes[header..].chunks_exact(4).map(|b| u32::from_le_bytes(b.try_into().unwrap())).collect();
        counts
    };
    // A Categorical's strings are its codes: the aggregate of the int32 codes, byte for byte.
    let (codes, label) = (agg("c"), agg("label"));
    assert_eq!(label, codes, "a Categorical's codes differ from c");
    // Plain strings number their categories in the order they first appear: the same
    // counts with the channels in that order.
    let name = agg("name");
    let from = FIXTURE_FIRST.map(|s| FIXTURE_LABELS.iter().position(|l| *l == s).unwrap());
    let permuted: Vec<u32> = codes.chunks_exact(5).flat_map(|px| from.map(|k| px[k])).collect();
    assert_eq!(name, permuted, "plain strings are not numbered by first appearance");
    assert!(codes.iter().any(|&v| v > 0));
    // The legend names the categories: the figure of --labels with those names.
    let fig = ["--width", "300", "--height", "200", "-q"];
    let figure = |args: &[&str], out: &str| {
        let o = d.join(out);
        run_ok(
            &[&["render", &t, "--x", "x", "--y", "y"][..], args, &fig, &["-o", o.to_str().unwrap()]].concat(),
        );
        std::fs::read(o).unwrap()
    };
    let named = figure(&["--category", "label"], "label.png");
    let labels = FIXTURE_LABELS.join(",");
    assert!(
        named == figure(&["--category", "c", "--labels", &labels], "c.png"),
        "legend does not name the strings"
    );
    // `info` shows the column as strings, read as codes 0 to 4 (pyarrow wrote 19 nulls).
    let out = run_ok(&["info", &format!("{t}:label")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{t}:label: string, 1000 rows, 19 nulls, min 0, max 4\n")
    );
}

#[test]
fn parquet_strings_without_a_dictionary_are_refused() {
    let d = dir("pqplain");
    let t = fixture("plain_strings.parquet");
    let o = d.join("o.png").display().to_string();
    assert_eq!(
        fails(&d, &["render", &t, "--x", "x", "--y", "y", "--category", "label", "-o", &o]),
        format!(
            "gigaplot: error: {t}:label: is a string column without a dictionary in row group 0; gigaplot reads \
             string columns as categories when they are dictionary-encoded"
        )
    );
}

/// Strings are read as their category codes, so only a category column may hold them: as
/// a coordinate or a value (mean of strings) they are refused, in Parquet and Arrow alike.
#[test]
fn strings_are_refused_as_coordinates_and_values() {
    let d = dir("strnum");
    let parquet = fixture("categories.parquet");
    let columns = sample(50);
    let arrow = d.join("t.arrow");
    write_arrow(&arrow, &columns, 20, None, false);
    let arrow = arrow.display().to_string();
    let o = d.join("o.png").display().to_string();
    for (t, text) in [(&parquet, "label"), (&parquet, "name"), (&arrow, "label")] {
        let refused = format!(
            "gigaplot: error: {t}:{text}: is a column of strings, not numbers; strings are categories \
             (count-cat's or by()'s category column)"
        );
        for args in [
            &["--x", text, "--y", "y"][..],
            &["--x", "x", "--y", text],
            &["--x", "x", "--y", "y", "--agg", "mean", "--value", text],
            &["--x", "x", "--y", "y", "--agg", "max", "--value", text],
        ] {
            assert_eq!(
                fails(&d, &[&["render", t][..], args, &["-q", "-o", &o]].concat()),
                refused,
                "{args:?}"
            );
        }
        run_ok(&["render", t, "--x", "x", "--y", "y", "--agg", "count-cat", "--value", text, "-q", "-o", &o]);
        assert!(d.join("o.png").exists());
        std::fs::remove_file(d.join("o.png")).unwrap();
    }
}

/// Columns of types gigaplot does not read (times, decimals, lists, ...) are listed by
/// `info` and ignored by a render that does not pick them; picking one is one line.
#[test]
fn arrow_columns_of_other_types_are_listed_and_ignored() {
    use arrow_array::{
        ArrayRef, Date32Array, Float64Array, ListArray, RecordBatch, TimestampMillisecondArray,
    };
    use std::sync::Arc;
    let d = dir("arrowtypes");
    let xs = Float64Array::from(vec![0.5, 1.5, 2.5]);
    let list = ListArray::from_iter_primitive::<arrow_array::types::Int32Type, _, _>(vec![
        Some(vec![Some(1)]),
        None,
        Some(vec![]),
    ]);
    let batch = RecordBatch::try_from_iter([
        ("x", Arc::new(xs.clone()) as ArrayRef),
        ("y", Arc::new(xs)),
        ("t", Arc::new(TimestampMillisecondArray::from(vec![1, 2, 3]))),
        ("day", Arc::new(Date32Array::from(vec![1, 2, 3]))),
        ("l", Arc::new(list)),
    ])
    .unwrap();
    let o = d.join("o.png").display().to_string();
    for stream in [false, true] {
        let path = d.join(if stream { "t.arrows" } else { "t.arrow" });
        let file = std::fs::File::create(&path).unwrap();
        if stream {
            let mut w = arrow_ipc::writer::StreamWriter::try_new(file, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        } else {
            let mut w = arrow_ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        let t = path.display().to_string();
        let info = String::from_utf8_lossy(&run_ok(&["info", &t]).stdout).to_string();
        for line in [
            format!("{t}:t: timestamp(ms), 3 rows, not numeric"),
            format!("{t}:day: date32, 3 rows, not numeric"),
        ] {
            assert!(info.contains(&line), "{info}");
        }
        assert!(info.contains(&format!("{t}:l: list(")), "{info}");
        run_ok(&[
            "render", &t, "--x", "x", "--y", "y", "--width", "3", "--height", "3", "-q", "--bare", "-o", &o,
        ]);
        assert!(d.join("o.png").exists());
        std::fs::remove_file(d.join("o.png")).unwrap();
        assert_eq!(
            fails(&d, &["render", &t, "--x", "t", "--y", "y", "-q", "-o", &o]),
            format!(
                "gigaplot: error: {t}:t: is a column of timestamp(ms), not numbers; gigaplot reads integer, \
                 float, bool and dictionary-encoded columns"
            )
        );
    }
}

/// A CSV column is int64 only when every value is an integer (a 1.5 after 1500 integer
/// rows makes it float64, which count-cat refuses, instead of counting category 1), and a
/// column whose first values are not numbers is text: listed by `info`, refused when picked.
#[test]
fn csv_types_come_from_every_value_and_text_is_listed() {
    let d = dir("csvtypes");
    let csv = d.join("t.csv");
    let mut text = String::from("x,y,c,name\n");
    for i in 0..1500 {
        text.push_str(&format!("{},{},{},n{}\n", i % 10, i % 7, i % 3, i % 4));
    }
    text.push_str("5,5,1.5,n1\n");
    std::fs::write(&csv, text).unwrap();
    let t = csv.display().to_string();
    let info = String::from_utf8_lossy(&run_ok(&["info", &t]).stdout).to_string();
    assert_eq!(
        info,
        format!(
            "{t}: a CSV text file, 1501 rows, 4 columns\n{t}:x: int64, 1501 rows, 0 nulls, min 0, max 9\n\
             {t}:y: int64, 1501 rows, 0 nulls, min 0, max 6\n{t}:c: float64, 1501 rows, 0 nulls, min 0, max 2\n\
             {t}:name: text, 1501 rows, not numeric\n"
        )
    );
    let o = d.join("o.png").display().to_string();
    assert_eq!(
        fails(&d, &["render", &t, "--x", "x", "--y", "y", "--category", "c", "-q", "-o", &o]),
        format!("gigaplot: error: {t}:c: is float64; count-cat needs an integer or bool category column")
    );
    for args in [["--x", "name", "--y", "y"], ["--x", "x", "--y", "y"]] {
        let mut all = vec!["render", t.as_str()];
        all.extend(args);
        if args[1] == "x" {
            all.extend(["--category", "name"]);
        }
        all.extend(["-q", "-o", o.as_str()]);
        assert_eq!(
            fails(&d, &all),
            format!(
                "gigaplot: error: {t}:name: is a column of text, not numbers (none of its first values is a number); \
                 gigaplot reads CSV columns of numbers, and categories as integer codes"
            )
        );
    }
}

#[test]
fn info_lists_a_tables_columns() {
    let d = dir("info");
    let columns: Vec<(&str, Col)> = vec![
        ("x", Col::F32(vec![Some(1.5), None, Some(-2.0), Some(f32::NAN)])),
        ("c", Col::I32(vec![Some(3), Some(1), None, Some(2)])),
    ];
    let table = d.join("t.parquet");
    write_parquet(&table, &columns, 3, Compression::SNAPPY, true);
    let t = table.display().to_string();
    let out = run_ok(&["info", &t]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{t}: a Parquet file, 4 rows, 2 columns\n{t}:x: float32, 4 rows, 2 nulls, min -2, max 1.5\n\
             {t}:c: int32, 4 rows, 1 nulls, min 1, max 3\n"
        )
    );
    let out = run_ok(&["info", &format!("{t}:c")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{t}:c: int32, 4 rows, 1 nulls, min 1, max 3\n")
    );
}

/// Runs gigaplot expecting failure: exit code 1, one stderr line, no output file.
fn fails(d: &Path, args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(!d.join("o.png").exists());
    err.trim_end().to_string()
}

#[test]
fn bad_tables_get_one_line() {
    let d = dir("bad");
    let columns = sample(3000);
    let pq = d.join("t.parquet");
    write_parquet(&pq, &columns, 1000, Compression::SNAPPY, true);
    let p = pq.display().to_string();
    let o = d.join("o.png").display().to_string();
    // A missing column lists the columns there are.
    assert_eq!(
        fails(&d, &["render", &p, "--x", "x", "--y", "nope", "-o", &o]),
        format!("gigaplot: error: {p}: has no column 'nope'; its columns are: x (float32), y (float32), v (float64), c (int32)")
    );
    // A CSV where a .npy was expected.
    let csv = d.join("t.npy");
    std::fs::write(&csv, "x,y\n1,2\n").unwrap();
    let c = csv.display().to_string();
    assert_eq!(
        fails(&d, &["render", "--x", &c, "--y", &c, "-o", &o]),
        format!(
            "gigaplot: error: {c}: is named like a .npy array (.npy) but holds text; a CSV file must be named .csv or .tsv"
        )
    );
    // A truncated Parquet file (its footer cut off), and one with a page overwritten.
    let bytes = std::fs::read(&pq).unwrap();
    let cut = d.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let k = cut.display().to_string();
    let err = fails(&d, &["render", &k, "--x", "x", "--y", "y", "-o", &o]);
    assert!(err.starts_with(&format!("gigaplot: error: {k}: is not a readable Parquet file (")), "{err}");
    let mut broken = bytes.clone();
    // The first page header, overwritten.
    for b in &mut broken[4..40] {
        *b = 0xff;
    }
    let bad = d.join("bad.parquet");
    std::fs::write(&bad, &broken).unwrap();
    let b = bad.display().to_string();
    let err =
        fails(&d, &["render", &b, "--x", "x", "--y", "y", "--x-range", "0,1", "--y-range", "0,1", "-o", &o]);
    assert!(err.contains("is a corrupt or truncated Parquet file"), "{err}");
    // A text column in an Arrow file names its type.
    let arrow = d.join("t.arrow");
    write_arrow(&arrow, &columns, 1000, None, false);
    let a = arrow.display().to_string();
    let err = fails(&d, &["render", &a, "--x", "x", "--y", "y", "--value", "nope", "--agg", "sum", "-o", &o]);
    assert!(err.contains("has no column 'nope'; its columns are: x (float32), y (float32), v (float64), c (int32), label (dictionary<int8, string>)"), "{err}");
    let cut = d.join("cut.arrow");
    let bytes = std::fs::read(&arrow).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let k = cut.display().to_string();
    let err = fails(&d, &["render", &k, "--x", "x", "--y", "y", "-o", &o]);
    assert!(err.starts_with(&format!("gigaplot: error: {k}: is a corrupt or truncated Arrow IPC")), "{err}");
    // Ragged CSV rows name the line; a word where a number should be names line and column.
    let ragged = d.join("r.csv");
    std::fs::write(&ragged, "x,y\n1,2\n3,4,5\n").unwrap();
    let r = ragged.display().to_string();
    assert_eq!(
        fails(&d, &["render", &r, "--x", "x", "--y", "y", "-o", &o]),
        format!("gigaplot: error: {r}: line 3 has 3 fields but the header has 2; every row needs one field per column")
    );
    let word = d.join("w.csv");
    std::fs::write(&word, "x,y\n1,2\n3,four\n").unwrap();
    let w = word.display().to_string();
    assert_eq!(
        fails(&d, &["render", &w, "--x", "x", "--y", "y", "-o", &o]),
        format!("gigaplot: error: {w}: line 3, column 'y': 'four' is not a number")
    );
    // A table named without a column.
    let err = fails(&d, &["render", "--x", &p, "--y", &p, "-o", &o]);
    assert!(err.contains("is a table; name a column as FILE:COLUMN"), "{err}");
    // Columns of different lengths.
    let short = d.join("s.parquet");
    write_parquet(&short, &sample(10), 5, Compression::SNAPPY, true);
    let s = short.display().to_string();
    let err = fails(&d, &["render", "--x", &format!("{p}:x"), "--y", &format!("{s}:y"), "-o", &o]);
    assert!(err.contains("has 10 values but the x column"), "{err}");
}

#[test]
fn parquet_peak_rss_stays_within_the_budget() {
    let d = dir("rss");
    let n = 3_000_000u64;
    let x: Vec<Option<f32>> = (0..n).map(|i| Some(((i * 7919) % 1_000_003) as f32)).collect();
    let y: Vec<Option<f32>> = (0..n).map(|i| Some(((i * 104_729) % 999_983) as f32)).collect();
    let table = d.join("big.parquet");
    write_parquet(&table, &[("x", Col::F32(x)), ("y", Col::F32(y))], 1 << 20, Compression::SNAPPY, false);
    let t = table.display().to_string();
    let o = d.join("big.png").display().to_string();
    let mut cmd = std::process::Command::new(bin());
    cmd.args([
        "render", &t, "--x", "x", "--y", "y", "--width", "4000", "--height", "4000", "--memory", "96MiB",
        "-q", "-o", &o,
    ]);
    let (status, rss) = run_measuring_rss(&mut cmd);
    assert!(status.success());
    eprintln!("parquet 3M points at 4000^2: peak RSS {} MiB", rss >> 20);
    assert!(rss < 96 << 20, "peak RSS {} MiB over the 96 MiB budget", rss >> 20);
}

/// Not a test: writes the benchmark tables (Parquet snappy in 1M-row groups, Arrow IPC
/// uncompressed in 1M-row batches, CSV) from the float32 `x.npy` and `y.npy` in
/// `$GIGAPLOT_BENCH_DIR` (see benches/compare/tables.sh).
#[test]
#[ignore]
fn write_bench_tables() {
    let Ok(dir) = std::env::var("GIGAPLOT_BENCH_DIR") else { return };
    let dir = PathBuf::from(dir);
    let read = |name: &str| -> Vec<Option<f32>> {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let header = gigaplot::npy::NpyHeader::parse(&bytes).unwrap();
        bytes[header.data_offset..]
            .chunks_exact(4)
            .map(|c| Some(f32::from_le_bytes(c.try_into().unwrap())))
            .collect()
    };
    let columns = vec![("x", Col::F32(read("x.npy"))), ("y", Col::F32(read("y.npy")))];
    let group = 1_000_000;
    crate::common::tables::write_parquet_pages(
        &dir.join("pts.parquet"),
        &columns,
        group,
        Compression::SNAPPY,
        false,
        20_000,
    );
    write_arrow(&dir.join("pts.arrow"), &columns, group, None, false);
    if std::env::var_os("GIGAPLOT_BENCH_CSV").is_some() {
        write_csv(&dir.join("pts.csv"), &columns, false, b',');
    }
}
