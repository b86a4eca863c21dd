//! `vantay export`, `vantay erase` and `vantay consent withdraw`: the
//! customer's rights of access, erasure and withdrawal of consent.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vantay_domain::CustomerId;
use vantay_store::Actor;

use crate::context::Location;

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
