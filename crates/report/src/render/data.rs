//! The data the template reads: every text already formatted, so the
//! template only lays it out.

use chrono::NaiveDate;
use serde::Serialize;

use super::{ReportInput, Sex, BUILT_IN_STATEMENT};
use crate::figures::{Figures, FingerFigures, PatternCounts};
use crate::finger::{Hand, PatternKind};
use crate::interpret::{FingerShare, Interpretation};

#[derive(Serialize)]
struct TemplateData<'a> {
    customer_name: &'a str,
    date_of_birth: String,
    sex: &'static str,
    case_pseudonym: &'a str,
    report_date: String,
    counsellor: Option<&'a str>,
    rendered_by: &'a str,
    watermark: String,
    statement: &'a str,
    table: TableData<'a>,
    summary: Vec<Row>,
    fingers: Vec<FingerData>,
    hands: Vec<HandData>,
    brain: [Share; 2],
    groups: Vec<GroupData>,
    patterns: Vec<PatternText>,
}

#[derive(Serialize)]
struct TableData<'a> {
    version: &'a str,
    title: &'a str,
    example: bool,
    sha256: String,
}

/// A labelled figure of the summary table.
#[derive(Serialize)]
struct Row {
    label: &'static str,
    value: String,
    note: &'static str,
}

#[derive(Serialize)]
struct FingerData {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    hand: &'static str,
    class: &'static str,
    kind: &'static str,
    kind_en: &'static str,
    centre_name: String,
    centre_code: String,
    subtype: Option<String>,
    counts: String,
    frc: u32,
    afrc: u32,
    share: f64,
    share_text: String,
    meaning: String,
    image: Option<String>,
}

#[derive(Serialize)]
struct HandData {
    name: &'static str,
    counts: Vec<KindCount>,
}

#[derive(Serialize)]
struct KindCount {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    count: u32,
}

#[derive(Serialize)]
struct Share {
    name: &'static str,
    percent: f64,
    text: String,
}

#[derive(Serialize)]
struct GroupData {
    name: String,
    name_en: String,
    text: String,
    percent: f64,
    percent_text: String,
}

#[derive(Serialize)]
struct PatternText {
    name: String,
    code: String,
    text: String,
}

/// The template's data as JSON bytes.
pub(super) fn template_json(
    input: &ReportInput<'_>,
    figures: &Figures,
    interpretation: &Interpretation,
) -> Vec<u8> {
    let table = input.table;
    let statement = match table.disclaimer() {
        "" => BUILT_IN_STATEMENT,
        worded => worded,
    };
    let data = TemplateData {
        customer_name: &input.customer_name,
        date_of_birth: input
            .date_of_birth
            .map(format_date)
            .unwrap_or_else(|| "—".into()),
        sex: match input.sex {
            Some(Sex::Female) => "Nữ / Female",
            Some(Sex::Male) => "Nam / Male",
            None => "—",
        },
        case_pseudonym: &input.case_pseudonym,
        report_date: format_date(input.report_date),
        counsellor: input.counsellor.as_deref(),
        rendered_by: &input.rendered_by,
        watermark: watermark(input),
        statement,
        table: TableData {
            version: table.version(),
            title: table.title(),
            example: table.is_example(),
            sha256: table.sha256_hex(),
        },
        summary: summary_rows(figures),
        fingers: figures
            .fingers
            .iter()
            .zip(&interpretation.fingers)
            .map(|(f, share)| finger_data(f, share, input))
            .collect(),
        hands: vec![
            hand_data("Tay phải / Right hand", &figures.right_hand),
            hand_data("Tay trái / Left hand", &figures.left_hand),
        ],
        brain: [
            brain_share(
                "Não trái (tay phải) / Left brain",
                interpretation.left_brain_percent,
            ),
            brain_share(
                "Não phải (tay trái) / Right brain",
                interpretation.right_brain_percent,
            ),
        ],
        groups: interpretation
            .groups
            .iter()
            .map(|g| GroupData {
                name: g.name.clone(),
                name_en: g.name_en.clone(),
                text: g.text.clone(),
                percent: g.percent,
                percent_text: format_percent(g.percent),
            })
            .collect(),
        patterns: patterns_present(figures, input),
    };
    serde_json::to_vec(&data).expect("template data serialises")
}

/// The watermark: who may hold this copy, and which case it is.
fn watermark(input: &ReportInput<'_>) -> String {
    let holder = input.counsellor.as_deref().unwrap_or(&input.rendered_by);
    format!("{holder} · {}", input.case_pseudonym)
}

fn finger_data(f: &FingerFigures, share: &FingerShare, input: &ReportInput<'_>) -> FingerData {
    let has_image = input
        .fingers
        .iter()
        .any(|r| r.finger == f.finger && r.image_png.is_some());
    FingerData {
        code: f.finger.code(),
        name: f.finger.name_vi(),
        name_en: f.finger.name_en(),
        hand: match f.finger.hand() {
            Hand::Right => "R",
            Hand::Left => "L",
        },
        class: f.class,
        kind: f.kind.name_vi(),
        kind_en: f.kind.name_en(),
        centre_name: share.pattern_name.clone(),
        centre_code: share.pattern_code.clone(),
        subtype: share.subtype_name.clone(),
        counts: format_counts(f),
        frc: f.finger_ridge_count,
        afrc: f.absolute_ridge_count,
        share: share.percent,
        share_text: format_percent(share.percent),
        meaning: share.meaning.clone(),
        image: has_image.then(|| super::world::image_path(f.finger)),
    }
}

fn format_counts(f: &FingerFigures) -> String {
    if f.kind == PatternKind::Arch || f.kind == PatternKind::TentedArch {
        return "0".into();
    }
    let counts: Vec<String> = f.ridge_counts.iter().map(u32::to_string).collect();
    counts.join(" / ")
}

fn summary_rows(figures: &Figures) -> Vec<Row> {
    vec![
        Row {
            label: "TFRC — Tổng số đường vân / Total finger ridge count",
            value: figures.tfrc.to_string(),
            note: "số lớn hơn của vân xoáy / larger count of a whorl",
        },
        Row {
            label: "TFRC tay phải / right hand",
            value: figures.tfrc_right.to_string(),
            note: "",
        },
        Row {
            label: "TFRC tay trái / left hand",
            value: figures.tfrc_left.to_string(),
            note: "",
        },
        Row {
            label: "AFRC — Số đường vân tuyệt đối / Absolute ridge count",
            value: figures.afrc.to_string(),
            note: "cả hai số của vân xoáy / both counts of a whorl",
        },
        Row {
            label: "Chỉ số cường độ vân / Pattern intensity index",
            value: format_decimal(figures.pattern_intensity, 2),
            note: "(2 × xoáy + móc) / 10, từ 0 đến 2",
        },
        Row {
            label: "Chỉ số Dankmeijer / Dankmeijer index",
            value: format_index(figures.dankmeijer),
            note: "cung / xoáy × 100",
        },
        Row {
            label: "Chỉ số Furuhata / Furuhata index",
            value: format_index(figures.furuhata),
            note: "xoáy / móc × 100",
        },
    ]
}

fn hand_data(name: &'static str, counts: &PatternCounts) -> HandData {
    let counts = PatternKind::ALL
        .into_iter()
        .map(|kind| KindCount {
            code: kind.code(),
            name: kind.name_vi(),
            name_en: kind.name_en(),
            count: counts.get(kind),
        })
        .collect();
    HandData { name, counts }
}

fn brain_share(name: &'static str, percent: f64) -> Share {
    Share {
        name,
        percent,
        text: format_percent(percent),
    }
}

fn patterns_present(figures: &Figures, input: &ReportInput<'_>) -> Vec<PatternText> {
    PatternKind::ALL
        .into_iter()
        .filter(|kind| figures.both_hands.get(*kind) > 0)
        .map(|kind| {
            let entry = input.table.pattern(kind);
            PatternText {
                name: entry.name.clone(),
                code: entry.code.clone(),
                text: entry.text.clone(),
            }
        })
        .collect()
}

/// Vietnamese date order, e.g. `12/03/2015`.
fn format_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// A decimal with a decimal comma, as Vietnamese writes it.
fn format_decimal(value: f64, places: usize) -> String {
    format!("{value:.places$}").replace('.', ",")
}

fn format_percent(value: f64) -> String {
    format!("{} %", format_decimal(value, 1))
}

/// An index, or a dash with the reason when it is undefined.
fn format_index(value: Option<f64>) -> String {
    value.map_or_else(
        || "— (không xác định / undefined)".into(),
        |v| format_decimal(v, 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_a_decimal_comma() {
        assert_eq!(format_decimal(1.1, 2), "1,10");
        assert_eq!(format_percent(12.345), "12,3 %");
        assert_eq!(format_index(None), "— (không xác định / undefined)");
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2015, 3, 12).unwrap()),
            "12/03/2015"
        );
    }
}
