//! `vantay partner add|list`, `vantay dispatch`, `vantay import-result`:
//! the centre's side of the exchange with its analysis centre.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use vantay_domain::CaseId;
use vantay_store::Actor;
use vantay_vault::PublicIdentity;

use crate::context::Location;

/// `vantay partner …` (and `vantay analysis-center partner …`).
#[derive(clap::Subcommand)]
pub enum PartnerCommand {
    /// Pin a partner's identity line, as printed by its `identity` command.
    Add {
        /// The name to call it by (`--to NAME`).
        name: String,
        /// Its identity line (quoted, or as the four words it has).
        #[arg(num_args = 1.., required = true)]
        identity: Vec<String>,
    },
    /// List the pinned partners and their fingerprints.
    List,
}

impl PartnerCommand {
    /// The identity line of `add`, parsed.
    pub fn parse_identity(words: &[String]) -> anyhow::Result<PublicIdentity> {
        Ok(PublicIdentity::parse(&words.join(" "))?)
    }
}

/// Arguments of `vantay dispatch`.
#[derive(clap::Args)]
pub struct DispatchArgs {
    /// The sealed case to send.
    pub case: CaseId,
    /// The pinned analysis centre to send it to.
    #[arg(long = "to", value_name = "PARTNER")]
    pub to: String,
    /// Where to write the encrypted package. Without it the package waits
    /// on this server for the analysis centre to pull over HTTPS
    /// (`vantay serve`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `vantay import-result`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The result file from the analysis centre.
    pub file: PathBuf,
}

/// Runs `vantay partner …` at the centre.
pub async fn partner(location: &Location, command: PartnerCommand) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    match command {
        PartnerCommand::Add { name, identity } => {
            let identity = PartnerCommand::parse_identity(&identity)?;
            let partner = centre.add_partner(&Actor::cli(), &name, &identity).await?;
            print_pinned(&partner.name, &partner.fingerprint);
        }
        PartnerCommand::List => {
            for partner in centre.store().partners().await? {
                println!("{}", serde_json::to_string(&partner)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Tells the operator to compare the fingerprint out of band.
pub fn print_pinned(name: &str, fingerprint: &str) {
    println!("Đã ghim / Pinned {name}: {fingerprint}");
    eprintln!(
        "Đọc dấu vân khoá này qua điện thoại và so với bên kia / Read this fingerprint out by phone and compare it with theirs before sending anything."
    );
}

/// Runs `vantay dispatch`.
pub async fn dispatch(location: &Location, args: DispatchArgs) -> anyhow::Result<ExitCode> {
    let centre = location.centre().await?;
    let now = chrono::Utc::now();
    let package = match &args.out {
        Some(out) => {
            // Refuse an existing file before the case changes state.
            if out.exists() {
                anyhow::bail!("{} exists already; choose another --out", out.display());
            }
            let package = centre
                .dispatch(&Actor::cli(), args.case, &args.to, now)
                .await?;
            write_new(out, &package.bytes)?;
            package
        }
        None => {
            centre
                .dispatch_for_pull(&Actor::cli(), args.case, &args.to, now)
                .await?
        }
    };
    println!(
        "{}",
        serde_json::json!({
            "package": package.id,
            "case": args.case,
            "pseudonym": package.pseudonym,
            "to": args.to,
            "fingers": package.fingers.iter().map(|f| f.code()).collect::<Vec<_>>(),
            "expires": package.expires,
            "bytes": package.bytes.len(),
            "file": args.out,
            "waits_for_pull": args.out.is_none(),
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `vantay import-result`.
pub async fn import_result(location: &Location, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let centre = location.centre().await?;
    let receipt = centre
        .import_result(&Actor::cli(), &bytes, chrono::Utc::now())
        .await?;
    println!("{}", serde_json::to_string(&receipt)?);
    Ok(ExitCode::SUCCESS)
}

/// Writes a new file (never over an existing one), complete or not at all.
pub fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} exists already; choose another --out", path.display());
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
