//! The PDF report: [`Renderer`] typesets a [`ReportInput`] with Typst.
//!
//! The template (`report.typ`) is embedded in the binary, and so are the
//! fonts (Libertinus Serif from `typst-assets`, which covers Vietnamese), so
//! a fresh machine renders the same bytes. The report's data reaches the
//! template as a JSON file that it reads with `json()`; values are inserted
//! as text, never evaluated as markup, so a customer's name cannot inject
//! markup.

mod data;
mod world;

use chrono::NaiveDate;
use typst_layout::PagedDocument;

use crate::figures::{compute_figures, FiguresError, FingerResult};
use crate::finger::Finger;
use crate::interpret::interpret;
use crate::table::InterpretationTable;
use world::{Assets, ReportWorld};

/// The statement printed when a table's own wording is somehow empty: the
/// interpretation is the centre's and not a validated test. (A table without
/// a statement is refused by [`crate::parse_table`]; this is the fallback.)
pub const BUILT_IN_STATEMENT: &str = "Phần diễn giải trong báo cáo này là nội dung của trung \
tâm, không phải là một bài trắc nghiệm tâm lý đã được kiểm chứng khoa học. Kiểu vân tay và số \
đường vân là số đo thật; mối liên hệ giữa chúng với năng khiếu, trí thông minh hay tính cách \
chưa được khoa học chứng minh.";

/// The customer's sex, as recorded at intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Female (`F`).
    Female,
    /// Male (`M`).
    Male,
}

/// Everything one report shows. The crate never looks anything up: the
/// caller passes the decrypted values and the table in force.
pub struct ReportInput<'a> {
    /// The customer's full name, with diacritics.
    pub customer_name: String,
    /// Date of birth, if recorded.
    pub date_of_birth: Option<NaiveDate>,
    /// Sex, if recorded.
    pub sex: Option<Sex>,
    /// The case's pseudonym, printed in the watermark and footer.
    pub case_pseudonym: String,
    /// The date the report is issued.
    pub report_date: NaiveDate,
    /// The counsellor named by the appointment, if any.
    pub counsellor: Option<String>,
    /// Who rendered the report (the watermark names them when there is no
    /// counsellor, and the footer always does).
    pub rendered_by: String,
    /// One result per finger; all ten are needed.
    pub fingers: Vec<FingerResult>,
    /// The interpretation table in force.
    pub table: &'a InterpretationTable,
}

impl std::fmt::Debug for ReportInput<'_> {
    // Names and prints are personal data: Debug shows the pseudonym only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportInput")
            .field("case_pseudonym", &self.case_pseudonym)
            .field("report_date", &self.report_date)
            .field("table", &self.table.version())
            .finish_non_exhaustive()
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The finger results do not give a full set of figures.
    #[error("the analysis results are incomplete: {0}")]
    Figures(#[from] FiguresError),
    /// A print image is not a PNG file.
    #[error("the print image of finger {0} is not a PNG file")]
    NotPng(Finger),
    /// Typst could not typeset the report (a broken image, or a bug in the
    /// template); the message is Typst's.
    #[error("the report could not be typeset: {0}")]
    Typeset(String),
    /// The typeset report could not be written as PDF.
    #[error("the report could not be written as PDF: {0}")]
    Pdf(String),
}

/// Renders reports. Build one with [`Renderer::new`] and keep it: it holds
/// the parsed fonts and template, so the second and later reports skip that
/// work (and Typst's caches make them faster still).
pub struct Renderer {
    assets: Assets,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// Loads the embedded fonts and template.
    pub fn new() -> Renderer {
        Renderer {
            assets: Assets::load(),
        }
    }

    /// Renders one report as PDF bytes.
    pub fn render(&self, input: &ReportInput<'_>) -> Result<Vec<u8>, RenderError> {
        let figures = compute_figures(&input.fingers)?;
        let interpretation = interpret(&figures, input.table);
        let mut world = ReportWorld::new(&self.assets);
        for result in &input.fingers {
            if let Some(png) = &result.image_png {
                if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
                    return Err(RenderError::NotPng(result.finger));
                }
                world.add_file(&world::image_path(result.finger), png.clone());
            }
        }
        let json = data::template_json(input, &figures, &interpretation);
        world.add_file(world::DATA_PATH, json);
        let pdf = typeset(&world);
        // Keep Typst's memoisation cache from growing without bound in a
        // long-running server; entries unused for a few renders are dropped.
        typst::comemo::evict(4);
        pdf
    }
}

fn typeset(world: &ReportWorld<'_>) -> Result<Vec<u8>, RenderError> {
    let document: PagedDocument = typst::compile(world)
        .output
        .map_err(|diagnostics| RenderError::Typeset(join_messages(&diagnostics)))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|diagnostics| RenderError::Pdf(join_messages(&diagnostics)))
}

fn join_messages(diagnostics: &[typst::diag::SourceDiagnostic]) -> String {
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    messages.join("; ")
}
