//! A fresh centre per test, on SQLite or on the PostgreSQL server, with
//! real fingerprint files as its images.

use std::path::{Path, PathBuf};

use chrono::Utc;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use vantay_domain::{CaptureManifest, Finger, ValidCapture};
use vantay_store::{CapturedImage, Centre, IntakeReceipt, Store};
use vantay_vault::MasterKey;

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A centre made for one test, removed afterwards.
pub struct TestCentre {
    pub engine: Engine,
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
    pub master: MasterKey,
    pub centre: Centre,
    _database: Option<DropDatabase>,
}

/// Drops a test database when the test ends, even when it panicked.
pub struct DropDatabase {
    admin_url: String,
    name: String,
}

impl DropDatabase {
    pub fn new(admin_url: String, name: String) -> DropDatabase {
        DropDatabase { admin_url, name }
    }
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // A fresh runtime on its own thread: drop may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = raw_pool(&admin_url).await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await;
                admin.close().await;
            });
        })
        .join();
    }
}

impl TestCentre {
    /// A new centre, or `None` (with the reason printed) when the engine is
    /// not available here.
    pub async fn new(engine: Engine) -> Option<TestCentre> {
        let dir = tempfile::tempdir().unwrap();
        let (url, database) = match engine {
            Engine::Sqlite => (None, None),
            Engine::Postgres => {
                let Ok(admin_url) = std::env::var("VANTAY_TEST_POSTGRES_URL") else {
                    eprintln!("skipped: VANTAY_TEST_POSTGRES_URL is not set (CI sets it)");
                    return None;
                };
                let name = format!("vantay_test_{}", uuid::Uuid::new_v4().simple());
                let admin = raw_pool(&admin_url).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                (
                    Some(with_database(&admin_url, &name)),
                    Some(DropDatabase { admin_url, name }),
                )
            }
        };
        let master = MasterKey::generate();
        let data = dir.path().join("data");
        let (centre, _) = Centre::init(
            &data,
            url.as_deref(),
            &master,
            "test.vantay-centre",
            "admin",
        )
        .await
        .expect("init");
        Some(TestCentre {
            engine,
            dir,
            url,
            master,
            centre,
            _database: database,
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A raw connection to the same database, to play the attacker.
    pub async fn raw(&self) -> AnyPool {
        match &self.url {
            Some(url) => raw_pool(url).await,
            None => {
                raw_pool(&format!(
                    "sqlite://{}",
                    self.data_dir().join("vantay.db").display()
                ))
                .await
            }
        }
    }

    /// The store opened afresh, without the key (as an auditor would).
    pub async fn auditor(&self) -> Store {
        Store::open(&self.data_dir(), self.url.as_deref())
            .await
            .unwrap()
    }

    pub async fn intake(&self, person: &Person) -> IntakeReceipt {
        let (capture, images) = capture_of(person);
        self.centre
            .intake(&vantay_store::Actor::cli(), &capture, images)
            .await
            .expect("intake")
    }

    /// Moves a captured case through sealing and dispatch to `analysed`, as
    /// the exchange would (the exchange itself is tested elsewhere).
    pub async fn make_analysed(&self, case: vantay_domain::CaseId) {
        use vantay_domain::CaseState;
        for (state, action) in [
            (CaseState::Sealed, "case.seal"),
            (CaseState::Dispatched, "case.dispatch"),
            (CaseState::Analysed, "case.analyse"),
        ] {
            self.centre
                .transition(&vantay_store::Actor::cli(), case, state, action)
                .await
                .unwrap();
        }
    }

    /// Every problem `verify` reports.
    pub async fn problems(&self) -> Vec<String> {
        self.auditor().await.verify(None).await.unwrap().problems
    }

    /// Closes the centre; the database goes when the value is dropped.
    pub async fn drop_database(self) {
        self.centre.store().close().await;
    }
}

pub async fn raw_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .unwrap()
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Marker values that must never appear in the clear anywhere.
pub struct Person {
    pub full_name: String,
    pub phone: String,
    pub guardian: String,
    pub born: &'static str,
}

impl Person {
    pub fn marked(n: usize) -> Person {
        // Names hold letters only, so the number is spelt in letters.
        let tag: String = n
            .to_string()
            .bytes()
            .map(|d| (b'q' + d - b'0') as char)
            .collect();
        Person {
            full_name: format!("Nguyễn Thị Đánhdấu{tag}"),
            phone: format!("+8490{:07}", 1_234_500 + n),
            guardian: format!("Trần Văn Giámhộ{tag}"),
            born: "2015-03-12",
        }
    }
}

/// The shared NIST prints, or `None` (printed) when absent.
pub fn sd14_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sd14-dev");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped part: {} is absent", dir.display());
        None
    }
}

/// Ten real WSQ prints (or synthetic bytes when the data is absent).
pub fn ten_images() -> Vec<Vec<u8>> {
    match sd14_dir() {
        Some(dir) => (0..10)
            .map(|i| std::fs::read(dir.join(format!("s00243{:02}.wsq", i + 1))).unwrap())
            .collect(),
        None => (0..10u8)
            .map(|i| {
                (0..40_000u32)
                    .map(|j| (j.wrapping_mul(2_654_435_761) >> (i % 7)) as u8)
                    .collect()
            })
            .collect(),
    }
}

pub fn capture_of(person: &Person) -> (ValidCapture, Vec<CapturedImage>) {
    let json = serde_json::json!({
        "customer": { "full_name": person.full_name, "date_of_birth": person.born, "sex": "F",
                      "phone": person.phone, "guardian_name": person.guardian },
        "consent": { "analysis": true, "marketing": false, "text_version": "2026-01",
                     "signed_by": ["customer", "guardian"], "signed_at": "2026-11-28T09:30:00+07:00" },
        "prints": Finger::ALL.iter().map(|f| (f.code().to_owned(), serde_json::Value::from(format!("{f}.wsq")))).collect::<serde_json::Map<_, _>>(),
        "device": { "model": "Test scanner", "dpi": 500 }
    });
    let capture = CaptureManifest::from_json(&json.to_string())
        .unwrap()
        .validate(Utc::now())
        .unwrap();
    let images = Finger::ALL
        .into_iter()
        .zip(ten_images())
        .map(|(finger, bytes)| CapturedImage {
            finger,
            bytes,
            format: "wsq".into(),
            width: 832,
            height: 768,
            ppi: 500,
        })
        .collect();
    (capture, images)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
