//! Renders reports and reads them back with `pdftotext` (poppler-utils).
//!
//! Print images come from the NIST reference data in `shared/data`; without
//! it the reports render with "no image" placeholders. Without `pdftotext`
//! the read-back tests print why and skip.

use std::collections::BTreeMap;
use std::process::Command;

use vantay_report::{
    compute_figures, Finger, InterpretationTable, PatternKind, RenderError, Renderer,
};

mod support;
use support::{input, synthetic_fingers, NAME};

/// The text of a PDF (one page when `page` is given), with whitespace
/// collapsed so line breaks do not matter; `None` without `pdftotext`.
/// `diagonal: false` leaves out the diagonal watermark (`-nodiag`), which
/// pdftotext would otherwise cut into pieces among the body text.
fn pdf_text(pdf: &[u8], page: Option<usize>, diagonal: bool) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut command = Command::new("pdftotext");
    if let Some(page) = page {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    if !diagonal {
        command.arg("-nodiag");
    }
    let output = match command.arg(&path).arg("-").output() {
        Ok(output) => output,
        Err(err) => {
            eprintln!(
                "skipping the read-back: pdftotext is not available ({err}); install poppler-utils"
            );
            return None;
        }
    };
    assert!(output.status.success(), "pdftotext failed: {output:?}");
    Some(collapse(&String::from_utf8(output.stdout).unwrap()))
}

/// The characters (not spaces) of `text`, counted.
fn char_counts(text: &str) -> BTreeMap<char, usize> {
    let mut counts = BTreeMap::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        *counts.entry(c).or_insert(0) += 1;
    }
    counts
}

/// Asserts that the diagonal text of `page` is `mark` repeated (at least
/// once) and nothing else.
fn assert_watermark(pdf: &[u8], page: usize, mark: &str) -> Option<()> {
    let all = char_counts(&pdf_text(pdf, Some(page), true)?);
    let body = char_counts(&pdf_text(pdf, Some(page), false)?);
    let mut diagonal = all.clone();
    for (c, n) in body {
        *diagonal.get_mut(&c).unwrap() -= n;
    }
    diagonal.retain(|_, n| *n > 0);
    let mark = char_counts(mark);
    let repeats = mark
        .iter()
        .map(|(c, n)| diagonal.get(c).copied().unwrap_or(0) / n)
        .min();
    assert!(
        repeats.unwrap_or(0) >= 1,
        "page {page} has the watermark: {diagonal:?}"
    );
    let strays: Vec<&char> = diagonal.keys().filter(|c| !mark.contains_key(c)).collect();
    assert!(
        strays.is_empty(),
        "page {page}'s diagonal text is only the watermark: {strays:?}"
    );
    Some(())
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn report_reads_back_with_name_patterns_tfrc_and_statement() {
    let table = InterpretationTable::example();
    let input = input(&table, NAME);
    let pdf = Renderer::new().render(&input).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&pdf, None, false) else {
        return;
    };

    assert!(text.contains(NAME), "the name with its diacritics: {text}");
    let figures = compute_figures(&input.fingers).unwrap();
    for finger in &figures.fingers {
        assert!(
            text.contains(finger.kind.name_vi()),
            "pattern of {}",
            finger.finger
        );
        assert!(
            text.contains(finger.finger.name_vi()),
            "name of {}",
            finger.finger
        );
    }
    // The summary table reads back label column first, then the values.
    assert!(text.contains("TFRC — Tổng số đường vân / Total finger ridge count"));
    // Counts differ by a ridge or so between conventions: the report says whose.
    assert!(text.contains("đếm theo quy ước Bonnevie–Holt"), "{text}");
    let values = format!(
        "{} {} {} {}",
        figures.tfrc, figures.tfrc_right, figures.tfrc_left, figures.afrc
    );
    assert!(text.contains(&values), "TFRC {}: {text}", figures.tfrc);
    assert!(
        text.contains(&collapse(table.disclaimer())),
        "the statement: {text}"
    );
    assert!(text.contains(&table.sha256_hex()), "the table's hash");
    assert!(text.contains(table.version()), "the table's version");
    assert!(text.contains("Trần Văn Đức"), "the counsellor");
}

#[test]
fn every_page_carries_the_watermark() {
    let table = InterpretationTable::example();
    let pdf = Renderer::new().render(&input(&table, NAME)).unwrap();
    let Some(first_page) = pdf_text(&pdf, Some(1), false) else {
        return;
    };
    // The footer says "1/N".
    let pages: usize = first_page
        .rsplit('/')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 3, "{first_page}");
    for page in 1..=pages {
        assert_watermark(&pdf, page, "Trần Văn Đức · HS-7Q2K-94");
    }
}

#[test]
fn watermark_names_who_rendered_when_no_counsellor() {
    let table = InterpretationTable::example();
    let mut input = input(&table, NAME);
    input.counsellor = None;
    let pdf = Renderer::new().render(&input).unwrap();
    assert_watermark(&pdf, 1, "admin.lan · HS-7Q2K-94");
}

#[test]
fn a_name_cannot_inject_markup() {
    let table = InterpretationTable::example();
    let hostile = r#"Lê #set *đậm* $x$ <a> @b \ ]"#;
    let pdf = Renderer::new().render(&input(&table, hostile)).unwrap();
    let Some(text) = pdf_text(&pdf, Some(1), false) else {
        return;
    };
    assert!(
        text.contains(&collapse(hostile)),
        "printed literally: {text}"
    );
}

#[test]
fn same_input_gives_the_same_pdf() {
    let table = InterpretationTable::example();
    let renderer = Renderer::new();
    let first = renderer.render(&input(&table, NAME)).unwrap();
    let second = renderer.render(&input(&table, NAME)).unwrap();
    assert!(first == second, "rendering is reproducible");
}

#[test]
fn missing_images_render_placeholders() {
    let table = InterpretationTable::example();
    let mut input = input(&table, NAME);
    input.fingers = synthetic_fingers(false);
    let pdf = Renderer::new().render(&input).unwrap();
    let Some(text) = pdf_text(&pdf, Some(1), false) else {
        return;
    };
    assert_eq!(text.matches("no image").count(), 10);
}

#[test]
fn a_broken_image_is_refused() {
    let table = InterpretationTable::example();
    let mut input = input(&table, NAME);
    input.fingers[3].image_png = Some(b"GIF89a not a png".to_vec());
    let err = Renderer::new().render(&input).unwrap_err();
    assert!(matches!(err, RenderError::NotPng(Finger::R4)), "{err}");
}

#[test]
fn incomplete_results_are_refused() {
    let table = InterpretationTable::example();
    let mut input = input(&table, NAME);
    input.fingers.retain(|f| f.finger != Finger::L5);
    let err = Renderer::new().render(&input).unwrap_err();
    assert!(err.to_string().contains("L5"), "{err}");
}

#[test]
fn radial_loop_on_the_left_hand_is_named() {
    // L5 is a right loop on the left hand: radial.
    let figures = compute_figures(&synthetic_fingers(false)).unwrap();
    assert_eq!(figures.fingers[9].kind, PatternKind::RadialLoop);
}
