//! Steps 6–8 at the command line: `vantay schedule`, `vantay release-due`,
//! `vantay open-report` and `vantay deliver`. The rules and the records are
//! in `vantay-store` (`Centre::schedule`, `release_due`, `open_report`,
//! `deliver`); this file reads flags and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, FixedOffset, Utc};
use vantay_domain::CaseId;

use crate::commands::customer::write_private;
use crate::commands::report;
use crate::context::Location;

/// Arguments of `vantay schedule`.
#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// The reviewed (or already scheduled) case.
    pub case: CaseId,
    /// When the customer comes, RFC 3339 with its offset, e.g. 2026-12-20T09:00:00+07:00.
    #[arg(long, value_parser = parse_time)]
    pub at: DateTime<FixedOffset>,
    /// The counsellor's username (a counsellor account with a valid agreement).
    #[arg(long)]
    pub counsellor: String,
    /// The admin booking it.
    #[arg(long = "as", default_value = "admin")]
    pub as_user: String,
}

/// Arguments of `vantay open-report`.
#[derive(clap::Args)]
pub struct OpenReportArgs {
    /// The case.
    pub case: CaseId,
    /// Who opens it: the appointment's counsellor in their window, or an admin.
    #[arg(long = "as")]
    pub as_user: String,
    /// Where to write the PDF.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `vantay deliver`.
#[derive(clap::Args)]
pub struct DeliverArgs {
    /// The case whose report was handed over.
    pub case: CaseId,
    /// Who records it: the appointment's counsellor, or an admin.
    #[arg(long = "as")]
    pub as_user: String,
}

fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
        format!(
            "'{text}' is not an RFC 3339 time with an offset, such as 2026-12-20T09:00:00+07:00"
        )
    })
}

/// Books or moves an appointment (step 6). When the counsellor changes (or
/// is named for the first time), the report is rendered again so that it
/// names them: the report of step 5 was made before anyone was booked.
pub async fn schedule(location: &Location, args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let admin = centre.store().staff_by_username(&args.as_user).await?;
    let named_before = centre
        .store()
        .appointment(args.case)
        .await?
        .map(|a| a.counsellor_username);
    let receipt = centre
        .schedule(
            &admin,
            args.case,
            args.at.with_timezone(&Utc),
            &args.counsellor,
            Utc::now(),
        )
        .await?;
    println!("{}", serde_json::to_string(&receipt)?);
    eprintln!(
        "Đã hẹn lịch / Appointment booked: {} với / with {}; báo cáo giao tư vấn viên từ / report released from {}",
        args.at.to_rfc3339(),
        receipt.appointment.counsellor_username,
        receipt
            .appointment
            .release_at
            .with_timezone(args.at.offset())
            .to_rfc3339()
    );
    if named_before.as_deref() != Some(receipt.appointment.counsellor_username.as_str()) {
        report::render_again(&centre, &admin, args.case, report::Again::NameTheCounsellor).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Releases every report whose time has come (step 7); `vantay serve` does
/// the same every minute.
pub async fn release_due(location: &Location) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let released = centre.release_due(Utc::now()).await?;
    println!("{}", serde_json::json!({ "released": released }));
    Ok(ExitCode::SUCCESS)
}

/// Opens a stored report under the custody rule and writes a copy.
pub async fn open_report(location: &Location, args: OpenReportArgs) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let staff = centre.store().staff_by_username(&args.as_user).await?;
    let pdf = centre
        .open_report(&staff, args.case, Utc::now())
        .await
        .with_context(|| format!("{} cannot open the report of {}", args.as_user, args.case))?;
    write_private(&args.out, &pdf)?;
    eprintln!(
        "Đã mở báo cáo / Report opened, written to {}",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Records the hand-over (step 8).
pub async fn deliver(location: &Location, args: DeliverArgs) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let staff = centre.store().staff_by_username(&args.as_user).await?;
    let receipt = centre.deliver(&staff, args.case, Utc::now()).await?;
    println!("{}", serde_json::to_string(&receipt)?);
    eprintln!(
        "Đã trao báo cáo / Report handed over; quyền xem của tư vấn viên hết sau 1 ngày / the counsellor's access ends one day later"
    );
    Ok(ExitCode::SUCCESS)
}
