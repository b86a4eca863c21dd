//! The store's whole suite, run on SQLite and on PostgreSQL (when
//! `VANTAY_TEST_POSTGRES_URL` is set; CI always sets it).

mod helpers;

use std::collections::HashSet;

use helpers::{contains, files_under, Engine, Person, TestCentre};
use sqlx::Row;
use vantay_domain::CaseState;
use vantay_store::{Actor, Centre, Store, StoreError};

/// Runs an async scenario once per engine, as two tests.
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(centre) = TestCentre::new(Engine::Sqlite).await {
                    super::$scenario(&centre).await;
                    centre.drop_database().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(centre) = TestCentre::new(Engine::Postgres).await {
                    super::$scenario(&centre).await;
                    centre.drop_database().await;
                }
            }
        }
    )*};
}

on_both_engines!(
    no_marker_or_image_bytes_reach_storage,
    verify_passes_on_an_intact_store_and_after_erasure,
    flipped_blob_byte_is_detected,
    flipped_ciphertext_byte_is_detected,
    ciphertext_moved_to_another_customer_is_detected,
    deleted_row_is_detected,
    staff_rows_edited_behind_the_centres_back_are_detected,
    older_copy_fails_against_newer_checkpoint,
    export_returns_the_data_and_is_refused_after_erasure,
    rotation_keeps_data_readable,
    sealing_follows_the_process,
    wrong_master_key_opens_nothing,
    reports_are_sealed_recorded_and_erased,
);

async fn no_marker_or_image_bytes_reach_storage(t: &TestCentre) {
    let people: Vec<Person> = (0..3).map(Person::marked).collect();
    for person in &people {
        t.intake(person).await;
    }
    let markers: Vec<Vec<u8>> = people
        .iter()
        .flat_map(|p| {
            [
                p.full_name.clone(),
                p.phone.clone(),
                p.phone[1..].to_owned(),
                p.guardian.clone(),
                p.born.to_owned(),
            ]
        })
        .map(String::into_bytes)
        .collect();
    let images = helpers::ten_images();
    let runs: HashSet<&[u8]> = images.iter().flat_map(|img| img.windows(48)).collect();

    let mut stored: Vec<(String, Vec<u8>)> = files_under(&t.data_dir())
        .into_iter()
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .collect();
    if t.engine == Engine::Postgres {
        stored.extend(dump_postgres(t).await);
    }
    assert!(
        stored.len() > 10,
        "the data directory holds the blobs: {}",
        stored.len()
    );
    for (place, bytes) in &stored {
        for marker in &markers {
            assert!(
                !contains(bytes, marker),
                "{place} holds '{}'",
                String::from_utf8_lossy(marker)
            );
        }
        assert!(
            !bytes.windows(48).any(|w| runs.contains(w)),
            "{place} holds 48 bytes of an image"
        );
    }
}

/// Every column of every table, as bytes: what a copy of the server would hold.
async fn dump_postgres(t: &TestCentre) -> Vec<(String, Vec<u8>)> {
    let pool = t.raw().await;
    let tables = sqlx::query(
        "SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let table: String = table.get("tablename");
        let sql = format!("SELECT convert_to(CAST(t.* AS TEXT), 'UTF8') AS bytes FROM {table} t");
        for row in sqlx::query(&sql).fetch_all(&pool).await.unwrap() {
            out.push((
                format!("postgres table {table}"),
                row.get::<Vec<u8>, _>("bytes"),
            ));
        }
    }
    pool.close().await;
    out
}

async fn verify_passes_on_an_intact_store_and_after_erasure(t: &TestCentre) {
    let kept = t.intake(&Person::marked(1)).await;
    let erased = t.intake(&Person::marked(2)).await;
    let report = t.auditor().await.verify(None).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert!(report.entries >= 3 && report.blobs == 20, "{report:?}");

    let certificate = t
        .centre
        .erase(&Actor::cli(), erased.customer)
        .await
        .unwrap();
    assert_eq!(certificate.customer, erased.customer);
    assert!(certificate.items_destroyed >= 10 + 10 + 5);
    assert_eq!(t.problems().await, Vec::<String>::new());
    let summary = t.centre.store().case_summary(erased.case).await.unwrap();
    assert_eq!(summary.state, CaseState::Erased);
    assert_eq!(t.auditor().await.verify(None).await.unwrap().blobs, 10);
    assert_eq!(
        t.centre
            .store()
            .case_summary(kept.case)
            .await
            .unwrap()
            .state,
        CaseState::Captured
    );
}

async fn flipped_blob_byte_is_detected(t: &TestCentre) {
    t.intake(&Person::marked(1)).await;
    let blob = files_under(&t.data_dir().join("blobs"))
        .into_iter()
        .next()
        .unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&blob, bytes).unwrap();
    let problems = t.problems().await;
    let name = blob.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&name) && problems[0].contains("changed"),
        "{problems:?}"
    );
}

async fn flipped_ciphertext_byte_is_detected(t: &TestCentre) {
    let receipt = t.intake(&Person::marked(1)).await;
    let pool = t.raw().await;
    let sql = "SELECT ciphertext FROM customer_fields WHERE customer_id = $1 AND field = 'phone'";
    let row = sqlx::query(sql)
        .bind(receipt.customer.to_string())
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut sealed: Vec<u8> = row.get("ciphertext");
    sealed[30] ^= 0x80;
    sqlx::query(
        "UPDATE customer_fields SET ciphertext = $1 WHERE customer_id = $2 AND field = 'phone'",
    )
    .bind(sealed)
    .bind(receipt.customer.to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let problems = t.problems().await;
    assert_eq!(problems, [format!("customer_fields/{}/phone/v1: differs from what the ledger recorded (changed, swapped or moved)", receipt.customer)]);
    // And the key holder cannot read it either.
    let err = t
        .centre
        .export(&Actor::cli(), receipt.customer)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Tampered { .. }), "{err}");
}

async fn ciphertext_moved_to_another_customer_is_detected(t: &TestCentre) {
    let a = t.intake(&Person::marked(1)).await;
    let b = t.intake(&Person::marked(2)).await;
    let pool = t.raw().await;
    let sql =
        "SELECT ciphertext FROM customer_fields WHERE customer_id = $1 AND field = 'full_name'";
    let row = sqlx::query(sql)
        .bind(a.customer.to_string())
        .fetch_one(&pool)
        .await
        .unwrap();
    let a_name: Vec<u8> = row.get("ciphertext");
    sqlx::query(
        "UPDATE customer_fields SET ciphertext = $1 WHERE customer_id = $2 AND field = 'full_name'",
    )
    .bind(a_name)
    .bind(b.customer.to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let problems = t.problems().await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("customer_fields/{}/full_name/v1", b.customer)),
        "{problems:?}"
    );
    let err = t
        .centre
        .export(&Actor::cli(), b.customer)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Tampered { .. }),
        "the moved ciphertext must not open: {err}"
    );
}

/// Who may reach customer data is itself guarded: an agreement extended, a
/// disabled account enabled or a password hash swapped in the database,
/// without the centre, no longer matches the account's last ledger event.
async fn staff_rows_edited_behind_the_centres_back_are_detected(t: &TestCentre) {
    assert!(t.problems().await.is_empty(), "a new centre verifies clean");
    let admin = t.centre.store().staff_by_username("admin").await.unwrap();
    let name = format!("staff/{}", admin.id);
    let tampering = [
        "UPDATE staff SET agreement_expires_on = '2099-12-31' WHERE id = $1",
        "UPDATE staff SET password_hash = 'swapped' WHERE id = $1",
        "UPDATE staff SET role = 'counsellor' WHERE id = $1",
    ];
    for sql in tampering {
        let pool = t.raw().await;
        let before: Vec<(String, Option<String>, String)> = sqlx::query(
            "SELECT password_hash, agreement_expires_on, role FROM staff WHERE id = $1",
        )
        .bind(admin.id.to_string())
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        sqlx::query(sql)
            .bind(admin.id.to_string())
            .execute(&pool)
            .await
            .unwrap();
        let problems = t.problems().await;
        assert_eq!(
            problems,
            [format!(
                "{name}: differs from what the ledger recorded (changed, swapped or moved)"
            )],
            "{sql}"
        );
        // Put the row back as it was for the next edit.
        let (hash, expires, role) = &before[0];
        sqlx::query(
            "UPDATE staff SET password_hash = $1, agreement_expires_on = $2, role = $3 WHERE id = $4",
        )
        .bind(hash)
        .bind(expires)
        .bind(role)
        .bind(admin.id.to_string())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        assert!(t.problems().await.is_empty(), "restored after {sql}");
    }
    // A staff row deleted is missed too.
    let pool = t.raw().await;
    sqlx::query("DELETE FROM staff WHERE id = $1")
        .bind(admin.id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        t.problems().await,
        [format!(
            "{name}: recorded in the ledger but no longer stored (deleted)"
        )]
    );
}

async fn deleted_row_is_detected(t: &TestCentre) {
    let receipt = t.intake(&Person::marked(1)).await;
    let pool = t.raw().await;
    sqlx::query("DELETE FROM prints WHERE case_id = $1 AND finger = 'L3'")
        .bind(receipt.case.to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let problems = t.problems().await;
    assert!(
        problems.contains(&format!(
            "prints/{}/L3/v1: recorded in the ledger but no longer stored (deleted)",
            receipt.case
        )),
        "{problems:?}"
    );
}

async fn older_copy_fails_against_newer_checkpoint(t: &TestCentre) {
    t.intake(&Person::marked(1)).await;
    let old = snapshot(t).await;
    let centre = Centre::unlock(t.auditor().await, &t.master).await.unwrap();
    let (capture, images) = helpers::capture_of(&Person::marked(2));
    centre
        .intake(&Actor::cli(), &capture, images)
        .await
        .unwrap();
    let newer = centre.store().latest_checkpoint().await.unwrap();
    // The current store extends its own checkpoint …
    let report = t.auditor().await.verify(Some(&newer)).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    centre.store().close().await;
    // … the older copy does not.
    let old_store = Store::open(&old.0, old.1.as_deref()).await.unwrap();
    let problems = old_store.verify(Some(&newer)).await.unwrap().problems;
    old_store.close().await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("rollback"), "{problems:?}");
    drop_snapshot(t, old).await;
}

/// A copy of the whole store as it is now: data directory, and the database.
async fn snapshot(t: &TestCentre) -> (std::path::PathBuf, Option<String>) {
    let copy = t
        .dir
        .path()
        .join(format!("copy-{}", uuid::Uuid::new_v4().simple()));
    let url = match t.engine {
        Engine::Sqlite => {
            let pool = t.raw().await;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            None
        }
        Engine::Postgres => {
            // pg_dump takes a consistent snapshot while the centre stays connected.
            let url = t.url.clone().unwrap();
            let name = format!("vantay_copy_{}", uuid::Uuid::new_v4().simple());
            let admin = helpers::raw_pool(&helpers::with_database(&url, "postgres")).await;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let copy_url = helpers::with_database(&url, &name);
            let dump = std::process::Command::new("pg_dump")
                .arg(&url)
                .output()
                .expect("pg_dump runs");
            assert!(
                dump.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&dump.stderr)
            );
            let mut restore = std::process::Command::new("psql")
                .args(["-q", "-v", "ON_ERROR_STOP=1", &copy_url])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("psql runs");
            use std::io::Write as _;
            restore
                .stdin
                .take()
                .unwrap()
                .write_all(&dump.stdout)
                .unwrap();
            assert!(restore.wait().unwrap().success(), "psql restore failed");
            Some(copy_url)
        }
    };
    copy_dir(&t.data_dir(), &copy);
    (copy, url)
}

async fn drop_snapshot(t: &TestCentre, (_, url): (std::path::PathBuf, Option<String>)) {
    if let Some(url) = url {
        let name = url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        drop(helpers::DropDatabase::new(
            helpers::with_database(t.url.as_ref().unwrap(), "postgres"),
            name,
        ));
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for file in files_under(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

async fn export_returns_the_data_and_is_refused_after_erasure(t: &TestCentre) {
    let person = Person::marked(7);
    let receipt = t.intake(&person).await;
    let export = t
        .centre
        .export(&Actor::cli(), receipt.customer)
        .await
        .unwrap();
    assert_eq!(export.fields["full_name"], person.full_name);
    assert_eq!(export.fields["phone"], person.phone);
    assert_eq!(export.fields["guardian_name"], person.guardian);
    assert_eq!(export.cases.len(), 1);
    let images = helpers::ten_images();
    let first = &export.cases[0].prints[0];
    assert_eq!(first["finger"], "R1");
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(first["image_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, images[0]);

    t.centre
        .erase(&Actor::cli(), receipt.customer)
        .await
        .unwrap();
    let err = t
        .centre
        .export(&Actor::cli(), receipt.customer)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Erased { .. }), "{err}");
    assert!(err.to_string().contains("was erased on"), "{err}");
    let again = t
        .centre
        .erase(&Actor::cli(), receipt.customer)
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Erased { .. }), "{again}");
}

async fn rotation_keeps_data_readable(t: &TestCentre) {
    let person = Person::marked(3);
    let receipt = t.intake(&person).await;
    let mut centre = Centre::unlock(t.auditor().await, &t.master).await.unwrap();
    let rotated = centre.rotate_keys(&Actor::cli()).await.unwrap();
    assert!(
        rotated.iter().any(|k| k == "personal-data/v2"),
        "{rotated:?}"
    );
    let reopened = Centre::unlock(t.auditor().await, &t.master).await.unwrap();
    let export = reopened
        .export(&Actor::cli(), receipt.customer)
        .await
        .unwrap();
    assert_eq!(export.fields["full_name"], person.full_name);
    let after = reopened
        .intake(
            &Actor::cli(),
            &helpers::capture_of(&Person::marked(4)).0,
            helpers::capture_of(&Person::marked(4)).1,
        )
        .await
        .unwrap();
    assert!(reopened.export(&Actor::cli(), after.customer).await.is_ok());
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn sealing_follows_the_process(t: &TestCentre) {
    let receipt = t.intake(&Person::marked(1)).await;
    let sealed = t
        .centre
        .seal_case(&Actor::cli(), receipt.case)
        .await
        .unwrap();
    assert_eq!(sealed.state, CaseState::Sealed);
    let err = t
        .centre
        .seal_case(&Actor::cli(), receipt.case)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a case that is sealed cannot become sealed"),
        "{err}"
    );
    let view = t.centre.store().case_view(receipt.case).await.unwrap();
    let actions: Vec<&str> = view.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["case.intake", "case.seal"]);
    assert_eq!(view.prints.len(), 10);
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn wrong_master_key_opens_nothing(t: &TestCentre) {
    let other = vantay_vault::MasterKey::generate();
    let err = Centre::unlock(t.auditor().await, &other).await.unwrap_err();
    assert!(err.to_string().contains("another centre"), "{err}");
}

mod appointments;
mod customers;
mod exchange;
mod staff;

async fn reports_are_sealed_recorded_and_erased(t: &TestCentre) {
    let receipt = t.intake(&Person::marked(5)).await;
    let admin = t.centre.store().staff_by_username("admin").await.unwrap();
    let err = t
        .centre
        .report_material(&Actor::cli(), receipt.case)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("must be analysed first"), "{err}");
    t.make_analysed(receipt.case).await;
    let material = t
        .centre
        .report_material(&Actor::staff(admin.id), receipt.case)
        .await
        .unwrap();
    assert_eq!(material.fields["full_name"], Person::marked(5).full_name);
    assert_eq!(material.images.len(), 10);

    let pdf = b"%PDF-1.7 a report that names Nguyen".to_vec();
    let stored = t
        .centre
        .save_report(
            &Actor::staff(admin.id),
            receipt.case,
            &pdf,
            "example-2026-01",
            "ab12",
        )
        .await
        .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(
        t.centre
            .open_report(&admin, receipt.case, chrono::Utc::now())
            .await
            .unwrap(),
        pdf
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
    let view = t.centre.store().case_view(receipt.case).await.unwrap();
    let actions: Vec<&str> = view.history.iter().map(|h| h.action.as_str()).collect();
    assert!(
        actions.ends_with(&["report.render", "report.open"]),
        "{actions:?}"
    );

    t.centre
        .erase(&Actor::cli(), receipt.customer)
        .await
        .unwrap();
    let err = t
        .centre
        .open_report(&admin, receipt.case, chrono::Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert!(t
        .centre
        .store()
        .reports(receipt.case)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(t.problems().await, Vec::<String>::new());
}
