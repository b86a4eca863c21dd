//! `vantay report CASE_ID --out FILE.pdf`: render an analysed case's report,
//! keep it in custody, and hand the operator their copy.
//!
//! The mapping from the stored case to the report's input is kept here for
//! now; the centre's web app will need the same, and then it moves into a
//! library next to the server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use chrono::{FixedOffset, NaiveDate, Utc};
use vantay_domain::{CaseId, Staff};
use vantay_exchange::{FingerOutcome, ResultPayload};
use vantay_print::input::{self, Limits};
use vantay_report::{FingerResult, InterpretationTable, Renderer, ReportInput, Sex};
use vantay_store::{Actor, Centre, ReportMaterial, StoredReport};

use crate::commands::customer::write_private;
use crate::context::Location;

/// Width of the print images in the report: sharp at the printed size,
/// a fraction of the full 832×768 scan.
const THUMBNAIL_WIDTH: u32 = 360;

/// Arguments of `vantay report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The analysed case.
    pub case: CaseId,
    /// Where to write the PDF.
    #[arg(long)]
    pub out: PathBuf,
    /// The staff account rendering it (named in the watermark and the ledger).
    #[arg(long = "as", default_value = "admin")]
    pub as_user: String,
    /// The centre's interpretation table (TOML); default: the shipped example.
    #[arg(long)]
    pub table: Option<PathBuf>,
}

/// Renders, stores (sealed) and writes the report.
pub async fn run(location: &Location, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let table = match &args.table {
        Some(path) => vantay_report::parse_table(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("the table {} is not valid", path.display()))?,
        None => InterpretationTable::example(),
    };
    let centre = location.centre().await?;
    let staff = centre.store().staff_by_username(&args.as_user).await?;
    let stored = render_and_store(&centre, &staff, args.case, &table).await?;
    // The operator's copy goes through the custody rule like any opening.
    let copy = centre.open_report(&staff, args.case, Utc::now()).await?;
    write_private(&args.out, &copy)?;
    eprintln!(
        "Đã tạo báo cáo / Report v{} written to {} (table {} {})",
        stored.version,
        args.out.display(),
        stored.table_version,
        &stored.table_sha256[..12]
    );
    Ok(ExitCode::SUCCESS)
}

/// Why a stored report is rendered again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Again {
    /// A counsellor was booked, or another one: the report names them.
    NameTheCounsellor,
    /// The customer's name, date of birth or sex was corrected.
    PrintTheCorrection,
}

impl Again {
    /// (Vietnamese, English) of "… to do what".
    fn purpose(self) -> (&'static str, &'static str) {
        match self {
            Again::NameTheCounsellor => ("để ghi tên tư vấn viên", "to name the counsellor"),
            Again::PrintTheCorrection => ("để in dữ liệu đã sửa", "to print the corrected data"),
        }
    }

    /// (Vietnamese, English) of "the new version …".
    fn done(self) -> (&'static str, &'static str) {
        match self {
            Again::NameTheCounsellor => ("ghi tên tư vấn viên", "now names the counsellor"),
            Again::PrintTheCorrection => ("in dữ liệu đã sửa", "now prints the corrected data"),
        }
    }
}

/// Renders the case's report again (see [`Again`]) with the table of the
/// stored report. Only the shipped table can be found again here; a report
/// made with a table file is left as it is, and the admin is told how to
/// render it again.
pub async fn render_again(
    centre: &Centre,
    admin: &Staff,
    case: CaseId,
    why: Again,
) -> anyhow::Result<()> {
    let reports = centre.store().reports(case).await?;
    let Some(latest) = reports.iter().max_by_key(|r| r.version) else {
        return Ok(());
    };
    let table = InterpretationTable::example();
    if latest.table_sha256 != table.sha256_hex() {
        let (vi, en) = why.purpose();
        eprintln!(
            "Lưu ý / Note: báo cáo v{v} của ca {case} dùng bảng {t} — hãy tạo lại {vi} / \
             report v{v} of case {case} uses table {t}: render it again {en}: \
             vantay report {case} --table FILE --as {} --out FILE.pdf",
            admin.username,
            v = latest.version,
            t = latest.table_version,
        );
        return Ok(());
    }
    let stored = render_and_store(centre, admin, case, &table).await?;
    let (vi, en) = why.done();
    eprintln!(
        "Báo cáo v{v} của ca {case} {vi} / Report v{v} of case {case} {en}",
        v = stored.version
    );
    Ok(())
}

/// Renders the report of an analysed case from its stored material and
/// accepted result, naming the counsellor of its appointment when one is
/// booked (the PDF's counsellor line and watermark), and stores it sealed as
/// the case's newest version.
pub async fn render_and_store(
    centre: &Centre,
    staff: &Staff,
    case: CaseId,
    table: &InterpretationTable,
) -> anyhow::Result<StoredReport> {
    let actor = Actor::staff(staff.id);
    let material = centre.report_material(&actor, case).await?;
    let result = centre
        .analysis_result(&actor, case)
        .await?
        .context("the case has no accepted analysis result")?;
    let counsellor = centre
        .store()
        .appointment(case)
        .await?
        .map(|a| a.counsellor_username);
    let fingers = finger_results(&material, &result)?;
    let input = ReportInput {
        customer_name: material
            .fields
            .get("full_name")
            .cloned()
            .unwrap_or_default(),
        date_of_birth: material
            .fields
            .get("date_of_birth")
            .and_then(|d| d.parse::<NaiveDate>().ok()),
        sex: material.fields.get("sex").and_then(|s| match s.as_str() {
            "F" => Some(Sex::Female),
            "M" => Some(Sex::Male),
            _ => None,
        }),
        case_pseudonym: material.pseudonym.clone(),
        report_date: vietnam_today(),
        counsellor,
        rendered_by: staff.username.clone(),
        fingers,
        table,
    };
    let pdf = Renderer::new().render(&input)?;
    Ok(centre
        .save_report(&actor, case, &pdf, table.version(), &table.sha256_hex())
        .await?)
}

/// The report's view of each finger: the analysis centre's reading and a
/// thumbnail of the print.
fn finger_results(
    material: &ReportMaterial,
    result: &ResultPayload,
) -> anyhow::Result<Vec<FingerResult>> {
    let mut fingers = Vec::with_capacity(10);
    for finger in &result.fingers {
        let FingerOutcome::Analysed(reading) = &finger.outcome else {
            bail!(
                "finger {} was not analysed (a rescan was asked for); the report needs all ten",
                finger.finger
            );
        };
        let image = material
            .images
            .iter()
            .find(|(f, _, _)| *f == finger.finger)
            .map(|(_, _, bytes)| bytes);
        fingers.push(FingerResult {
            finger: finger.finger,
            class: reading.class,
            subtype: Some(reading.subtype.clone()),
            ridge_counts: reading.ridge_counts.clone(),
            image_png: image.map(|bytes| thumbnail(bytes)).transpose()?,
        });
    }
    Ok(fingers)
}

fn thumbnail(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let decoded = input::decode(bytes, &Limits::default())?;
    let (width, height) = decoded.image.dimensions();
    let new_height = (height as u64 * THUMBNAIL_WIDTH as u64 / width.max(1) as u64) as u32;
    let small = image::imageops::resize(
        &decoded.image,
        THUMBNAIL_WIDTH,
        new_height.max(1),
        image::imageops::FilterType::Triangle,
    );
    Ok(input::encode_png(&small)?)
}

/// Today's date in Vietnam (UTC+7), the date printed on the report.
fn vietnam_today() -> NaiveDate {
    let offset = FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset");
    Utc::now().with_timezone(&offset).date_naive()
}
