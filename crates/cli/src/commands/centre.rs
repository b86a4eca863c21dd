//! `vantay init`, `recover`, `rotate-keys`, `identity`, `checkpoint`, `verify`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vantay_store::{Actor, Centre};
use vantay_vault::MasterKey;

use crate::context::Location;

/// Arguments of `vantay init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Also split the master key into N recovery shares, any K of which
    /// rebuild it, e.g. `--shares 3/5`.
    #[arg(long, value_name = "K/N")]
    pub shares: Option<String>,
    /// The centre's name in checkpoints and identities.
    #[arg(long, default_value = "vantay-centre")]
    pub name: String,
    /// The first admin's login name.
    #[arg(long, default_value = "admin")]
    pub admin: String,
}

/// Creates the centre.
pub async fn init(location: &Location, args: InitArgs) -> anyhow::Result<ExitCode> {
    let shares = args
        .shares
        .as_deref()
        .map(vantay_vault::parse_share_spec)
        .transpose()?;
    location.check_key_outside_data()?;
    let key_file = location.key_file()?;
    let data_dir = location.data_dir()?;
    let master = MasterKey::generate();
    master.write_new_file(&key_file)?;
    let created = Centre::init(
        &data_dir,
        location.database.as_deref(),
        &master,
        &args.name,
        &args.admin,
    )
    .await;
    let (_, report) = match created {
        Ok(done) => done,
        Err(err) => {
            // The key opens nothing: do not leave it behind to confuse a retry.
            let _ = std::fs::remove_file(&key_file);
            return Err(err.into());
        }
    };
    println!("Đã tạo trung tâm / Centre created: {}", location.describe());
    println!(
        "Khoá chính / Master key file: {} (mode 0600; keep a backup offline)",
        key_file.display()
    );
    println!("Danh tính / Identity: {}", report.identity);
    println!(
        "Quản trị viên / Admin: {}  mật khẩu dùng một lần / one-time password: {}",
        report.admin_username, report.admin_password
    );
    if let Some((k, n)) = shares {
        println!("Mảnh khôi phục / Recovery shares ({k} of {n} rebuild the key; give one to each custodian):");
        for share in vantay_vault::split(&master, k, n)? {
            println!("{}", share.to_text().as_str());
        }
    }
    println!("{}", report.checkpoint.trim_end());
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vantay recover`.
#[derive(clap::Args)]
pub struct RecoverArgs {
    /// A file with one share per line (default: read them from standard input).
    #[arg(long)]
    pub shares_file: Option<PathBuf>,
}

/// Rebuilds the key file from K recovery shares.
pub async fn recover(location: &Location, args: RecoverArgs) -> anyhow::Result<ExitCode> {
    let lines: Vec<String> = match &args.shares_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .lines()
            .map(str::to_owned)
            .collect(),
        None => std::io::stdin().lock().lines().collect::<Result<_, _>>()?,
    };
    let shares = vantay_vault::parse_shares(lines.iter().map(String::as_str))?;
    let master = vantay_vault::combine(&shares)?;
    location.check_key_outside_data()?;
    // Check the rebuilt key opens this centre before writing it anywhere.
    let store = location.store().await?;
    Centre::unlock(store, &master)
        .await
        .context("the shares rebuilt a key that does not open this centre")?;
    let key_file = location.key_file()?;
    master.write_new_file(&key_file)?;
    println!(
        "Đã khôi phục khoá / Key file rebuilt: {}",
        key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Re-wraps every key under new versions.
pub async fn rotate_keys(location: &Location) -> anyhow::Result<ExitCode> {
    let mut centre = location.centre().await?;
    for key in centre.rotate_keys(&Actor::cli()).await? {
        println!("{key}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the centre's public identity line and its fingerprint.
pub async fn identity(location: &Location) -> anyhow::Result<ExitCode> {
    let store = location.store().await?;
    let line = store
        .meta("identity")
        .await?
        .context("the centre has no identity; was it initialised?")?;
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}

/// Prints the latest signed checkpoint.
pub async fn checkpoint(location: &Location) -> anyhow::Result<ExitCode> {
    let store = location.store().await?;
    print!("{}", store.latest_checkpoint().await?);
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vantay verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// A checkpoint kept outside the server; the ledger must extend it.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
}

impl VerifyArgs {
    /// The text of `--checkpoint`, when given.
    pub fn external_checkpoint(&self) -> anyhow::Result<Option<String>> {
        self.checkpoint
            .as_ref()
            .map(|path| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))
            })
            .transpose()
    }
}

/// Checks the whole store: exit 0 when intact, 1 with one line per problem.
pub async fn verify(location: &Location, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let external = args.external_checkpoint()?;
    let store = location.store().await?;
    let report = store.verify(external.as_deref()).await?;
    if report.is_intact() {
        eprintln!(
            "intact: {} ledger entries, {} checkpoints, {} rows, {} blobs",
            report.entries, report.checkpoints, report.rows, report.blobs
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for problem in &report.problems {
            println!("{problem}");
        }
        Ok(ExitCode::from(1))
    }
}
