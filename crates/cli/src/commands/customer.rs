//! `vantay export`, `vantay erase`, `vantay consent withdraw` and `vantay
//! customer find|correct`: the customer's rights of access, erasure,
//! withdrawal of consent and correction, and finding a customer who calls.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use vantay_domain::CustomerId;
use vantay_store::{Actor, CustomerCorrection, Lookup};

use crate::commands::report::{self, Again};
use crate::context::Location;

/// `vantay customer …`.
#[derive(clap::Subcommand)]
pub enum CustomerCommand {
    /// Find customers by phone or full name (through keyed look-up tokens:
    /// nothing is decrypted); one JSON line each, with their cases.
    Find(FindArgs),
    /// Correct a customer's personal data on request: each changed field
    /// gets a new version, checked by the rules of a capture; a report not
    /// yet handed over is rendered again.
    Correct(CorrectArgs),
    /// Who found, read, corrected or erased the customer's data, and when
    /// (the ledger's events on them); one JSON line each, oldest first.
    History {
        /// The customer.
        customer: CustomerId,
    },
}

/// Arguments of `vantay customer find`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("by").required(true).args(["phone", "name"])))]
pub struct FindArgs {
    /// Phone number, as written anywhere (0912 345 678, +84912345678).
    #[arg(long)]
    pub phone: Option<String>,
    /// Full name; case, diacritics and spacing do not matter.
    #[arg(long)]
    pub name: Option<String>,
    /// The admin looking up (an admin account with a valid agreement).
    #[arg(long = "as", default_value = "admin")]
    pub as_user: String,
}

/// Arguments of `vantay customer correct`.
#[derive(clap::Args)]
pub struct CorrectArgs {
    /// The customer.
    pub customer: CustomerId,
    /// Full name with diacritics.
    #[arg(long)]
    pub full_name: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long)]
    pub date_of_birth: Option<String>,
    /// M or F.
    #[arg(long)]
    pub sex: Option<String>,
    /// Contact number.
    #[arg(long)]
    pub phone: Option<String>,
    /// Parent or guardian (required under 16).
    #[arg(long)]
    pub guardian_name: Option<String>,
    /// Remove the guardian's name, every version of it (only once the
    /// customer is 16 or over: the centre keeps only what it needs).
    #[arg(long, conflicts_with = "guardian_name")]
    pub remove_guardian_name: bool,
    /// The admin correcting (an admin account with a valid agreement).
    #[arg(long = "as", default_value = "admin")]
    pub as_user: String,
}

/// Runs `vantay customer …`.
pub async fn customer(location: &Location, command: CustomerCommand) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    match command {
        CustomerCommand::History { customer } => {
            for event in centre.store().customer_history(customer).await? {
                println!("{}", serde_json::to_string(&event)?);
            }
        }
        CustomerCommand::Find(args) => {
            let admin = centre.store().staff_by_username(&args.as_user).await?;
            let lookup = match (&args.phone, &args.name) {
                (Some(phone), _) => Lookup::Phone(phone),
                (None, Some(name)) => Lookup::Name(name),
                (None, None) => unreachable!("clap requires --phone or --name"),
            };
            let found = centre.find_customers(&admin, lookup, Utc::now()).await?;
            for customer in &found {
                println!("{}", serde_json::to_string(customer)?);
            }
            if found.is_empty() {
                eprintln!("Không tìm thấy khách hàng nào / No customer found");
            }
        }
        CustomerCommand::Correct(args) => {
            let admin = centre.store().staff_by_username(&args.as_user).await?;
            let changes = CustomerCorrection {
                full_name: args.full_name,
                date_of_birth: args.date_of_birth,
                sex: args.sex,
                phone: args.phone,
                guardian_name: args.guardian_name,
                remove_guardian_name: args.remove_guardian_name,
            };
            let receipt = centre
                .correct_customer(&admin, args.customer, &changes, Utc::now())
                .await?;
            println!("{}", serde_json::to_string(&receipt)?);
            if receipt.corrected.is_empty() {
                eprintln!("Không có gì thay đổi / Nothing changed: the data already reads so");
            }
            for case in &receipt.sent_with_old_data {
                eprintln!(
                    "Lưu ý / Note: gói của ca {case} đã gửi trung tâm phân tích với giới tính hoặc nhóm tuổi cũ — hãy báo cho họ / \
                     case {case}'s package went to the analysis centre with the old sex or age band: tell them."
                );
            }
            for case in &receipt.reports_to_render {
                report::render_again(&centre, &admin, *case, Again::PrintTheCorrection).await?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vantay export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The customer.
    pub customer: CustomerId,
    /// Where to write the copy (JSON with the images in base64).
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the customer's copy of their data.
pub async fn export(location: &Location, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let export = centre.export(&Actor::cli(), args.customer).await?;
    let json = serde_json::to_vec_pretty(&export)?;
    write_private(&args.out, &json)?;
    eprintln!("Đã xuất / Exported to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vantay erase`.
#[derive(clap::Args)]
pub struct EraseArgs {
    /// The customer.
    pub customer: CustomerId,
}

/// Crypto-shreds the customer and prints the signed erasure certificate.
pub async fn erase(location: &Location, args: EraseArgs) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let certificate = centre.erase(&Actor::cli(), args.customer).await?;
    println!("{}", serde_json::to_string_pretty(&certificate)?);
    Ok(ExitCode::SUCCESS)
}

/// `vantay consent …`.
#[derive(clap::Subcommand)]
pub enum ConsentCommand {
    /// Record that the customer withdrew consent to the analysis: no case
    /// of theirs is sent from now on, and packages waiting to be pulled are held back.
    Withdraw {
        /// The customer.
        customer: CustomerId,
    },
}

/// Runs `vantay consent …`.
pub async fn consent(location: &Location, command: ConsentCommand) -> anyhow::Result<ExitCode> {
    let ConsentCommand::Withdraw { customer } = command;
    let centre = location.centre().await?;
    let withdrawal = centre.withdraw_consent(&Actor::cli(), customer).await?;
    println!("{}", serde_json::to_string(&withdrawal)?);
    if !withdrawal.packages_already_sent.is_empty() {
        eprintln!(
            "Trung tâm phân tích đã nhận {} gói; hãy yêu cầu họ xoá / The analysis centre already holds {} package(s): ask it to delete them.",
            withdrawal.packages_already_sent.len(),
            withdrawal.packages_already_sent.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a file holding personal data: new file, owner-only, temp then rename.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
