//! Tests of the image entry point on NIST's data and on files written by
//! the `image` crate's own encoders.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{GrayImage, ImageFormat};

use super::*;

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        eprintln!("skipped: NIST test data not found at {}", dir.display());
        None
    }
}

fn sd14_print(dir: &Path) -> Decoded {
    load(&dir.join("sd14-dev/s0024301.wsq"), &Limits::default()).expect("SD14 print loads")
}

fn encoded(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), format)
        .expect("encodes");
    out
}

#[test]
fn wsq_file_loads_with_its_resolution() {
    let Some(dir) = data_dir() else { return };
    let d = sd14_print(&dir);
    assert_eq!(
        (d.image.width(), d.image.height(), d.ppi, d.format),
        (832, 768, Some(500), Format::Wsq)
    );
}

#[test]
fn probe_reads_the_header_only() {
    let Some(dir) = data_dir() else { return };
    let bytes = std::fs::read(dir.join("sd14-dev/s0024301.wsq")).unwrap();
    // Cut the coded data off: the header is still readable.
    let p = probe(&bytes[..1200]).expect("header probes");
    assert_eq!(
        p,
        Probe {
            format: Format::Wsq,
            width: 832,
            height: 768,
            ppi: Some(500)
        }
    );
}

#[test]
fn every_image_crate_format_decodes_to_the_same_grey() {
    let Some(dir) = data_dir() else { return };
    let original = sd14_print(&dir).image;
    for (format, ours, lossless) in [
        (ImageFormat::Png, Format::Png, true),
        (ImageFormat::Bmp, Format::Bmp, true),
        (ImageFormat::Tiff, Format::Tiff, true),
        (ImageFormat::Pnm, Format::Pgm, true),
        (ImageFormat::Jpeg, Format::Jpeg, false),
    ] {
        let bytes = match ours {
            Format::Pgm => encode_pgm(&original).unwrap(),
            _ => encoded(&original, format),
        };
        assert_eq!(Format::sniff(&bytes), Some(ours));
        let d = decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{ours:?}: {e}"));
        assert_eq!(d.format, ours);
        assert_eq!(d.image.dimensions(), original.dimensions());
        if lossless {
            assert!(d.image == original, "{ours:?} changed pixels");
        }
        let p = probe(&bytes).unwrap();
        assert_eq!((p.width, p.height), original.dimensions());
    }
}

#[test]
fn png_keeps_the_resolution() {
    let Some(dir) = data_dir() else { return };
    let original = sd14_print(&dir).image;
    let png = encode_png_with_ppi(&original, Some(500)).unwrap();
    let d = decode(&png, &Limits::default()).expect("PNG with pHYs decodes");
    assert_eq!((d.ppi, d.format), (Some(500), Format::Png));
    assert!(d.image == original);
    assert_eq!(
        decode(&encode_png(&original).unwrap(), &Limits::default())
            .unwrap()
            .ppi,
        None
    );
}

#[test]
fn conversion_round_trip_wsq_png_pgm_raw_wsq() {
    let Some(dir) = data_dir() else { return };
    let d = sd14_print(&dir);
    let ppi = d.ppi.unwrap();
    let png = encode(&d.image, Format::Png, ppi, 0.75).unwrap();
    let from_png = decode(&png, &Limits::default()).unwrap();
    let pgm = encode(&from_png.image, Format::Pgm, ppi, 0.75).unwrap();
    let from_pgm = decode(&pgm, &Limits::default()).unwrap();
    let raw = encode(&from_pgm.image, Format::Raw, ppi, 0.75).unwrap();
    let from_raw = decode_raw(&raw, 832, 768).unwrap();
    assert!(from_raw.image == d.image, "lossless steps changed pixels");
    let wsq = encode(&from_raw.image, Format::Wsq, ppi, 0.75).unwrap();
    let back = decode(&wsq, &Limits::default()).unwrap();
    assert_eq!((back.ppi, back.image.dimensions()), (Some(500), (832, 768)));
    assert!(psnr(&back.image, &d.image) > 30.0);
    assert!(matches!(
        encode(&d.image, Format::Jpeg, ppi, 0.75),
        Err(InputError::UnsupportedOutput(_))
    ));
}

fn psnr(a: &GrayImage, b: &GrayImage) -> f64 {
    let n = a.as_raw().len() as f64;
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum();
    10.0 * (255.0 * 255.0 / (se / n)).log10()
}

#[test]
fn limits_are_checked_from_the_header() {
    let Some(dir) = data_dir() else { return };
    let small = Limits {
        max_width: 800,
        ..Limits::default()
    };
    let bytes = std::fs::read(dir.join("sd14-dev/s0024301.wsq")).unwrap();
    assert!(matches!(
        decode(&bytes, &small),
        Err(InputError::TooLarge { width: 832, .. })
    ));
    let png = encode_png(&sd14_print(&dir).image).unwrap();
    assert!(matches!(
        decode(&png, &small),
        Err(InputError::TooLarge { width: 832, .. })
    ));
}

#[test]
fn raw_needs_a_matching_size() {
    assert!(matches!(
        decode_raw(&[0; 10], 3, 3),
        Err(InputError::RawSize {
            expected: 9,
            got: 10,
            ..
        })
    ));
    assert!(matches!(decode_raw(&[], 0, 3), Err(InputError::EmptyImage)));
    let d = decode_raw(&[1, 2, 3, 4, 5, 6], 3, 2).unwrap();
    assert_eq!(d.image.get_pixel(2, 1).0, [6]);
    assert!(matches!(
        load(Path::new("x.raw"), &Limits::default()),
        Err(InputError::RawNeedsSize)
    ));
}

#[test]
fn unknown_bytes_are_refused() {
    assert!(matches!(
        decode(b"GIF89a", &Limits::default()),
        Err(InputError::UnknownFormat)
    ));
    assert!(matches!(
        decode(&[], &Limits::default()),
        Err(InputError::UnknownFormat)
    ));
    // Right magic, nothing after it.
    for magic in [
        &[0xFF, 0xA0][..],
        b"\x89PNG",
        b"BM",
        b"II*\0",
        b"\xFF\xD8\xFF",
        b"P5",
    ] {
        assert!(decode(magic, &Limits::default()).is_err(), "{magic:?}");
    }
}

/// NIST's malformed ANSI/NIST files (truncated, wrong lengths, empty) give
/// errors, whole and cut at every 64th byte.
#[test]
fn malformed_an2k_files_give_errors() {
    let Some(dir) = data_dir() else { return };
    let bad = dir.join("nist-reference/an2k/bad");
    let files: Vec<_> = std::fs::read_dir(&bad)
        .expect("bad/ readable")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 43);
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        for cut in (0..=bytes.len()).step_by(64).chain([bytes.len()]) {
            assert!(
                decode(&bytes[..cut], &Limits::default()).is_err(),
                "{} accepted",
                path.display()
            );
        }
    }
}

#[test]
fn extensions_name_formats() {
    assert_eq!(Format::from_extension("WSQ"), Some(Format::Wsq));
    assert_eq!(Format::from_extension("tif"), Some(Format::Tiff));
    assert_eq!(Format::from_path(Path::new("a/b.jpeg")), Some(Format::Jpeg));
    assert_eq!(Format::from_extension("gif"), None);
    for f in [
        Format::Wsq,
        Format::Png,
        Format::Bmp,
        Format::Tiff,
        Format::Jpeg,
        Format::Pgm,
        Format::Raw,
    ] {
        assert_eq!(Format::from_extension(&f.to_string()), Some(f));
    }
}

/// The `vantay print convert` path through the library: WSQ → PNG → raw →
/// WSQ on files, the resolution carried along.
#[test]
fn convert_file_between_formats() {
    let Some(dir) = data_dir() else { return };
    let tmp = std::env::temp_dir().join(format!("vantay-convert-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let opts = ConvertOptions::default();
    let src = dir.join("sd14-dev/s0024301.wsq");
    let png = tmp.join("a.png");
    let c = convert_file(&src, &png, &opts).unwrap();
    assert_eq!(
        (c.from, c.to, c.width, c.height, c.ppi),
        (Format::Wsq, Format::Png, 832, 768, Some(500))
    );
    let raw = tmp.join("a.raw");
    convert_file(&png, &raw, &opts).unwrap();
    assert_eq!(std::fs::metadata(&raw).unwrap().len(), 832 * 768);
    let wsq = tmp.join("b.wsq");
    // Raw input says no resolution: WSQ output needs one.
    let raw_opts = ConvertOptions {
        raw_size: Some((832, 768)),
        ..opts
    };
    assert!(matches!(
        convert_file(&raw, &wsq, &raw_opts),
        Err(InputError::MissingPpi)
    ));
    let c = convert_file(
        &raw,
        &wsq,
        &ConvertOptions {
            ppi: Some(500),
            bitrate: 1.5,
            ..raw_opts
        },
    )
    .unwrap();
    assert_eq!((c.from, c.to, c.ppi), (Format::Raw, Format::Wsq, Some(500)));
    let back = load(&wsq, &Limits::default()).unwrap();
    let original = load(&src, &Limits::default()).unwrap();
    assert!(psnr(&back.image, &original.image) > 35.0);
    assert!(matches!(
        convert_file(&src, &tmp.join("x.gif"), &opts),
        Err(InputError::UnknownOutputFormat(_))
    ));
    assert!(matches!(
        convert_file(&src, &tmp.join("x.jpg"), &opts),
        Err(InputError::UnsupportedOutput(_))
    ));
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn a_folders_wsq_files_come_sorted_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["s2.wsq", "s1.wsq", "notes.txt", "s3.png"] {
        std::fs::write(dir.path().join(name), b"").unwrap();
    }
    let names: Vec<String> = wsq_files(dir.path())
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["s1.wsq", "s2.wsq"]);
    assert!(wsq_files(&dir.path().join("missing")).is_err());
}
