//! The analysis centre against a real centre: packages travel as bytes (the
//! file transport), on SQLite, and on PostgreSQL when
//! `VANTAY_TEST_POSTGRES_URL` is set.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use vantay_analysis::{AnalysisCentre, AnalysisError, AnalystTasks, ReviewBelow};
use vantay_domain::{CaseId, CaseState, Finger};
use vantay_exchange::{FingerOutcome, PatternClass, Subtype};
use vantay_store::{Actor, Centre};
use vantay_vault::{MasterKey, PackageError, PublicIdentity};

struct World {
    _dir: tempfile::TempDir,
    centre: Arc<Centre>,
    lab: Arc<AnalysisCentre>,
    dir: PathBuf,
    data: PathBuf,
    partner: &'static str,
}

/// A centre and an analysis centre that have pinned each other (the
/// testkit's world, plus the partner the centre sends to).
async fn world() -> Option<World> {
    let kit = vantay_testkit::World::new().await?;
    Some(World {
        dir: kit.dir.path().to_owned(),
        _dir: kit.dir,
        centre: kit.centre,
        lab: kit.lab,
        data: kit.prints,
        partner: vantay_testkit::LAB,
    })
}

impl World {
    /// A sealed case with ten SD14 prints, starting at file `first`.
    async fn sealed_case(&self, first: usize) -> CaseId {
        vantay_testkit::sealed_case(&self.centre, &self.data, first).await
    }

    /// A sealed case and its package, received at the analysis centre.
    async fn received_case(&self, first: usize) -> (CaseId, vantay_analysis::Received) {
        let case = self.sealed_case(first).await;
        let received = self
            .lab
            .receive(&self.dispatch(case).await, Utc::now())
            .await
            .unwrap();
        (case, received)
    }

    async fn dispatch(&self, case: CaseId) -> Vec<u8> {
        self.centre
            .dispatch(&Actor::cli(), case, self.partner, Utc::now())
            .await
            .unwrap()
            .bytes
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_answer_round_trip() {
    let Some(w) = world().await else { return };
    // Prints 61–70: the engine finds no delta on L1's loop and is unsure
    // of five other fingers, so both kinds of analyst's task are met.
    let case = w.sealed_case(61).await;
    let package = w.dispatch(case).await;
    let received = w.lab.receive(&package, Utc::now()).await.unwrap();
    assert!(received.new);
    assert_eq!(received.work.prints.len(), 10);
    // Receiving the same file again stores nothing new.
    assert!(!w.lab.receive(&package, Utc::now()).await.unwrap().new);

    // The engine runs; a loop or whorl whose delta it did not find has no
    // count, and a reading it is unsure of must be seen by a person: an
    // automatic answer refuses to sign either, naming the fingers.
    w.lab.work("test", Some(received.header.id)).await.unwrap();
    let outcomes = w.lab.current_outcomes(received.header.id).await.unwrap();
    let tasks = AnalystTasks::of(&outcomes, w.lab.review_below().await.unwrap());
    eprintln!("an analyst must see {tasks:?}");
    if !tasks.is_empty() {
        let err = w
            .lab
            .answer(received.header.id, "analyst-1", true, Utc::now())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AnalysisError::AnalystNeeded(t) if *t == tasks),
            "{err}"
        );
        let message = err.to_string();
        let says = |what: &str| message.contains(what);
        assert_eq!(
            says("--ridge-counts"),
            !tasks.uncounted.is_empty(),
            "{message}"
        );
        assert_eq!(says("unsure"), !tasks.unsure.is_empty(), "{message}");
    }
    let reviewed =
        vantay_testkit::review_where_an_analyst_is_needed(&w.lab, received.header.id, "analyst-1")
            .await;
    assert_eq!(reviewed, tasks.fingers());
    let (summary, result) = w
        .lab
        .answer(received.header.id, "analyst-1", true, Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.analysed.len() + summary.rescan.len(), 10);
    let receipt = w
        .centre
        .import_result(&Actor::cli(), &result, Utc::now())
        .await
        .unwrap();
    let expected = if summary.rescan.is_empty() {
        CaseState::Analysed
    } else {
        CaseState::Captured
    };
    assert_eq!(receipt.state, expected);
    let stored = w
        .centre
        .analysis_result(&Actor::cli(), case)
        .await
        .unwrap()
        .unwrap();
    // Nobody reviewed any finger: the result says so; reviewed fingers name the analyst.
    let signer = if reviewed.is_empty() {
        "auto"
    } else {
        "analyst-1"
    };
    assert_eq!(stored.analyst, signer);
    assert!(stored.engine.starts_with("vantay-print "));
    let err = w
        .lab
        .answer(received.header.id, "analyst-1", true, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, AnalysisError::AlreadyAnswered(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewed_answer_carries_the_correction() {
    let Some(w) = world().await else { return };
    let (case, received) = w.received_case(11).await;
    let id = received.header.id;
    let err = w
        .lab
        .answer(id, "analyst-1", false, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, AnalysisError::NotReady(_)), "{err}");
    let report = w.lab.work("worker-1", None).await.unwrap();
    assert_eq!(report.done + report.failed, 10);
    let err = w
        .lab
        .answer(id, "analyst-1", false, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AnalysisError::NotReviewed(ref f) if f.len() == 10),
        "{err}"
    );

    for (finger, outcome) in w.lab.current_outcomes(id).await.unwrap() {
        let mut outcome = outcome.expect("every job ran");
        if finger == Finger::R2 {
            outcome = match outcome {
                FingerOutcome::Analysed(mut reading) => {
                    reading.class = if reading.class == PatternClass::A {
                        PatternClass::T
                    } else {
                        PatternClass::A
                    };
                    // A corrected class takes its own subtype, as the
                    // command and the analyst's page make it.
                    reading.subtype = Subtype::corrected(reading.class, None, &reading.subtype)
                        .unwrap()
                        .code()
                        .into();
                    FingerOutcome::Analysed(reading)
                }
                FingerOutcome::Rescan { .. } => FingerOutcome::Rescan {
                    reason: "bị nhoè / smudged".into(),
                },
            };
        }
        if let (Finger::R2, FingerOutcome::Analysed(reading)) = (finger, &outcome) {
            // An arch is not signed off as a double loop.
            let mut foreign = reading.clone();
            foreign.subtype = "double_loop".into();
            let err = w
                .lab
                .review(id, finger, "analyst-1", FingerOutcome::Analysed(foreign))
                .await
                .unwrap_err();
            assert!(
                matches!(err, AnalysisError::BadReading { finger: Finger::R2, ref why } if why.contains("double_loop")),
                "{err}"
            );
        }
        w.lab
            .review(id, finger, "analyst-1", outcome)
            .await
            .unwrap();
    }
    let corrected = w.lab.current_outcomes(id).await.unwrap()[1]
        .1
        .clone()
        .unwrap();
    let (_, result) = w
        .lab
        .answer(id, "analyst-1", false, Utc::now())
        .await
        .unwrap();
    w.centre
        .import_result(&Actor::cli(), &result, Utc::now())
        .await
        .unwrap();
    let stored = w
        .centre
        .analysis_result(&Actor::cli(), case)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.analyst, "analyst-1");
    let r2 = stored
        .fingers
        .iter()
        .find(|f| f.finger == Finger::R2)
        .unwrap();
    assert_eq!(r2.outcome, corrected);
    if let FingerOutcome::Analysed(reading) = &r2.outcome {
        assert!(reading.reviewed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_for_someone_else_or_damaged_are_refused() {
    let Some(w) = world().await else { return };
    let case = w.sealed_case(21).await;
    let package = w.dispatch(case).await;
    // Another analysis centre that pinned the same centre still cannot open it.
    let other = AnalysisCentre::init(&w.dir.join("other"), None, &MasterKey::generate(), "lab-2")
        .await
        .unwrap();
    let centre_id = PublicIdentity::parse(&w.centre.identity_line()).unwrap();
    other.add_partner("hanoi", &centre_id).await.unwrap();
    let err = other.receive(&package, Utc::now()).await.unwrap_err();
    assert!(
        matches!(err, AnalysisError::Package(PackageError::NotForMe { .. })),
        "{err}"
    );
    // A flipped byte in the prints' ciphertext.
    let mut bad = package.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0x08;
    let err = w.lab.receive(&bad, Utc::now()).await.unwrap_err();
    assert!(
        matches!(err, AnalysisError::Package(PackageError::BadSignature)),
        "{err}"
    );
    // A centre the lab never pinned, addressing the lab correctly.
    let stranger = vantay_vault::CentreKeys::generate("elsewhere").unwrap();
    let header = vantay_vault::PackageHeader::work(
        &stranger.public(),
        &w.lab.public_identity(),
        "VT-00000-00000",
        Utc::now(),
        chrono::Duration::days(1),
    );
    let forged =
        vantay_vault::seal_package(&header, b"{}", &stranger, &w.lab.public_identity()).unwrap();
    let err = w.lab.receive(&forged, Utc::now()).await.unwrap_err();
    assert!(
        matches!(err, AnalysisError::Package(PackageError::UnknownSender(_))),
        "{err}"
    );
    assert_eq!(
        w.lab.packages().await.unwrap().len(),
        0,
        "nothing refused was stored"
    );
}

/// Several workers share one queue: every job is run exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_share_the_queue_on_sqlite() {
    let Some(w) = world().await else { return };
    workers_share_the_queue(w).await;
}

/// The same on PostgreSQL, where jobs are taken `FOR UPDATE SKIP LOCKED`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_share_the_queue_on_postgres() {
    let Some(mut w) = world().await else { return };
    let Some(database) = vantay_testkit::ScratchDatabase::create("vantay_lab_test").await else {
        return;
    };
    let lab = AnalysisCentre::init(
        &w.dir.join("lab-pg"),
        Some(&database.url),
        &MasterKey::generate(),
        "lab-pg",
    )
    .await
    .unwrap();
    let centre_id = PublicIdentity::parse(&w.centre.identity_line()).unwrap();
    lab.add_partner("hanoi", &centre_id).await.unwrap();
    w.centre
        .add_partner(&Actor::cli(), "lab-pg", &lab.public_identity())
        .await
        .unwrap();
    w.lab = Arc::new(lab);
    w.partner = "lab-pg";
    workers_share_the_queue(w).await;
    database.remove().await;
}

async fn workers_share_the_queue(w: World) {
    for first in [31, 41] {
        let case = w.sealed_case(first).await;
        w.lab
            .receive(&w.dispatch(case).await, Utc::now())
            .await
            .unwrap();
    }
    let lab = w.lab;
    let _centre = w.centre;
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let lab = lab.clone();
            tokio::spawn(async move { lab.work(&format!("worker-{i}"), None).await.unwrap() })
        })
        .collect();
    let mut total = 0;
    for worker in workers {
        let report = worker.await.unwrap();
        total += report.done + report.failed;
    }
    assert_eq!(total, 20, "each of the 20 jobs ran once");
    let counts = lab.job_counts(None).await.unwrap();
    assert_eq!(
        (counts.queued, counts.running, counts.done + counts.failed),
        (0, 0, 20)
    );
}

/// A job left `running` by a worker that died is taken again after
/// `STALE_JOB`; one taken a moment ago by a live worker is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_of_a_dead_worker_are_taken_again() {
    let Some(w) = world().await else { return };
    let case = w.sealed_case(51).await;
    w.lab
        .receive(&w.dispatch(case).await, Utc::now())
        .await
        .unwrap();
    let pool = lab_pool(&w).await;
    let stamp = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let long_ago = Utc::now() - vantay_analysis::STALE_JOB - chrono::Duration::minutes(1);
    for (finger, taken_at) in [("R1", long_ago), ("R2", Utc::now())] {
        sqlx::query(
            "UPDATE jobs SET state = 'running', worker = 'gone', taken_at = $1 WHERE finger = $2",
        )
        .bind(stamp(taken_at))
        .bind(finger)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let report = w.lab.work("survivor", None).await.unwrap();
    assert_eq!(
        report.done + report.failed,
        9,
        "8 queued jobs and the dead worker's one"
    );
    let counts = w.lab.job_counts(None).await.unwrap();
    assert_eq!((counts.queued, counts.running), (0, 1));
}

/// SD14's card s0025131–s0025140 is a person of whorls (six of its ten
/// prints). Its left little finger, a whorl by the examiner, reads alone
/// as a left loop; once the engine has read the whole package, the card
/// makes it the whorl it is, and the overlay is drawn as that reading was
/// made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_weighs_each_reading() {
    let Some(w) = world().await else { return };
    let (_, received) = w.received_case(831).await;
    let id = received.header.id;
    let alone = vantay_analysis::engine::read_print(
        &received
            .work
            .prints
            .iter()
            .find(|p| p.finger == Finger::L5)
            .unwrap()
            .wsq,
        500,
        Finger::L5,
    )
    .unwrap();
    assert_eq!(alone.class, PatternClass::L);
    w.lab.work("test", Some(id)).await.unwrap();
    let outcomes = w.lab.current_outcomes(id).await.unwrap();
    let classes: Vec<PatternClass> = outcomes
        .iter()
        .map(|(finger, outcome)| match outcome {
            Some(FingerOutcome::Analysed(reading)) => reading.class,
            other => panic!("{finger}: {other:?}"),
        })
        .collect();
    assert_eq!(classes[Finger::L5.index()], PatternClass::W, "{classes:?}");
    assert_eq!(
        classes.iter().filter(|c| **c == PatternClass::W).count(),
        6,
        "{classes:?}"
    );
    // The analyst is shown what the print alone gave where the card changed it.
    let alone = w.lab.read_alone(id).await.unwrap();
    assert!(
        alone
            .iter()
            .any(|(f, class, _)| *f == Finger::L5 && *class == PatternClass::L),
        "{alone:?}"
    );
    assert!(alone
        .iter()
        .all(|(f, class, _)| *class != classes[f.index()]));
    let png = w
        .lab
        .overlay_png(id, Finger::L5, "analyst-1")
        .await
        .unwrap()
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

/// The analysis centre's own ledger: what it received, read, showed and
/// signed is recorded, `verify` finds the stored rows as recorded, and a
/// review changed, a print swapped or deleted behind its back is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_records_each_step_and_verify_names_changes() {
    let Some(w) = world().await else { return };
    let (_, received) = w.received_case(11).await;
    let id = received.header.id;
    w.lab.work("worker-1", None).await.unwrap();
    let png = w
        .lab
        .overlay_png(id, Finger::R3, "analyst-1")
        .await
        .unwrap();
    assert!(png.unwrap().starts_with(b"\x89PNG"));
    for (finger, outcome) in w.lab.current_outcomes(id).await.unwrap() {
        w.lab
            .review(id, finger, "analyst-1", outcome.unwrap())
            .await
            .unwrap();
    }
    w.lab
        .answer(id, "analyst-1", false, Utc::now())
        .await
        .unwrap();
    let report = w.lab.verify(None).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    let kept = w.lab.checkpoint().await.unwrap();
    assert!(w.lab.verify(Some(&kept)).await.unwrap().is_intact());
    // An auditor without the master key checks the same.
    let unlocked = AnalysisCentre::verify_at(&w.dir.join("lab"), None, Some(&kept))
        .await
        .unwrap();
    assert_eq!(unlocked, w.lab.verify(Some(&kept)).await.unwrap());

    let pool = lab_pool(&w).await;
    let events: Vec<vantay_ledger::Event> =
        sqlx::query("SELECT leaf FROM ledger_entries ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|row| {
                use sqlx::Row;
                vantay_ledger::Event::from_leaf_bytes(&row.get::<Vec<u8>, _>("leaf")).unwrap()
            })
            .collect();
    let done = |action: &str, actor: &str| {
        events
            .iter()
            .filter(|e| e.action == action && e.actor == actor)
            .count()
    };
    assert_eq!(done("package.receive", "system"), 1);
    assert_eq!(
        done("print.read", "worker:worker-1") + done("print.unreadable", "worker:worker-1"),
        10
    );
    assert_eq!(done("print.view", "analyst:analyst-1"), 1);
    assert_eq!(done("finger.review", "analyst:analyst-1"), 10);
    assert_eq!(done("package.answer", "analyst:analyst-1"), 1);

    for sql in [
        "UPDATE reviews SET analyst = 'someone-else' WHERE finger = 'R1'",
        "UPDATE prints SET ciphertext = (SELECT ciphertext FROM prints WHERE finger = 'R3') WHERE finger = 'R2'",
        "DELETE FROM prints WHERE finger = 'L5'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let problems = w.lab.verify(Some(&kept)).await.unwrap().problems;
    for expected in [
        format!(
            "reviews/{id}/R1: differs from what the ledger recorded (changed, swapped or moved)"
        ),
        format!(
            "prints/{id}/R2: differs from what the ledger recorded (changed, swapped or moved)"
        ),
        format!("prints/{id}/L5: recorded in the ledger but no longer stored (deleted)"),
    ] {
        assert!(
            problems.contains(&expected),
            "{expected} not in {problems:?}"
        );
    }
    assert_eq!(problems.len(), 3, "{problems:?}");
}

/// A pool on the analysis centre's SQLite file, to change it behind its back.
async fn lab_pool(w: &World) -> sqlx::AnyPool {
    let url = format!(
        "sqlite://{}",
        w.dir
            .join("lab")
            .join(vantay_analysis::SQLITE_FILE)
            .display()
    );
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&url).await.unwrap()
}

/// An installation made before the analysis centre kept a ledger starts
/// one when it is next opened, taking the rows it holds as they stand; a
/// change after that is found as anywhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_without_a_ledger_starts_one_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let place = dir.path().join("lab");
    let master = MasterKey::generate();
    let lab = AnalysisCentre::init(&place, None, &master, "lab-old")
        .await
        .unwrap();
    let hanoi = vantay_vault::CentreKeys::generate("hanoi")
        .unwrap()
        .public();
    lab.add_partner("hanoi", &hanoi).await.unwrap();
    lab.close().await;
    let url = format!(
        "sqlite://{}",
        place.join(vantay_analysis::SQLITE_FILE).display()
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for table in ["ledger_entries", "ledger_head", "checkpoints"] {
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }

    let lab = AnalysisCentre::unlock(&place, None, &master).await.unwrap();
    let report = lab.verify(None).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries, 1, "one ledger.start");
    sqlx::query("UPDATE partners SET identity = 'someone else' WHERE name = 'hanoi'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        lab.verify(None).await.unwrap().problems,
        ["partners/hanoi: differs from what the ledger recorded (changed, swapped or moved)"]
    );
    pool.close().await;
}

/// The review threshold is the installation's to choose: at 100 % every
/// reading the engine made waits for an analyst, at 50 % only its coin
/// tosses do; the change is in the ledger, and a stored value out of range
/// is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_threshold_is_a_setting() {
    let Some(w) = world().await else { return };
    let (_, received) = w.received_case(61).await;
    let id = received.header.id;
    w.lab.work("worker-1", None).await.unwrap();
    assert_eq!(w.lab.review_below().await.unwrap(), ReviewBelow::default());
    let outcomes = w.lab.current_outcomes(id).await.unwrap();
    let at = |percent| AnalystTasks::of(&outcomes, ReviewBelow::percent(percent).unwrap());
    let (every, default, lenient) = (at(100), at(90), at(50));
    assert!(
        every.unsure.len() > default.unsure.len(),
        "{every:?} {default:?}"
    );
    assert!(
        default.unsure.len() > lenient.unsure.len(),
        "{default:?} {lenient:?}"
    );

    w.lab
        .set_review_below(ReviewBelow::percent(100).unwrap())
        .await
        .unwrap();
    let err = w
        .lab
        .answer(id, "analyst-1", true, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AnalysisError::AnalystNeeded(t) if *t == every),
        "{err}"
    );
    assert!(
        err.to_string().contains("(confidence under 100 %)"),
        "{err}"
    );
    assert!(w.lab.verify(None).await.unwrap().is_intact());

    let pool = lab_pool(&w).await;
    sqlx::query("UPDATE meta SET value = '30' WHERE key = 'review_below'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = w.lab.review_below().await.unwrap_err();
    assert!(matches!(err, AnalysisError::Corrupt(_)), "{err}");
    assert_eq!(
        w.lab.verify(None).await.unwrap().problems,
        ["meta/review_below: differs from what the ledger recorded (changed, swapped or moved)"]
    );
}
