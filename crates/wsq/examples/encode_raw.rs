//! Encodes a raw 8-bit grey file to WSQ (used by `benches/compare.py` to
//! compare with NIST's `cwsq` output).
//!
//! `cargo run --release -p vantay-wsq --example encode_raw -- IN.raw WIDTH HEIGHT BITRATE OUT.wsq`

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, width, height, bitrate, output] = args.as_slice() else {
        eprintln!("usage: encode_raw IN.raw WIDTH HEIGHT BITRATE OUT.wsq");
        return ExitCode::from(2);
    };
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let pixels = std::fs::read(input)?;
        let encoder = vantay_wsq::Encoder::new(bitrate.parse()?)?.ppi(500);
        let wsq = encoder.encode(&pixels, width.parse()?, height.parse()?)?;
        std::fs::write(output, wsq)?;
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("encode_raw: {e}");
            ExitCode::from(1)
        }
    }
}
