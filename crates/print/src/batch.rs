//! Batches: many files analysed in parallel, one [`Extractor`] per worker
//! thread, results handed back in the order of the files.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use serde::Serialize;

use rayon::prelude::*;

use crate::analysis::{card_weights, record, Extractor, Record};
use crate::finger_prior;
use crate::input::{self, InputError, Limits};
use crate::overlay;
use crate::presence::NoPrint;
use crate::ridge_count::CountConvention;
use vantay_domain::Finger;

/// Resolution assumed when a file does not say (SD14 and most scanners).
pub const DEFAULT_PPI: u16 = 500;

/// How to run a batch.
#[derive(Clone, Debug, Default)]
pub struct BatchOptions {
    /// Worker threads; 0 for one per core.
    pub threads: usize,
    /// Where to write an overlay PNG per print (`NAME.overlay.png`), if anywhere.
    pub overlay_dir: Option<PathBuf>,
    /// Limits on the images read.
    pub limits: Limits,
    /// Where loops' ridge counts end at the core.
    pub count_convention: CountConvention,
    /// The finger every file of the batch is, where known: the class then
    /// weighs what that finger favours ([`crate::finger_prior`]).
    pub finger: Option<Finger>,
}

/// Why one file of a batch has no analysis.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The image could not be read or decoded.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The image was read but holds no fingerprint.
    #[error(transparent)]
    NoPrint(#[from] NoPrint),
    /// The overlay could not be drawn or written.
    #[error("cannot write overlay {path}: {reason}")]
    Overlay {
        /// The overlay file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Why a batch could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The cause.
        source: rayon::ThreadPoolBuildError,
    },
    /// A card is one person's ten fingers.
    #[error("a card is ten prints, R1 to L5 in that order; {0} were given")]
    NotACard(usize),
}

/// The result for one file.
#[derive(Debug)]
pub struct Outcome {
    /// The file as given.
    pub file: String,
    /// Its analysis, or why there is none.
    pub result: Result<Record, FileError>,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    file: &'a str,
    error: String,
}

impl Outcome {
    /// The JSON line of DESIGN §5: the record, or `{"file", "error"}`.
    pub fn to_json_line(&self) -> String {
        let line = match &self.result {
            Ok(record) => serde_json::to_string(record),
            Err(e) => serde_json::to_string(&ErrorLine {
                file: &self.file,
                error: e.to_string(),
            }),
        };
        line.unwrap_or_else(|e| {
            format!(
                "{{\"file\":{:?},\"error\":\"cannot serialise: {e}\"}}",
                self.file
            )
        })
    }
}

thread_local! {
    static EXTRACTOR: RefCell<Extractor> = RefCell::new(Extractor::new());
}

/// Analyses `files` on `options.threads` workers and calls `emit` with each
/// outcome in the order of `files`, as soon as it and every file before it
/// are done (so output streams while the batch runs).
///
/// Each worker takes the next file not yet taken, so the files are
/// finished nearly in order and only a few outcomes wait for an earlier
/// one. Cutting the list into chunks and waiting for each chunk, as
/// before, left a core idle at the end of every chunk: 57.6–61.7 against
/// 67.4–71.8 prints a second on the 900 SD14 prints, 2 threads.
pub fn run(
    files: &[PathBuf],
    options: &BatchOptions,
    mut emit: impl FnMut(&Outcome),
) -> Result<(), BatchError> {
    let pool = pool(options.threads)?;
    let next_file = AtomicUsize::new(0);
    // A few outcomes in hand at most: when `emit` is slow (output piped to
    // a pager), the workers wait instead of heaping up analyses.
    let threads = pool.current_num_threads();
    let (done, outcomes) = mpsc::sync_channel::<(usize, Outcome)>(2 * threads);
    pool.in_place_scope(|scope| {
        for _ in 0..threads {
            let (done, next_file) = (done.clone(), &next_file);
            scope.spawn(move |_| loop {
                let index = next_file.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(index) else {
                    break;
                };
                if done.send((index, analyse_file(path, options))).is_err() {
                    break;
                }
            });
        }
        // The workers hold the only senders left: the loop below ends when
        // the last of them finishes.
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut next_out = 0;
        for (index, outcome) in outcomes {
            waiting.insert(index, outcome);
            while let Some(outcome) = waiting.remove(&next_out) {
                emit(&outcome);
                next_out += 1;
            }
        }
    });
    Ok(())
}

fn pool(threads: usize) -> Result<rayon::ThreadPool, BatchError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| BatchError::Threads { threads, source })
}

/// Reads, analyses and (if asked) draws one file on the current thread's extractor.
pub fn analyse_file(path: &Path, options: &BatchOptions) -> Outcome {
    let file = path.display().to_string();
    let weights = finger_prior::weights(options.finger);
    let result = analyse_path(path, file.clone(), options, weights);
    Outcome { file, result }
}

/// [`analyse_file`] with the class weighed by `weights` (a finger's,
/// [`finger_prior::weights`], or a card's, [`card_weights`]).
fn analyse_path(
    path: &Path,
    file: String,
    options: &BatchOptions,
    weights: Option<[f32; 5]>,
) -> Result<Record, FileError> {
    let started = Instant::now();
    let decoded = input::load(path, &options.limits)?;
    let ppi = decoded.ppi.unwrap_or(DEFAULT_PPI);
    let record = EXTRACTOR.with(|e| {
        let mut extractor = e.borrow_mut();
        extractor.set_count_convention(options.count_convention);
        record(
            &mut extractor,
            file,
            &decoded.image,
            ppi,
            weights.as_ref(),
            started,
        )
    });
    record.analysis.check_print()?;
    if let Some(dir) = &options.overlay_dir {
        write_overlay(dir, path, &decoded.image, &record)?;
    }
    Ok(record)
}

/// Analyses one person's ten prints, `files` in finger order R1 to L5
/// ([`Finger::ALL`]), as [`crate::Extractor::extract_card`] does: each read
/// with its finger, then its class weighed by what the others say of the
/// person, and read again where that changes the class (its overlay drawn
/// after). A file that cannot be read is an error line and weighs nothing.
/// `options.finger` is not read: the order names the fingers.
pub fn run_card(
    files: &[PathBuf],
    options: &BatchOptions,
    mut emit: impl FnMut(&Outcome),
) -> Result<(), BatchError> {
    if files.len() != Finger::ALL.len() {
        return Err(BatchError::NotACard(files.len()));
    }
    let pool = pool(options.threads)?;
    let first_look = BatchOptions {
        overlay_dir: None,
        ..options.clone()
    };
    let mut outcomes: Vec<Outcome> = pool.install(|| {
        files
            .par_iter()
            .zip(Finger::ALL)
            .map(|(path, finger)| {
                let file = path.display().to_string();
                let weights = finger_prior::weights(Some(finger));
                let result = analyse_path(path, file.clone(), &first_look, weights);
                Outcome { file, result }
            })
            .collect()
    });
    let card: Vec<(Finger, Option<[f32; 5]>)> = Finger::ALL
        .into_iter()
        .zip(&outcomes)
        .map(|(finger, o)| {
            let read = o.result.as_ref().ok();
            (finger, read.and_then(|r| r.analysis.details.probabilities))
        })
        .collect();
    for ((finger, weights), outcome) in Finger::ALL
        .into_iter()
        .zip(card_weights(&card))
        .zip(&mut outcomes)
    {
        let k = finger.index();
        let Outcome { file, result } = outcome;
        let Ok(record) = result else {
            continue;
        };
        // No card weights (too few prints read): its finger's stand.
        let stays = weights.is_none_or(|w| record.analysis.reweigh(&w));
        // Read again where the class changes, and where an overlay is to be
        // drawn (so that it shows the reading given).
        if !stays || options.overlay_dir.is_some() {
            let weights = weights.or_else(|| finger_prior::weights(Some(finger)));
            let first_ms = record.ms;
            let again = pool.install(|| analyse_path(&files[k], file.clone(), options, weights));
            *result = again.map(|mut record| {
                record.ms += first_ms;
                record
            });
        }
    }
    outcomes.iter().for_each(&mut emit);
    Ok(())
}

fn write_overlay(
    dir: &Path,
    source: &Path,
    image: &image::GrayImage,
    record: &Record,
) -> Result<(), FileError> {
    let stem = source
        .file_stem()
        .map_or_else(|| "print".into(), |s| s.to_string_lossy());
    let path = dir.join(format!("{stem}.overlay.png"));
    let fail = |reason: String| FileError::Overlay {
        path: path.clone(),
        reason,
    };
    let bytes = overlay::png(image, &record.analysis).map_err(|e| fail(e.to_string()))?;
    std::fs::write(&path, bytes).map_err(|e| fail(e.to_string()))
}
