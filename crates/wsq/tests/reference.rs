//! Reference tests against NIST's published WSQ data (NBIS test bundle):
//! decoder output against NIST's `dwsq`, all SD14 prints, and the encoder
//! against NIST's `cwsq` output for the same input.

use std::path::{Path, PathBuf};

use vantay_wsq::{Decoder, Encoder, ErrorKind};

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        eprintln!("skipped: NIST test data not found at {}", dir.display());
        None
    }
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Largest difference and share of identical pixels.
fn compare(a: &[u8], b: &[u8]) -> (u8, f64) {
    assert_eq!(a.len(), b.len());
    let max = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0);
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    (max, same as f64 / a.len() as f64)
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

#[test]
fn finger_matches_nist_decoder() {
    let Some(dir) = data_dir() else { return };
    let wsq = read(&dir, "nist-reference/wsq/data_finger_gray_wsq_finger.wsq");
    let expected = read(&dir, "nist-reference/wsq/execs_dwsq_finger_nist.raw");
    let image = Decoder::new(&wsq).decode().expect("decodes");
    assert_eq!((image.width, image.height), (500, 500));
    assert_eq!(image.header.ppi, Some(500));
    let (max, same) = compare(&image.pixels, &expected);
    eprintln!("finger: max diff {max}, identical {:.4} %", same * 100.0);
    assert!(max <= 1, "max difference {max}");
    assert!(same >= 0.99, "only {:.3} % identical", same * 100.0);
}

#[test]
fn sd14_reformatted_matches_nist_decoder() {
    let Some(dir) = data_dir() else { return };
    let wsq = read(&dir, "nist-reference/wsq/execs_sd_rfmt_sd14_nist.wsq");
    let expected = read(&dir, "nist-reference/wsq/execs_dwsq14_sd14_nist.raw");
    let image = Decoder::new(&wsq).decode().expect("decodes");
    assert_eq!(image.pixels.len(), expected.len());
    let (max, same) = compare(&image.pixels, &expected);
    eprintln!("sd14 rfmt: max diff {max}, identical {:.4} %", same * 100.0);
    assert!(max <= 1, "max difference {max}");
    assert!(same >= 0.99, "only {:.3} % identical", same * 100.0);
}

#[test]
fn pre_standard_sd14_file_is_refused_cleanly() {
    let Some(dir) = data_dir() else { return };
    // The old SD14 form predates the standard's markers; NIST reformats it
    // with a dedicated tool. It must give an error, not a panic.
    let old = read(&dir, "nist-reference/wsq/data_sd_data_sd14.old");
    assert!(Decoder::new(&old).decode().is_err());
}

#[test]
fn all_sd14_prints_decode() {
    let Some(dir) = data_dir() else { return };
    let sd14 = dir.join("sd14-dev");
    let mut names: Vec<_> = std::fs::read_dir(&sd14)
        .expect("sd14-dev readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wsq"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 900);
    for path in names {
        let wsq = std::fs::read(&path).expect("readable");
        let image = Decoder::new(&wsq)
            .decode()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            (image.width, image.height),
            (832, 768),
            "{}",
            path.display()
        );
        assert_eq!(image.header.ppi, Some(500));
        // The class is in the comment, kept as data only.
        assert!(image
            .header
            .nistcom
            .as_ref()
            .and_then(|n| n.get("FING_CLASS"))
            .is_some());
    }
}

#[test]
fn encoder_is_comparable_to_nist_cwsq() {
    let Some(dir) = data_dir() else { return };
    let raw = read(&dir, "nist-reference/wsq/data_finger_gray_raw_finger.raw");
    let nist = read(&dir, "nist-reference/wsq/execs_cwsq_finger_nist.wsq");
    let ours = Encoder::new(0.75)
        .unwrap()
        .ppi(500)
        .encode(&raw, 500, 500)
        .expect("encodes");
    let ours_back = Decoder::new(&ours).decode().expect("own output decodes");
    let nist_back = Decoder::new(&nist).decode().expect("NIST output decodes");
    let (p_ours, p_nist) = (psnr(&raw, &ours_back.pixels), psnr(&raw, &nist_back.pixels));
    eprintln!(
        "encoder: ours {} bytes, PSNR {p_ours:.2} dB; NIST {} bytes, PSNR {p_nist:.2} dB",
        ours.len(),
        nist.len()
    );
    // Same algorithm, same rate: sizes within 5 %, quality within 0.5 dB.
    let ratio = ours.len() as f64 / nist.len() as f64;
    assert!((0.95..=1.05).contains(&ratio), "size ratio {ratio:.3}");
    assert!(
        p_ours > p_nist - 0.5,
        "PSNR {p_ours:.2} vs NIST {p_nist:.2}"
    );
}

#[test]
fn truncations_of_a_real_file_are_errors() {
    let Some(dir) = data_dir() else { return };
    let wsq = read(&dir, "nist-reference/wsq/data_finger_gray_wsq_finger.wsq");
    for len in (0..wsq.len()).step_by(97) {
        let err = Decoder::new(&wsq[..len])
            .decode()
            .expect_err("truncated input must fail");
        let _: &ErrorKind = err.kind();
    }
}
