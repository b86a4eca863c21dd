//! Dermatoglyphic figures, interpretation tables and the PDF report.
//!
//! The crate takes plain inputs and returns PDF bytes; it knows nothing of
//! the database or the vault. Three layers:
//!
//! 1. [`compute_figures`]: the measurable figures of a ten-print (pattern
//!    per finger, TFRC, AFRC, pattern intensity, Dankmeijer and Furuhata
//!    indices, pattern distribution per hand), pure functions.
//! 2. [`parse_table`]: the centre's versioned interpretation table (TOML),
//!    checked, with the SHA-256 of its text so a report can be reproduced;
//!    [`interpret`] applies it to the figures.
//! 3. [`Renderer`]: an A4 PDF in Vietnamese, typeset with Typst and fonts
//!    embedded in the binary.
//!
//! ```
//! use vantay_report::{compute_figures, Finger, FingerResult, PatternClass};
//!
//! let results: Vec<FingerResult> = Finger::ALL
//!     .into_iter()
//!     .map(|finger| FingerResult {
//!         finger,
//!         class: PatternClass::W,
//!         subtype: None,
//!         ridge_counts: vec![12, 9],
//!         image_png: None,
//!     })
//!     .collect();
//! let figures = compute_figures(&results)?;
//! assert_eq!(figures.tfrc, 120); // the larger count of each whorl
//! assert_eq!(figures.afrc, 210); // both counts
//! assert_eq!(figures.furuhata, None); // no loops: undefined
//! # Ok::<(), vantay_report::FiguresError>(())
//! ```
#![deny(missing_docs)]

mod figures;
mod finger;
mod interpret;
mod render;
mod table;

pub use figures::{
    compute_figures, Figures, FiguresError, FingerFigures, FingerResult, PatternCounts,
};
pub use finger::{
    Finger, Hand, ParseClassError, ParseFingerError, ParseKindError, PatternClass, PatternKind,
};
pub use interpret::{interpret, FingerShare, GroupShare, Interpretation};
pub use render::{RenderError, Renderer, ReportInput, Sex, BUILT_IN_STATEMENT};
pub use table::{
    parse_table, FingerEntry, GroupEntry, InterpretationTable, PatternEntry, TableError,
    EXAMPLE_TABLE,
};
