//! `vantay print convert`: image format conversion. The work is
//! [`vantay_print::input::convert_file`]; this only maps the arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vantay_print::input::{self, ConvertOptions};

/// Arguments of `vantay print convert`.
#[derive(clap::Args)]
pub struct ConvertArgs {
    /// Input image: WSQ, PNG, BMP, TIFF, JPEG or PGM (found from its
    /// content), or raw 8-bit grey (`.raw`, with --width and --height).
    input: PathBuf,
    /// Output image; its extension picks the format: .wsq, .png, .pgm or .raw.
    output: PathBuf,
    /// Width of raw input, in pixels.
    #[arg(long, requires = "height")]
    width: Option<u32>,
    /// Height of raw input, in pixels.
    #[arg(long, requires = "width")]
    height: Option<u32>,
    /// Bits per pixel of WSQ output (0.75 is the FBI setting for 500 ppi).
    #[arg(long, default_value_t = vantay_wsq::DEFAULT_BITRATE)]
    bitrate: f32,
    /// Resolution in pixels per inch, used when the input does not say.
    #[arg(long)]
    ppi: Option<u16>,
}

/// Runs the command.
pub fn run(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let options = ConvertOptions {
        raw_size: args.width.zip(args.height),
        ppi: args.ppi,
        bitrate: args.bitrate,
        ..ConvertOptions::default()
    };
    let done = input::convert_file(&args.input, &args.output, &options).with_context(|| {
        format!(
            "converting {} to {}",
            args.input.display(),
            args.output.display()
        )
    })?;
    let ppi = done.ppi.map_or("unknown".to_owned(), |p| p.to_string());
    println!(
        "{} ({}) -> {} ({}): {}x{}, {ppi} ppi, {} bytes",
        args.input.display(),
        done.from,
        args.output.display(),
        done.to,
        done.width,
        done.height,
        done.bytes
    );
    Ok(ExitCode::SUCCESS)
}
