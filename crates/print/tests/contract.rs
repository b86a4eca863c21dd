//! The JSON line of `vantay print analyze` (DESIGN §5).

use std::path::{Path, PathBuf};

use vantay_print::batch::{self, BatchOptions};
use vantay_print::synthetic::Spec;
use vantay_print::{input, CountConvention, PatternClass};

/// A synthetic print of `class` written as the PNG `name` in `dir`.
fn synthetic_png(dir: &Path, name: &str, class: PatternClass, seed: u64) -> PathBuf {
    let print = Spec::of_class(class, seed).render();
    let path = dir.join(name);
    std::fs::write(&path, input::encode_png(&print.image).expect("png")).expect("write");
    path
}

#[test]
fn json_line_has_exactly_the_design_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = synthetic_png(dir.path(), "whorl.png", PatternClass::W, 3);
    let missing = dir.path().join("missing.wsq");
    let mut lines = Vec::new();
    let options = BatchOptions {
        threads: 2,
        overlay_dir: Some(dir.path().to_path_buf()),
        ..BatchOptions::default()
    };
    batch::run(&[path.clone(), missing], &options, |o| {
        lines.push(o.to_json_line())
    })
    .expect("batch runs");
    assert_eq!(lines.len(), 2);
    let value: serde_json::Value = serde_json::from_str(&lines[0]).expect("JSON");
    let keys: Vec<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "file",
        "width",
        "height",
        "dpi",
        "class",
        "subtype",
        "confidence",
        "cores",
        "deltas",
        "ridge_counts",
        "quality",
        "ms",
    ];
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys_sorted, expected);
    assert_eq!(value["width"], 416);
    assert!(["A", "T", "L", "R", "W"].contains(&value["class"].as_str().expect("class")));
    for core in value["cores"].as_array().expect("cores") {
        assert!(core["x"].is_u64() && core["y"].is_u64() && core["angle_deg"].is_number());
    }
    let error: serde_json::Value = serde_json::from_str(&lines[1]).expect("JSON");
    assert!(error["file"]
        .as_str()
        .expect("file")
        .ends_with("missing.wsq"));
    assert!(error["error"]
        .as_str()
        .expect("error")
        .contains("cannot read"));
    assert!(
        dir.path().join("whorl.overlay.png").exists(),
        "overlay written"
    );
}

#[test]
fn a_batch_answers_in_the_order_of_its_files() {
    // Prints that take tens of milliseconds among files that fail at once,
    // on three workers: the fast ones finish first, yet each outcome is
    // handed back in the order given, and every file exactly once.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for k in 0..12u64 {
        let path = if k % 3 == 0 {
            let class = PatternClass::ALL[k as usize % 5];
            synthetic_png(dir.path(), &format!("{k:02}.png"), class, k)
        } else {
            dir.path().join(format!("{k:02}-missing.wsq"))
        };
        files.push(path);
    }
    let options = BatchOptions {
        threads: 3,
        ..BatchOptions::default()
    };
    let mut seen = Vec::new();
    batch::run(&files, &options, |o| {
        seen.push((o.file.clone(), o.result.is_ok()))
    })
    .expect("batch runs");
    let given: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let answered: Vec<String> = seen.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(answered, given);
    let analysed: Vec<bool> = seen.iter().map(|&(_, ok)| ok).collect();
    let expected: Vec<bool> = (0..12).map(|k| k % 3 == 0).collect();
    assert_eq!(analysed, expected);
}

#[test]
fn the_count_convention_reaches_every_worker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = synthetic_png(dir.path(), "loop.png", PatternClass::L, 2);
    // How far each counted line ends from the core, per file of the batch.
    let core_offsets = |count_convention| {
        let options = BatchOptions {
            threads: 2,
            count_convention,
            ..BatchOptions::default()
        };
        let mut offsets = Vec::new();
        batch::run(&[path.clone(), path.clone()], &options, |o| {
            let analysis = &o.result.as_ref().expect("analysed").analysis;
            assert_eq!(analysis.class, PatternClass::L);
            let core = &analysis.cores[0];
            for &(_, (x, y)) in analysis.details.count_lines.iter().flatten() {
                offsets.push((x - core.x as f32).hypot(y - core.y as f32));
            }
        })
        .expect("batch runs");
        offsets
    };
    let holt = core_offsets(CountConvention::Holt);
    let fbi = core_offsets(CountConvention::Fbi);
    assert_eq!((holt.len(), fbi.len()), (2, 2), "{holt:?} {fbi:?}");
    // The output's points are rounded to whole pixels.
    assert!(holt.iter().all(|&d| d < 1.0), "{holt:?}");
    let offset = vantay_print::Params::default().fbi_core_offset_px;
    assert!(fbi.iter().all(|&d| (d - offset).abs() < 1.0), "{fbi:?}");
}

#[test]
fn analysis_round_trips_through_serde() {
    let print = Spec::of_class(PatternClass::L, 2).render();
    let analysis = vantay_print::analyze(&print.image, 500);
    let json = serde_json::to_string(&analysis).expect("serialise");
    let back: vantay_print::Analysis = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back.class, analysis.class);
    assert_eq!(back.cores, analysis.cores);
    assert_eq!(back.ridge_counts, analysis.ridge_counts);
}

#[test]
fn loops_are_ulnar_towards_the_little_finger() {
    use vantay_print::{loop_direction, Finger, LoopDirection};
    assert_eq!(
        loop_direction(PatternClass::R, Finger::R2),
        Some(LoopDirection::Ulnar)
    );
    assert_eq!(
        loop_direction(PatternClass::L, Finger::R2),
        Some(LoopDirection::Radial)
    );
    assert_eq!(
        loop_direction(PatternClass::L, Finger::L4),
        Some(LoopDirection::Ulnar)
    );
    assert_eq!(loop_direction(PatternClass::W, Finger::L4), None);
}
