//! Analyst accounts, logins, sessions and login throttling, on SQLite and
//! on PostgreSQL when `VANTAY_TEST_POSTGRES_URL` is set. Time is passed in,
//! so expiry and locks are tested without waiting.

use chrono::{Duration, NaiveDate, Utc};
use vantay_analysis::{
    AnalysisCentre, AnalystError, IDLE_MINUTES, LOCK_MINUTES, MAX_FAILURES, SESSION_HOURS,
};
use vantay_vault::MasterKey;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let lab = AnalysisCentre::init(dir.path(), None, &MasterKey::generate(), "lab-1")
        .await
        .unwrap();
    accounts(&lab).await;
    sessions(&lab).await;
    throttling(&lab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysts_on_postgres() {
    let Some(database) = vantay_testkit::ScratchDatabase::create("vantay_analysts_test").await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lab = AnalysisCentre::init(
        dir.path(),
        Some(&database.url),
        &MasterKey::generate(),
        "lab-pg",
    )
    .await
    .unwrap();
    accounts(&lab).await;
    sessions(&lab).await;
    throttling(&lab).await;
    lab.close().await;
    database.remove().await;
}

/// Creating accounts: the agreement date is required and checked, names
/// are checked, and the one-time password logs in once it is replaced.
async fn accounts(lab: &AnalysisCentre) {
    let now = Utc::now();
    let tomorrow = now.date_naive() + Duration::days(1);
    let err = lab
        .add_analyst("lan", "Nguyễn Thị Lan", tomorrow, now)
        .await
        .unwrap_err();
    assert!(matches!(err, AnalystError::AgreementInFuture(_)), "{err}");
    for bad in ["x", "Lan Nguyen", "auto", "9lan"] {
        let err = lab
            .add_analyst(bad, "Lan", date("2026-01-05"), now)
            .await
            .unwrap_err();
        assert!(matches!(err, AnalystError::BadUsername(_)), "{bad}: {err}");
    }
    let err = lab
        .add_analyst("lan", "  ", date("2026-01-05"), now)
        .await
        .unwrap_err();
    assert!(matches!(err, AnalystError::BadDisplayName), "{err}");

    let (lan, one_time) = lab
        .add_analyst("Lan", "Nguyễn Thị Lan", date("2026-01-05"), now)
        .await
        .unwrap();
    assert_eq!(lan.username, "lan", "usernames are lower-cased");
    assert!(lan.must_change_password);
    assert_eq!(one_time.expose().len(), 16);
    let err = lab
        .add_analyst("lan", "Another Lan", date("2026-01-05"), now)
        .await
        .unwrap_err();
    assert!(matches!(err, AnalystError::Exists(_)), "{err}");
    let listed = lab.analysts().await.unwrap();
    assert_eq!(listed, vec![lan.clone()]);
    assert_eq!(listed[0].agreement_signed, date("2026-01-05"));

    // The one-time password opens a session that must replace it first.
    let (token, session) = lab.login("lan", one_time.expose(), now).await.unwrap();
    assert!(session.must_change_password);
    assert_eq!(session.display_name, "Nguyễn Thị Lan");
    let err = lab
        .change_password(token.expose(), one_time.expose(), "short", now)
        .await
        .unwrap_err();
    assert!(matches!(err, AnalystError::WeakPassword), "{err}");
    let err = lab
        .change_password(token.expose(), "wrong current", "a long new password", now)
        .await
        .unwrap_err();
    assert!(matches!(err, AnalystError::LoginRefused), "{err}");
    lab.change_password(token.expose(), one_time.expose(), "mật khẩu của Lan", now)
        .await
        .unwrap();
    let session = lab.session(token.expose(), now).await.unwrap().unwrap();
    assert!(!session.must_change_password);
    assert!(!lab.analysts().await.unwrap()[0].must_change_password);
    let err = lab.login("lan", one_time.expose(), now).await.unwrap_err();
    assert!(
        matches!(err, AnalystError::LoginRefused),
        "the one-time password is spent"
    );
    lab.login("LAN", "mật khẩu của Lan", now).await.unwrap();

    // A reset gives a new one-time password and ends every session.
    let again = lab.reset_analyst_password("lan").await.unwrap();
    assert!(lab.session(token.expose(), now).await.unwrap().is_none());
    let (_, session) = lab.login("lan", again.expose(), now).await.unwrap();
    assert!(session.must_change_password);
    let err = lab.reset_analyst_password("nobody").await.unwrap_err();
    assert!(matches!(err, AnalystError::Unknown(_)), "{err}");
}

/// Sessions end when idle, at their absolute end, and at logout.
async fn sessions(lab: &AnalysisCentre) {
    let now = Utc::now();
    let (_, password) = lab
        .add_analyst("minh", "Trần Văn Minh", date("2026-02-01"), now)
        .await
        .unwrap();
    let login = |at| lab.login("minh", password.expose(), at);

    let (a, session_a) = login(now).await.unwrap();
    let (b, session_b) = login(now).await.unwrap();
    assert_ne!(a.expose(), b.expose());
    assert_ne!(session_a.csrf_token(), session_b.csrf_token());
    assert!(session_a.csrf_matches(session_a.csrf_token()));
    assert!(!session_a.csrf_matches(session_b.csrf_token()));
    assert!(lab.session("not-a-token", now).await.unwrap().is_none());

    // Idle too long: gone, and stays gone.
    let idle = now + Duration::minutes(IDLE_MINUTES) + Duration::seconds(1);
    assert!(lab.session(a.expose(), idle).await.unwrap().is_none());
    assert!(lab.session(a.expose(), now).await.unwrap().is_none());

    // Used every 20 minutes, it lives until its absolute end.
    let mut at = now;
    while at + Duration::minutes(20) < now + Duration::hours(SESSION_HOURS) {
        at += Duration::minutes(20);
        assert!(lab.session(b.expose(), at).await.unwrap().is_some(), "{at}");
    }
    let end = now + Duration::hours(SESSION_HOURS);
    assert!(lab.session(b.expose(), end).await.unwrap().is_none());

    let (c, _) = login(now).await.unwrap();
    lab.logout(c.expose()).await.unwrap();
    assert!(lab.session(c.expose(), now).await.unwrap().is_none());
}

/// Failed logins lock a username, known or not, for a while that doubles.
async fn throttling(lab: &AnalysisCentre) {
    let now = Utc::now();
    let (_, password) = lab
        .add_analyst("hoa", "Phạm Thị Hoa", date("2026-03-01"), now)
        .await
        .unwrap();
    for _ in 0..MAX_FAILURES {
        let err = lab.login("hoa", "guess", now).await.unwrap_err();
        assert!(matches!(err, AnalystError::LoginRefused), "{err}");
    }
    // Locked: even the right password is refused until the lock ends.
    let err = lab.login("hoa", password.expose(), now).await.unwrap_err();
    let AnalystError::Throttled(until) = err else {
        panic!("expected a lock, got {err}")
    };
    assert!(until > now + Duration::minutes(LOCK_MINUTES - 1));
    assert!(until <= now + Duration::minutes(LOCK_MINUTES) + Duration::seconds(1));
    // One more failure after the lock doubles it.
    let later = until + Duration::seconds(1);
    lab.login("hoa", "guess", later).await.unwrap_err();
    let Err(AnalystError::Throttled(until2)) = lab.login("hoa", password.expose(), later).await
    else {
        panic!("expected a longer lock")
    };
    assert!(until2 >= later + Duration::minutes(2 * LOCK_MINUTES) - Duration::seconds(1));
    // After it, the right password works and clears the count.
    let after = until2 + Duration::seconds(1);
    lab.login("hoa", password.expose(), after).await.unwrap();
    let err = lab.login("hoa", "guess", after).await.unwrap_err();
    assert!(matches!(err, AnalystError::LoginRefused), "{err}");

    // Unknown names are counted and locked the same way, with the same answer.
    for _ in 0..MAX_FAILURES {
        let err = lab.login("ghost", "guess", now).await.unwrap_err();
        assert!(matches!(err, AnalystError::LoginRefused), "{err}");
    }
    let err = lab.login("ghost", "guess", now).await.unwrap_err();
    assert!(matches!(err, AnalystError::Throttled(_)), "{err}");
}
