//! Regression inputs (`tests/regressions/*.wsq`): each must give an error
//! or a well-formed image, never a panic. See `regressions/README.md`.

use std::path::Path;

use vantay_wsq::{Decoder, Limits};

#[test]
fn regression_inputs_decode_or_fail_cleanly() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions"));
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("regressions directory") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "wsq") {
            continue;
        }
        count += 1;
        let bytes = std::fs::read(&path).expect("readable");
        let decoder = Decoder::new(&bytes).with_limits(Limits {
            max_width: 4096,
            max_height: 4096,
            max_pixels: 1 << 22,
        });
        if let Ok(image) = decoder.decode() {
            assert_eq!(
                image.pixels.len() as u32,
                image.width * image.height,
                "{}",
                path.display()
            );
        }
    }
    eprintln!("{count} regression inputs checked");
}

/// Forged headers: sizes over the limits are refused before allocation,
/// and a zero size is an error.
#[test]
fn forged_sizes_are_refused_before_allocation() {
    let small = vantay_wsq::Encoder::new(0.75)
        .unwrap()
        .encode(&[128; 32 * 32], 32, 32)
        .unwrap();
    let sof = small
        .windows(2)
        .position(|w| w == [0xFF, 0xA2])
        .expect("frame header");
    for (w, h, want_too_large) in [(65535u16, 65535u16, true), (0, 32, false), (32, 0, false)] {
        let mut forged = small.clone();
        forged[sof + 6..sof + 8].copy_from_slice(&h.to_be_bytes());
        forged[sof + 8..sof + 10].copy_from_slice(&w.to_be_bytes());
        let err = Decoder::new(&forged)
            .decode()
            .expect_err("forged size must fail");
        let too_large = matches!(err.kind(), vantay_wsq::ErrorKind::TooLarge { .. });
        assert_eq!(too_large, want_too_large, "{w}x{h}: {err}");
    }
}

/// Flipping any single byte of a small valid stream never panics.
#[test]
fn single_byte_corruptions_never_panic() {
    let pixels: Vec<u8> = (0..48 * 40).map(|i| ((i * 7) % 251) as u8).collect();
    let wsq = vantay_wsq::Encoder::new(1.0)
        .unwrap()
        .encode(&pixels, 48, 40)
        .unwrap();
    for i in 0..wsq.len() {
        for v in [0x00, 0xFF, wsq[i] ^ 0x55] {
            let mut bad = wsq.clone();
            bad[i] = v;
            let _ = Decoder::new(&bad).decode();
        }
    }
}
