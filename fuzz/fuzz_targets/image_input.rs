//! Any byte string gives the image entry point an error or an image,
//! never a panic, a hang or an allocation beyond the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vantay_print::input::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_width: 1024, max_height: 1024, max_file_bytes: 1 << 20, max_alloc: 16 << 20 };
    let probe = input::probe(data);
    if let Ok(decoded) = input::decode(data, &limits) {
        let probe = probe.expect("a decodable image has a header");
        assert_eq!(decoded.image.dimensions(), (probe.width, probe.height));
    }
});
