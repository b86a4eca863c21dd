//! Any byte string gives the WSQ decoder an error or an image, never a
//! panic, a hang or an allocation beyond the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vantay_wsq::{Decoder, Limits};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the checks are the same at any size.
    let limits = Limits { max_width: 1024, max_height: 1024, max_pixels: 1 << 18 };
    let decoder = Decoder::new(data).with_limits(limits);
    let header = decoder.header();
    if let Ok(image) = decoder.decode() {
        let header = header.expect("a decodable stream has a header");
        assert_eq!(image.pixels.len(), header.width as usize * header.height as usize);
    }
});
