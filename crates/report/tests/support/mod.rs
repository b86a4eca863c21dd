//! A synthetic customer with real print images, shared by the tests, the
//! bench and the example.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use vantay_report::{Finger, FingerResult, InterpretationTable, PatternClass, ReportInput, Sex};

pub const NAME: &str = "Nguyễn Thị Hồng Nhung";

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nist-reference/wsq")
}

/// A real print (NIST's decoded reference images) as PNG, if the data is here.
pub fn print_png(index: usize) -> Option<Vec<u8>> {
    let (file, width, height) = if index % 2 == 0 {
        ("execs_dwsq14_sd14_nist.raw", 832, 768)
    } else {
        ("execs_dwsq_finger_nist.raw", 500, 500)
    };
    let raw = std::fs::read(data_dir().join(file)).ok()?;
    let image = image::GrayImage::from_raw(width, height, raw)?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(png)
}

/// A card with every pattern kind: W R R W R / W L A T R (R on the left
/// hand is a radial loop).
pub fn synthetic_fingers(with_images: bool) -> Vec<FingerResult> {
    use PatternClass::{A as Arch, L as LeftLoop, R as RightLoop, T as TentedArch, W as Whorl};
    let spec: [(PatternClass, Option<&str>, &[u32]); 10] = [
        (Whorl, Some("double_loop"), &[14, 11]),
        (RightLoop, None, &[12]),
        (RightLoop, None, &[9]),
        (Whorl, Some("plain"), &[18, 16]),
        (RightLoop, None, &[10]),
        (Whorl, Some("central_pocket"), &[15, 9]),
        (LeftLoop, None, &[8]),
        (Arch, None, &[]),
        (TentedArch, None, &[]),
        (RightLoop, None, &[11]),
    ];
    Finger::ALL
        .into_iter()
        .zip(spec)
        .enumerate()
        .map(|(i, (finger, (class, subtype, counts)))| FingerResult {
            finger,
            class,
            subtype: subtype.map(str::to_owned),
            ridge_counts: counts.to_vec(),
            image_png: if with_images { print_png(i) } else { None },
        })
        .collect()
}

pub fn input<'a>(table: &'a InterpretationTable, name: &str) -> ReportInput<'a> {
    ReportInput {
        customer_name: name.to_owned(),
        date_of_birth: NaiveDate::from_ymd_opt(2015, 3, 12),
        sex: Some(Sex::Female),
        case_pseudonym: "HS-7Q2K-94".to_owned(),
        report_date: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        counsellor: Some("Trần Văn Đức".to_owned()),
        rendered_by: "admin.lan".to_owned(),
        fingers: synthetic_fingers(true),
        table,
    }
}
