//! The `vantay` command. It parses arguments and calls the library crates;
//! the logic lives there.
//!
//! Exit status: 0 on success; 1 when `verify` finds problems; 2 when a
//! command could not do its work (the message says why), or when
//! `print analyze` could not read some file.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod context;

use commands::{analysis_center, appointment, exchange, serve, staff};
use commands::{
    case, centre, customer, intake, print_analyze, print_convert, report, tables_check,
};
use context::Location;

/// Vantay: a fingerprint-biometrics centre's server and tools.
#[derive(Parser)]
#[command(name = "vantay", version, about)]
struct Cli {
    #[command(flatten)]
    location: Location,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a centre: data directory, database, keys, first admin.
    Init(centre::InitArgs),
    /// Rebuild the key file from K recovery shares.
    Recover(centre::RecoverArgs),
    /// Re-wrap every key under new versions (no data is re-encrypted).
    RotateKeys,
    /// Import a capture bundle as a new captured case.
    Intake(intake::IntakeArgs),
    /// Show, seal, review or list cases.
    #[command(subcommand)]
    Case(case::CaseCommand),
    /// Staff accounts: add one (with its signed agreement), renew its agreement,
    /// disable or enable it, list them.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Print this centre's public identity.
    Identity,
    /// Print the latest signed ledger checkpoint.
    Checkpoint,
    /// Check every stored record, blob and ledger entry.
    Verify(centre::VerifyArgs),
    /// Write a customer's copy of their data.
    Export(customer::ExportArgs),
    /// Crypto-shred a customer; prints an erasure certificate.
    Erase(customer::EraseArgs),
    /// Find a customer by phone or name; correct their personal data.
    #[command(subcommand)]
    Customer(customer::CustomerCommand),
    /// A customer's consent: withdraw it.
    #[command(subcommand)]
    Consent(customer::ConsentCommand),
    /// Pin or list analysis centres (partners).
    #[command(subcommand)]
    Partner(exchange::PartnerCommand),
    /// Serve the centre's HTTPS API (analysis centres pull packages, push results).
    Serve(serve::ServeArgs),
    /// Write the encrypted, signed work package of a sealed case.
    Dispatch(exchange::DispatchArgs),
    /// Accept a signed result for an open package, once.
    ImportResult(exchange::ImportArgs),
    /// The analysis centre's own installation (its own --data, --key-file).
    #[command(subcommand, name = "analysis-center")]
    AnalysisCenter(analysis_center::AnalysisCommand),
    /// Render an analysed case's report as PDF (kept sealed, copy written to --out).
    Report(report::ReportArgs),
    /// Book or move a reviewed case's report appointment with a counsellor (step 6).
    Schedule(appointment::ScheduleArgs),
    /// Release to their counsellor every report whose appointment is at most
    /// three days away (step 7; `serve` does it every minute).
    ReleaseDue,
    /// Open a stored report under the custody rule; a copy goes to --out.
    OpenReport(appointment::OpenReportArgs),
    /// Record that the report was handed to the customer (step 8).
    Deliver(appointment::DeliverArgs),
    /// Interpretation tables: check one before use.
    #[command(subcommand)]
    Tables(TablesCommand),
    /// Fingerprint image tools: analysis and format conversion.
    #[command(subcommand)]
    Print(PrintCommand),
}

#[derive(Subcommand)]
enum TablesCommand {
    /// Validate an interpretation table (TOML); names the field that is wrong.
    Check(tables_check::TablesCheckArgs),
}

#[derive(Subcommand)]
enum PrintCommand {
    /// Analyse fingerprint images; one JSON line per file.
    Analyze(print_analyze::AnalyzeArgs),
    /// Convert between WSQ, PNG, PGM and raw 8-bit grey.
    Convert(print_convert::ConvertArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vantay: lỗi / error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let location = cli.location;
    match cli.command {
        Command::Print(PrintCommand::Analyze(args)) => print_analyze::run(args),
        Command::Print(PrintCommand::Convert(args)) => print_convert::run(args),
        Command::Tables(TablesCommand::Check(args)) => tables_check::run(args),
        command => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run_async(&location, command))
        }
    }
}

async fn run_async(location: &Location, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init(args) => centre::init(location, args).await,
        Command::Recover(args) => centre::recover(location, args).await,
        Command::RotateKeys => centre::rotate_keys(location).await,
        Command::Intake(args) => intake::run(location, args).await,
        Command::Case(command) => case::run(location, command).await,
        Command::Identity => centre::identity(location).await,
        Command::Checkpoint => centre::checkpoint(location).await,
        Command::Verify(args) => centre::verify(location, args).await,
        Command::Export(args) => customer::export(location, args).await,
        Command::Erase(args) => customer::erase(location, args).await,
        Command::Consent(command) => customer::consent(location, command).await,
        Command::Customer(command) => customer::customer(location, command).await,
        Command::Partner(command) => exchange::partner(location, command).await,
        Command::Serve(args) => serve::serve_centre(location, args).await,
        Command::Dispatch(args) => exchange::dispatch(location, args).await,
        Command::ImportResult(args) => exchange::import_result(location, args).await,
        Command::AnalysisCenter(command) => analysis_center::run(location, command).await,
        Command::Report(args) => report::run(location, args).await,
        Command::Staff(command) => staff::run(location, command).await,
        Command::Schedule(args) => appointment::schedule(location, args).await,
        Command::ReleaseDue => appointment::release_due(location).await,
        Command::OpenReport(args) => appointment::open_report(location, args).await,
        Command::Deliver(args) => appointment::deliver(location, args).await,
        Command::Print(_) | Command::Tables(_) => {
            unreachable!("these commands run without the runtime")
        }
    }
}
