//! Fixtures for integration tests that need both installations.
//!
//! [`World::new`] makes a centre and an analysis centre in a temporary
//! directory, each with a fresh master key, pinned to each other;
//! [`World::sealed_case`] takes a customer's ten SD14 prints in and seals
//! the case, ready to dispatch. Tests skip (returning `None`, with a
//! printed reason) where `../shared/data` is absent; CI always has it.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use vantay_analysis::AnalysisCentre;
use vantay_domain::{CaptureManifest, CaseId, Finger};
use vantay_exchange::FingerOutcome;
use vantay_store::{Actor, CapturedImage, Centre};
use vantay_vault::{MasterKey, PublicIdentity};

/// The name the centre pins the analysis centre under.
pub const LAB: &str = "lab";
/// The name the analysis centre pins the centre under.
pub const CENTRE: &str = "hanoi";

/// The SD14 development prints, or `None` (with the reason printed).
pub fn sd14() -> Option<PathBuf> {
    let dir = sd14_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent (CI has it)", dir.display());
        None
    }
}

/// Where the SD14 prints lie: `../shared/data/sd14-dev` beside the repository.
fn sd14_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sd14-dev")
}

/// A centre and an analysis centre that have pinned each other.
pub struct World {
    /// The temporary directory both live in (removed on drop).
    pub dir: tempfile::TempDir,
    /// The centre (SQLite in `dir/centre`), shareable with a server.
    pub centre: Arc<Centre>,
    /// The analysis centre (SQLite in `dir/lab`), shareable with a server.
    pub lab: Arc<AnalysisCentre>,
    /// Where the SD14 prints are.
    pub prints: PathBuf,
}

impl World {
    /// Both installations on SQLite files, or `None` without the test data.
    pub async fn new() -> Option<World> {
        let prints = sd14()?;
        Some(World::at(prints).await)
    }

    /// Both installations, for tests that use no print (`prints` is where
    /// the SD14 prints would be).
    pub async fn without_prints() -> World {
        World::at(sd14_dir()).await
    }

    async fn at(prints: PathBuf) -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (centre, _) = Centre::init(
            &dir.path().join("centre"),
            None,
            &MasterKey::generate(),
            "centre-hanoi",
            "admin",
        )
        .await
        .expect("centre init");
        let lab = AnalysisCentre::init(
            &dir.path().join("lab"),
            None,
            &MasterKey::generate(),
            "lab-1",
        )
        .await
        .expect("analysis centre init");
        let centre_id = PublicIdentity::parse(&centre.identity_line()).expect("identity line");
        lab.add_partner(CENTRE, &centre_id)
            .await
            .expect("pin the centre");
        centre
            .add_partner(&Actor::cli(), LAB, &lab.public_identity())
            .await
            .expect("pin the lab");
        World {
            dir,
            centre: Arc::new(centre),
            lab: Arc::new(lab),
            prints,
        }
    }

    /// A sealed case of one customer with ten SD14 prints (see [`sealed_case`]).
    pub async fn sealed_case(&self, first: usize) -> CaseId {
        sealed_case(&self.centre, &self.prints, first).await
    }
}

/// Takes a customer with ten SD14 prints in at `centre` and seals the case.
/// The prints are files `first` to `first + 9` of the 900 (1-based, in
/// file-name order, wrapping after the last), so that distinct `first`
/// values ten apart give distinct prints.
pub async fn sealed_case(centre: &Centre, prints: &Path, first: usize) -> CaseId {
    let json = serde_json::json!({
        "customer": { "full_name": "Lê Thị Mẫu", "date_of_birth": "1990-05-01", "sex": "F",
                      "phone": "+84901112233" },
        "consent": { "analysis": true, "marketing": false, "text_version": "2026-01",
                     "signed_by": ["customer"], "signed_at": "2026-11-28T09:30:00+07:00" },
        "prints": Finger::ALL.iter()
            .map(|f| (f.code().to_owned(), serde_json::Value::from(format!("{f}.wsq"))))
            .collect::<serde_json::Map<_, _>>(),
        "device": { "model": "Test scanner", "dpi": 500 }
    });
    let capture = CaptureManifest::from_json(&json.to_string())
        .expect("manifest parses")
        .validate(Utc::now())
        .expect("manifest is valid");
    let images = Finger::ALL
        .into_iter()
        .enumerate()
        .map(|(i, finger)| CapturedImage {
            finger,
            bytes: std::fs::read(prints.join(sd14_file(first + i))).expect("an SD14 print"),
            format: "wsq".into(),
            width: 832,
            height: 768,
            ppi: 500,
        })
        .collect();
    let receipt = centre
        .intake(&Actor::cli(), &capture, images)
        .await
        .expect("intake");
    centre
        .seal_case(&Actor::cli(), receipt.case)
        .await
        .expect("seal");
    receipt.case
}

/// Plays the analyst where `answer --auto` asks for one: runs the
/// package's queued jobs, then reviews each finger whose ridges the engine
/// could not count (a loop or whorl with no core and delta found to count
/// between) with the count an analyst would read off the print, and
/// confirms each reading the engine is unsure of, so that an automatic
/// answer of the rest can be signed.
/// Returns the fingers so reviewed.
pub async fn review_where_an_analyst_is_needed(
    lab: &AnalysisCentre,
    package: uuid::Uuid,
    analyst: &str,
) -> Vec<Finger> {
    lab.work(analyst, Some(package)).await.expect("engine jobs");
    let outcomes = lab.current_outcomes(package).await.expect("outcomes");
    let below = lab.review_below().await.expect("setting");
    let tasks = vantay_analysis::AnalystTasks::of(&outcomes, below);
    for (finger, outcome) in outcomes {
        let Some(FingerOutcome::Analysed(mut reading)) = outcome else {
            continue;
        };
        if tasks.uncounted.contains(&finger) {
            // Any plausible count serves: the tests follow it, not its value.
            reading.ridge_counts = vec![12];
        } else if !tasks.unsure.contains(&finger) {
            continue;
        }
        lab.review(package, finger, analyst, FingerOutcome::Analysed(reading))
            .await
            .expect("an analyst's review is accepted");
    }
    tasks.fingers()
}

/// The name of the `n`th SD14 print (1-based, wrapping after the 900th).
pub fn sd14_file(n: usize) -> String {
    format!("s{:07}.wsq", 24_301 + (n.max(1) - 1) % 900)
}

/// A PostgreSQL database made for one test on the server named by
/// `VANTAY_TEST_POSTGRES_URL`, or `None` (with the reason printed) when the
/// variable is not set. [`ScratchDatabase::remove`] drops it.
pub struct ScratchDatabase {
    /// Its URL, for `--database`.
    pub url: String,
    name: String,
    admin: sqlx::AnyPool,
}

impl ScratchDatabase {
    /// Creates a database named `PREFIX_<random>`.
    pub async fn create(prefix: &str) -> Option<ScratchDatabase> {
        let Ok(admin_url) = std::env::var("VANTAY_TEST_POSTGRES_URL") else {
            eprintln!("skipped: VANTAY_TEST_POSTGRES_URL is not set (CI sets it)");
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::AnyPool::connect(&admin_url)
            .await
            .expect("the PostgreSQL server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
        let (server, _) = admin_url
            .rsplit_once('/')
            .expect("a URL ending in /database");
        Some(ScratchDatabase {
            url: format!("{server}/{name}"),
            name,
            admin,
        })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn remove(self) {
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&self.admin)
        .await
        .expect("DROP DATABASE");
        self.admin.close().await;
    }
}
