//! `vantay print analyze`: one JSON line per file (DESIGN §5).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vantay_print::batch::{self, BatchOptions, Outcome};
use vantay_print::{CountConvention, Finger};

/// Arguments of `vantay print analyze`.
#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// Images to analyse (WSQ, PNG, BMP, TIFF, JPEG, PGM).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Write an overlay PNG per print (foreground, orientation, cores,
    /// deltas, ridge-count lines) into this directory.
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
    /// Where a loop's ridge count ends at the core: `holt` (Bonnevie and
    /// Holt, the innermost recurve's centre; dermatoglyphics) or `fbi` (the
    /// recurve's shoulder; NCIC codes and fingerprint bureaus).
    #[arg(long, value_enum, default_value_t = Convention::Holt)]
    count_convention: Convention,
    /// The finger every file is (R1..R5 right thumb to little finger,
    /// L1..L5 left), where known: the class then weighs which patterns that
    /// finger carries most often (an index finger most tented arches, a
    /// right hand's loops open to the right).
    #[arg(long, value_name = "FINGER")]
    finger: Option<Finger>,
    /// The files are one person's ten prints, R1 to L5 in that order (right
    /// thumb to little finger, then left): each print's class also weighs
    /// what the other nine say of the person (on a card of whorls an unsure
    /// print is likelier a whorl). The output is as without it.
    #[arg(long, conflicts_with = "finger")]
    card: bool,
}

/// The values of `--count-convention`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Convention {
    Holt,
    Fbi,
}

impl From<Convention> for CountConvention {
    fn from(convention: Convention) -> Self {
        match convention {
            Convention::Holt => CountConvention::Holt,
            Convention::Fbi => CountConvention::Fbi,
        }
    }
}

/// Batches shorter than this get no progress bar.
const PROGRESS_FROM: usize = 20;

/// Runs the command: exit 0 when every file was analysed, 2 when some could not be.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.overlay {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create overlay directory {}", dir.display()))?;
    }
    let options = BatchOptions {
        threads: args.threads,
        overlay_dir: args.overlay.clone(),
        count_convention: args.count_convention.into(),
        finger: args.finger,
        ..BatchOptions::default()
    };
    let mut progress = Progress::new(args.files.len());
    let mut stdout = std::io::stdout().lock();
    let mut failed = 0usize;
    let mut write_error = None;
    let emit = |outcome: &Outcome| {
        failed += usize::from(outcome.result.is_err());
        if write_error.is_none() {
            write_error = writeln!(stdout, "{}", outcome.to_json_line()).err();
        }
        progress.advance();
    };
    if args.card {
        batch::run_card(&args.files, &options, emit)?;
    } else {
        batch::run(&args.files, &options, emit)?;
    }
    progress.finish();
    match write_error {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("cannot write to standard output")
        }
        _ => {}
    }
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// A one-line progress bar on standard error, shown only on a terminal and
/// only for long batches (so that logs and pipes stay clean).
struct Progress {
    total: usize,
    done: usize,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            shown: total >= PROGRESS_FROM && std::io::stderr().is_terminal(),
        }
    }

    fn advance(&mut self) {
        self.done += 1;
        if self.shown {
            let width = 40;
            let filled = width * self.done / self.total.max(1);
            eprint!(
                "\r[{}{}] {}/{}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                self.done,
                self.total
            );
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}
