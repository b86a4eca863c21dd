//! `vantay analysis-center …`: the analysis centre's own installation, with
//! its own `--data`, `--key-file` and `--database`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use uuid::Uuid;
use vantay_analysis::AnalysisCentre;
use vantay_domain::Finger;
use vantay_exchange::{FingerOutcome, PatternClass};
use vantay_print::classify::Subtype;
use vantay_server::client::CentreConnection;
use vantay_vault::MasterKey;

use crate::commands::centre::VerifyArgs;
use crate::commands::exchange::{print_pinned, write_new, PartnerCommand};
use crate::commands::serve::{serve_until_interrupted, RemoteArgs, ServeArgs};
use crate::context::Location;

/// `vantay analysis-center …`.
#[derive(clap::Subcommand)]
pub enum AnalysisCommand {
    /// Create the installation: data directory, database, keys.
    Init {
        /// Its name in its identity line.
        #[arg(long, default_value = "vantay-analysis")]
        name: String,
    },
    /// Print its public identity line.
    Identity,
    /// Pin or list the centres it works for.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Check, store and lay out a work package: the prints and a manifest.
    Open {
        /// The package file.
        package: PathBuf,
        /// A new directory for the prints (WSQ) and manifest.json.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Run queued analysis jobs until none is left (several may run at once).
    Work {
        /// This worker's name in the queue.
        #[arg(long, default_value = "cli")]
        worker: String,
    },
    /// List the packages received.
    Packages,
    /// One JSON line per finger of a package: the current reading (the
    /// engine's, or the review that replaced it), and whether an analyst
    /// must still count its ridges (`needs_count`) or confirm a class the
    /// engine is unsure of (`unsure`); where the customer's other fingers
    /// changed the engine's class, what the print alone gave (`read_alone`).
    Show {
        /// The package id.
        package: Uuid,
    },
    /// Confirm, correct or reject one finger's reading.
    Review(ReviewArgs),
    /// Sign and encrypt the result of a package for the centre that sent it.
    Answer {
        /// The package id, or its file.
        package: String,
        /// Where to write the result. It is also kept (encrypted to the
        /// centre) until `push` delivers it or `result` writes it again.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Accept the engine's readings for every finger nobody reviewed,
        /// except those it could not count or is unsure of: an analyst
        /// reviews those first (`show` names them).
        #[arg(long)]
        auto: bool,
        /// Who signs off.
        #[arg(long, default_value = "analyst")]
        analyst: String,
    },
    /// Write the kept result of an answered package to a file.
    Result {
        /// The package id.
        package: Uuid,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Analysts' accounts for the web pages.
    #[command(subcommand)]
    Analyst(AnalystCommand),
    /// Show this installation's settings as JSON, or change one.
    Settings {
        /// The engine's confidence, in whole percent (50–100), under which
        /// an analyst must confirm or correct its reading before a result is
        /// signed (default 90; 100 sends every reading to an analyst).
        #[arg(long, value_name = "PERCENT")]
        review_below: Option<u8>,
    },
    /// Serve the analysts' web pages over HTTPS.
    Serve(ServeArgs),
    /// Print the latest signed checkpoint of this installation's ledger
    /// (keep it elsewhere; later `verify --checkpoint FILE`).
    Checkpoint,
    /// Check every ledger entry and checkpoint, and every stored package,
    /// print, reading, review, partner and analyst against the ledger: exit
    /// 0 when intact, 1 with one line per problem. Needs no key file.
    Verify(VerifyArgs),
    /// Fetch the packages a centre has waiting for us over HTTPS, and receive them.
    Pull(RemoteArgs),
    /// Deliver the answered results a centre does not hold yet over HTTPS.
    Push(RemoteArgs),
}

/// `vantay analysis-center analyst …`.
#[derive(clap::Subcommand)]
pub enum AnalystCommand {
    /// Create an account; prints a one-time password to change at first login.
    Add {
        /// The login name (lower-case letters, digits, '.', '-', '_').
        username: String,
        /// The name shown on pages and in results.
        #[arg(long = "name")]
        display_name: String,
        /// The day they signed the confidentiality agreement (YYYY-MM-DD);
        /// nobody gets an account without one.
        #[arg(long, value_name = "DATE")]
        agreement_signed: chrono::NaiveDate,
    },
    /// List the accounts.
    List,
    /// Give an analyst a new one-time password and end their sessions.
    ResetPassword {
        /// The login name.
        username: String,
    },
}

/// Arguments of `vantay analysis-center review`.
#[derive(clap::Args)]
pub struct ReviewArgs {
    /// The package id.
    pub package: Uuid,
    /// The finger, e.g. R2.
    pub finger: Finger,
    /// Correct the class (A, T, L, R, W); without it the engine's is confirmed.
    #[arg(long, conflicts_with = "rescan")]
    pub class: Option<String>,
    /// Correct the subtype: plain_arch, tented_arch, loop, plain_whorl,
    /// central_pocket_whorl, double_loop or accidental_whorl, one of the
    /// class's (without it, a corrected class keeps the reading's subtype
    /// where it still fits, else takes the class's first).
    #[arg(long, conflicts_with = "rescan")]
    pub subtype: Option<String>,
    /// Correct the core–delta ridge counts, e.g. 12,9 (an arch has none: any are dropped).
    #[arg(long, value_delimiter = ',', conflicts_with = "rescan")]
    pub ridge_counts: Option<Vec<u32>>,
    /// Mark the print unusable, asking the centre to rescan the finger.
    #[arg(long, value_name = "REASON")]
    pub rescan: Option<String>,
    /// Who reviews.
    #[arg(long, default_value = "analyst")]
    pub analyst: String,
}

/// Where the analysis centre lives: the shared flags, with defaults of its own.
struct Place {
    data: PathBuf,
    key: PathBuf,
    database: Option<String>,
}

impl Place {
    fn of(location: &Location) -> anyhow::Result<Place> {
        let data = match &location.data {
            Some(dir) => dir.clone(),
            None => dirs::data_dir()
                .context("no --data given and no user data directory known; pass --data DIR")?
                .join("vantay-analysis"),
        };
        let key = match &location.key_file {
            Some(path) => path.clone(),
            None => vantay_vault::default_key_file()?.with_file_name("analysis-center.key"),
        };
        if std::path::absolute(&key)?.starts_with(std::path::absolute(&data)?) {
            anyhow::bail!(
                "the key file {} lies inside the data directory {}: put it elsewhere (--key-file)",
                key.display(),
                data.display()
            );
        }
        Ok(Place {
            data,
            key,
            database: location.database.clone(),
        })
    }

    async fn open(&self) -> anyhow::Result<AnalysisCentre> {
        let master = MasterKey::read_file(&self.key)?;
        Ok(AnalysisCentre::unlock(&self.data, self.database.as_deref(), &master).await?)
    }
}

/// Runs an analysis-centre command.
pub async fn run(location: &Location, command: AnalysisCommand) -> anyhow::Result<ExitCode> {
    let place = Place::of(location)?;
    match command {
        AnalysisCommand::Init { name } => init(&place, &name).await?,
        AnalysisCommand::Identity => {
            let lab = place.open().await?;
            println!("{}", lab.identity_line());
            eprintln!("fingerprint: {}", lab.public_identity().fingerprint());
        }
        AnalysisCommand::Partner(command) => partner(&place, command).await?,
        AnalysisCommand::Open { package, out } => open(&place, &package, &out).await?,
        AnalysisCommand::Work { worker } => {
            let report = place.open().await?.work(&worker, None).await?;
            println!("{}", serde_json::to_string(&report)?);
        }
        AnalysisCommand::Packages => {
            for package in place.open().await?.packages().await? {
                println!("{}", serde_json::to_string(&package)?);
            }
        }
        AnalysisCommand::Show { package } => show(&place, package).await?,
        AnalysisCommand::Review(args) => review(&place, args).await?,
        AnalysisCommand::Answer {
            package,
            out,
            auto,
            analyst,
        } => answer(&place, &package, out.as_deref(), auto, &analyst).await?,
        AnalysisCommand::Result { package, out } => {
            let sealed = place.open().await?.sealed_result(package).await?;
            write_new(&out, &sealed)?;
            println!("{}", serde_json::json!({ "package": package, "file": out }));
        }
        AnalysisCommand::Analyst(command) => analyst(&place, command).await?,
        AnalysisCommand::Settings { review_below } => {
            let lab = place.open().await?;
            if let Some(percent) = review_below {
                lab.set_review_below(vantay_analysis::ReviewBelow::percent(percent)?)
                    .await?;
            }
            let below = lab.review_below().await?;
            println!(
                "{}",
                serde_json::json!({ "review_below": below.as_percent() })
            );
        }
        AnalysisCommand::Serve(args) => {
            let lab = Arc::new(place.open().await?);
            // The engine reads what arrives while analysts review.
            let engine = Arc::clone(&lab);
            tokio::spawn(async move {
                let idle = std::time::Duration::from_secs(2);
                if let Err(err) = engine.work_continuously("serve", idle).await {
                    eprintln!("vantay: lỗi máy phân tích / engine error: {err}");
                }
            });
            let router = vantay_server::analyst::router(lab);
            serve_until_interrupted(
                router,
                &args,
                &place.data,
                "Trang cho chuyên viên phân tích / Analysts' pages",
            )
            .await?;
        }
        // The text ends its own last line.
        AnalysisCommand::Checkpoint => print!("{}", place.open().await?.checkpoint().await?),
        AnalysisCommand::Verify(args) => return verify(&place, &args).await,
        AnalysisCommand::Pull(remote) => {
            let lab = place.open().await?;
            let centre = connect(&lab, &remote).await?;
            let report = vantay_server::client::pull(&lab, &centre).await?;
            println!("{}", serde_json::to_string(&report)?);
        }
        AnalysisCommand::Push(remote) => {
            let lab = place.open().await?;
            let centre = connect(&lab, &remote).await?;
            let report = vantay_server::client::deliver(&lab, &centre).await?;
            println!("{}", serde_json::to_string(&report)?);
            if !report.refused.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(place: &Place, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let external = args.external_checkpoint()?;
    // No master key: an auditor checks with the public key alone.
    let report =
        AnalysisCentre::verify_at(&place.data, place.database.as_deref(), external.as_deref())
            .await?;
    if report.is_intact() {
        eprintln!(
            "intact: {} ledger entries, {} checkpoints, {} rows",
            report.entries, report.checkpoints, report.rows
        );
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    Ok(ExitCode::from(1))
}

async fn init(place: &Place, name: &str) -> anyhow::Result<()> {
    let master = MasterKey::generate();
    master.write_new_file(&place.key)?;
    let created = AnalysisCentre::init(&place.data, place.database.as_deref(), &master, name).await;
    let lab = match created {
        Ok(lab) => lab,
        Err(err) => {
            // The key opens nothing: do not leave it behind to confuse a retry.
            let _ = std::fs::remove_file(&place.key);
            return Err(err.into());
        }
    };
    println!(
        "Đã tạo trung tâm phân tích / Analysis centre created: {}",
        place.data.display()
    );
    println!(
        "Khoá chính / Master key file: {} (keep a backup offline)",
        place.key.display()
    );
    println!("Danh tính / Identity: {}", lab.identity_line());
    println!(
        "Dấu vân khoá / Fingerprint: {}",
        lab.public_identity().fingerprint()
    );
    Ok(())
}

async fn partner(place: &Place, command: PartnerCommand) -> anyhow::Result<()> {
    let lab = place.open().await?;
    match command {
        PartnerCommand::Add { name, identity } => {
            let identity = PartnerCommand::parse_identity(&identity)?;
            let partner = lab.add_partner(&name, &identity).await?;
            print_pinned(&partner.name, &partner.fingerprint);
        }
        PartnerCommand::List => {
            for partner in lab.partners().await? {
                println!("{}", serde_json::to_string(&partner)?);
            }
        }
    }
    Ok(())
}

async fn open(place: &Place, package: &Path, out: &Path) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(package).with_context(|| format!("cannot read {}", package.display()))?;
    let lab = place.open().await?;
    let received = lab.receive(&bytes, chrono::Utc::now()).await?;
    std::fs::create_dir(out)
        .with_context(|| format!("cannot create {} (it must not exist yet)", out.display()))?;
    let mut prints = Vec::new();
    for print in &received.work.prints {
        let file = format!("{}.wsq", print.finger);
        write_new(&out.join(&file), &print.wsq)?;
        prints.push(serde_json::json!({
            "finger": print.finger, "file": file, "width": print.width,
            "height": print.height, "ppi": print.ppi,
        }));
    }
    let header = &received.header;
    let manifest = serde_json::json!({
        "package": header.id, "from": header.sender, "pseudonym": header.pseudonym,
        "sex": received.work.sex, "age_band": received.work.age_band,
        "created": header.created, "expires": header.expires, "prints": prints,
    });
    write_new(
        &out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    println!(
        "{}",
        serde_json::json!({ "package": header.id, "new": received.new, "dir": out })
    );
    Ok(())
}

async fn show(place: &Place, package: Uuid) -> anyhow::Result<()> {
    let lab = place.open().await?;
    let alone = lab.read_alone(package).await?;
    let below = lab.review_below().await?;
    for (finger, outcome) in lab.current_outcomes(package).await? {
        let needs_count = outcome.as_ref().is_some_and(vantay_analysis::needs_count);
        let unsure = outcome
            .as_ref()
            .is_some_and(|outcome| vantay_analysis::is_unsure(outcome, below));
        let line = match outcome {
            None => serde_json::json!({ "finger": finger, "state": "pending" }),
            Some(FingerOutcome::Rescan { reason }) => {
                serde_json::json!({ "finger": finger, "state": "rescan", "reason": reason })
            }
            Some(FingerOutcome::Analysed(reading)) => {
                let mut line = serde_json::json!({
                    "finger": finger, "state": "analysed", "reading": reading,
                    "needs_count": needs_count, "unsure": unsure,
                });
                // What the print alone gave, where the customer's other
                // fingers changed the engine's class and nobody reviewed it.
                if let Some((_, class, confidence)) = alone
                    .iter()
                    .find(|(f, _, _)| *f == finger && !reading.reviewed)
                {
                    line["read_alone"] =
                        serde_json::json!({ "class": class, "confidence": confidence });
                }
                line
            }
        };
        println!("{line}");
    }
    Ok(())
}

async fn review(place: &Place, args: ReviewArgs) -> anyhow::Result<()> {
    let lab = place.open().await?;
    let outcome = match args.rescan {
        Some(reason) => FingerOutcome::Rescan { reason },
        None => {
            let current = lab
                .current_outcomes(args.package)
                .await?
                .into_iter()
                .find(|(f, _)| *f == args.finger)
                .and_then(|(_, o)| o);
            let Some(FingerOutcome::Analysed(mut reading)) = current else {
                anyhow::bail!(
                    "finger {} has no engine reading to confirm or correct: run `vantay analysis-center work`, or mark it with --rescan REASON",
                    args.finger
                );
            };
            if let Some(letter) = &args.class {
                reading.class = PatternClass::from_letter(letter)
                    .with_context(|| format!("'{letter}' is not a class: use A, T, L, R or W"))?;
            }
            // A subtype must be one of the class's: a loop corrected to a
            // whorl loses "loop", and "double_loop" on a loop is refused.
            let subtype =
                Subtype::corrected(reading.class, args.subtype.as_deref(), &reading.subtype)?;
            reading.subtype = subtype.code().to_owned();
            if let Some(counts) = args.ridge_counts {
                reading.ridge_counts = counts;
            }
            FingerOutcome::Analysed(reading)
        }
    };
    lab.review(args.package, args.finger, &args.analyst, outcome)
        .await?;
    println!(
        "{}",
        serde_json::json!({ "package": args.package, "finger": args.finger, "reviewed": true })
    );
    Ok(())
}

async fn analyst(place: &Place, command: AnalystCommand) -> anyhow::Result<()> {
    let lab = place.open().await?;
    let now = chrono::Utc::now();
    match command {
        AnalystCommand::Add {
            username,
            display_name,
            agreement_signed,
        } => {
            let (analyst, password) = lab
                .add_analyst(&username, &display_name, agreement_signed, now)
                .await?;
            println!("{}", serde_json::to_string(&analyst)?);
            print_one_time_password(password.expose());
        }
        AnalystCommand::List => {
            for analyst in lab.analysts().await? {
                println!("{}", serde_json::to_string(&analyst)?);
            }
        }
        AnalystCommand::ResetPassword { username } => {
            let password = lab.reset_analyst_password(&username).await?;
            print_one_time_password(password.expose());
        }
    }
    Ok(())
}

fn print_one_time_password(password: &str) {
    println!("Mật khẩu dùng một lần / One-time password: {password}");
    eprintln!(
        "Trao mật khẩu này trực tiếp; phải đổi khi đăng nhập lần đầu / Hand it over in person; it must be changed at first login."
    );
}

/// A connection to the pinned centre named in `remote`.
async fn connect(lab: &AnalysisCentre, remote: &RemoteArgs) -> anyhow::Result<CentreConnection> {
    let partner = lab
        .partners()
        .await?
        .into_iter()
        .find(|p| p.name == remote.centre)
        .with_context(|| {
            format!(
                "no centre named '{}' is pinned: pin it with `vantay analysis-center partner add`",
                remote.centre
            )
        })?;
    let fingerprint = partner.fingerprint.parse()?;
    CentreConnection::new(&remote.url, &remote.ca_cert, fingerprint)
}

async fn answer(
    place: &Place,
    package: &str,
    out: Option<&Path>,
    auto: bool,
    analyst: &str,
) -> anyhow::Result<()> {
    if let Some(out) = out.filter(|out| out.exists()) {
        anyhow::bail!("{} exists already; choose another --out", out.display());
    }
    let lab = place.open().await?;
    let id = match package.parse::<Uuid>() {
        Ok(id) => id,
        Err(_) => {
            let bytes = std::fs::read(package).with_context(|| {
                format!("'{package}' is neither a package id nor a readable file")
            })?;
            lab.receive(&bytes, chrono::Utc::now()).await?.header.id
        }
    };
    let (summary, bytes) = lab.answer(id, analyst, auto, chrono::Utc::now()).await?;
    if let Some(out) = out {
        write_new(out, &bytes)?;
    }
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}
