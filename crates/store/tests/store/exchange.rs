//! The centre's side of the exchange: dispatch, and every way a result can
//! be refused. The analysis centre is played here by a bare `CentreKeys`, so
//! that results can be forged in every wrong way; the real analysis centre
//! runs against this store in `vantay-analysis`'s and the CLI's tests.

use chrono::{DateTime, Duration, Utc};
use vantay_domain::{CaseId, CaseState, Finger};
use vantay_exchange::{
    FingerOutcome, FingerResult, PatternClass, Reading, ResultPayload, WorkPayload,
};
use vantay_store::{Actor, ExchangeError};
use vantay_vault::{open_package, seal_package, CentreKeys, PackageError, PackageHeader};

use super::helpers::{contains, Engine, Person, TestCentre};

on_both_engines!(
    package_round_trip_and_result_import,
    package_holds_no_personal_data,
    refusals_are_explained_and_recorded,
    rescan_sends_the_case_back_to_capture,
    withdrawn_consent_stops_dispatch,
    withdrawal_holds_back_a_package_waiting_to_be_pulled,
    an_expired_package_is_replaced_and_its_late_result_refused,
);

struct Lab {
    keys: CentreKeys,
}

impl Lab {
    fn new(name: &str) -> Lab {
        Lab {
            keys: CentreKeys::generate(name).unwrap(),
        }
    }

    fn open(
        &self,
        t: &TestCentre,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> (PackageHeader, WorkPayload) {
        let centre = vantay_vault::PublicIdentity::parse(&t.centre.identity_line()).unwrap();
        let (header, payload) = open_package(bytes, &self.keys, &[centre], now)
            .unwrap()
            .into_parts();
        (header, WorkPayload::from_bytes(&payload).unwrap())
    }

    /// A result for `work` made at `at`, answering every finger in `fingers`.
    fn answer(
        &self,
        t: &TestCentre,
        work: &PackageHeader,
        fingers: &[Finger],
        at: DateTime<Utc>,
    ) -> Vec<u8> {
        let centre = vantay_vault::PublicIdentity::parse(&t.centre.identity_line()).unwrap();
        let result = ResultPayload::new(
            &work.pseudonym,
            "analyst-1",
            "vantay-print 0.1.0",
            fingers.iter().map(|&finger| analysed(finger)).collect(),
        );
        let header = PackageHeader {
            sender: self.keys.public().fingerprint(),
            ..PackageHeader::result_for(work, at, Duration::days(14))
        };
        seal_package(&header, &result.to_bytes(), &self.keys, &centre).unwrap()
    }
}

fn analysed(finger: Finger) -> FingerResult {
    FingerResult {
        finger,
        outcome: FingerOutcome::Analysed(Reading {
            class: PatternClass::W,
            subtype: "plain_whorl".into(),
            confidence: 0.8,
            cores: vec![],
            deltas: vec![],
            ridge_counts: vec![12, 9],
            quality: 70,
            reviewed: true,
        }),
    }
}

/// A sealed case and a pinned lab.
async fn sealed_case(t: &TestCentre, lab: &Lab, person: &Person) -> CaseId {
    let receipt = t.intake(person).await;
    t.centre
        .seal_case(&Actor::cli(), receipt.case)
        .await
        .unwrap();
    if t.centre.store().partners().await.unwrap().is_empty() {
        t.centre
            .add_partner(&Actor::cli(), "lab", &lab.keys.public())
            .await
            .unwrap();
    }
    receipt.case
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

async fn package_round_trip_and_result_import(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let case = sealed_case(t, &lab, &Person::marked(1)).await;
    let sent = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", now())
        .await
        .unwrap();
    assert_eq!(sent.fingers.len(), 10);
    let summary = t.centre.store().case_summary(case).await.unwrap();
    assert_eq!(summary.state, CaseState::Dispatched);

    let (work, payload) = lab.open(t, &sent.bytes, now());
    assert_eq!(work.id, sent.id);
    assert_eq!(payload.pseudonym, summary.pseudonym);
    assert_eq!(payload.age_band, "7-11");
    assert_eq!(payload.fingers(), Finger::ALL.to_vec());
    assert_eq!(
        payload.prints[0].wsq,
        super::helpers::ten_images()[0],
        "WSQ passes through"
    );

    let result = lab.answer(t, &work, &Finger::ALL, now());
    let receipt = t
        .centre
        .import_result(&Actor::cli(), &result, now())
        .await
        .unwrap();
    assert_eq!((receipt.case, receipt.package), (case, sent.id));
    assert_eq!(receipt.state, CaseState::Analysed);
    let stored = t
        .centre
        .analysis_result(&Actor::cli(), case)
        .await
        .unwrap()
        .expect("a result");
    assert_eq!(stored.fingers.len(), 10);
    assert_eq!(stored.analyst, "analyst-1");
    let history: Vec<String> = t
        .centre
        .store()
        .case_view(case)
        .await
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.action)
        .collect();
    assert_eq!(
        history,
        ["case.intake", "case.seal", "case.dispatch", "case.analysed"]
    );
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);

    // Erasure takes the result rows with it, and verify still passes.
    let customer = t.centre.store().case_summary(case).await.unwrap().customer;
    t.centre.erase(&Actor::cli(), customer).await.unwrap();
    let pool = t.raw().await;
    let left: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM results")
            .fetch_one(&pool)
            .await
            .unwrap(),
        "n",
    );
    pool.close().await;
    assert_eq!(left, 0);
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);
}

async fn package_holds_no_personal_data(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let person = Person::marked(7);
    let case = sealed_case(t, &lab, &person).await;
    let sent = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", now())
        .await
        .unwrap();
    let (_, payload) = lab.open(t, &sent.bytes, now());
    let opened = payload.to_bytes();
    let born_forms = ["2015-03-12", "12/03/2015", "20150312", "12-03-2015"];
    let mut markers: Vec<String> = vec![
        person.full_name.clone(),
        person.phone.clone(),
        person.phone[1..].to_owned(),
        person.guardian.clone(),
        "Đánhdấu".into(),
        "Giámhộ".into(),
    ];
    markers.extend(born_forms.iter().map(|s| s.to_string()));
    for marker in &markers {
        for (what, bytes) in [("sealed package", &sent.bytes), ("opened payload", &opened)] {
            assert!(
                !contains(bytes, marker.as_bytes()),
                "{what} holds {marker:?}"
            );
        }
    }
    let json: serde_json::Value = serde_json::from_slice(&opened).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["age_band", "kind", "prints", "pseudonym", "sex"]);
}

async fn refusals_are_explained_and_recorded(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let other = Lab::new("lab-2");
    let case = sealed_case(t, &lab, &Person::marked(2)).await;
    t.centre
        .add_partner(&Actor::cli(), "lab-b", &other.keys.public())
        .await
        .unwrap();
    let sent = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", now())
        .await
        .unwrap();
    let (work, _) = lab.open(t, &sent.bytes, now());
    let import = |bytes: Vec<u8>, at: DateTime<Utc>| async move {
        t.centre
            .import_result(&Actor::cli(), &bytes, at)
            .await
            .unwrap_err()
    };

    // A flipped byte anywhere: refused before anything is decrypted.
    let good = lab.answer(t, &work, &Finger::ALL, now());
    for i in [20, good.len() / 2, good.len() - 3] {
        let mut bad = good.clone();
        bad[i] ^= 0x40;
        let err = import(bad, now()).await;
        assert!(matches!(err, ExchangeError::Package(_)), "byte {i}: {err}");
    }
    // Signed by a pinned partner the package did not go to.
    let err = import(other.answer(t, &work, &Finger::ALL, now()), now()).await;
    assert!(matches!(err, ExchangeError::WrongSigner { .. }), "{err}");
    // Signed by a key nobody pinned.
    let stranger = Lab::new("lab-x");
    let err = import(stranger.answer(t, &work, &Finger::ALL, now()), now()).await;
    assert!(
        matches!(err, ExchangeError::Package(PackageError::UnknownSender(_))),
        "{err}"
    );
    // A result for a package never sent.
    let invented = PackageHeader::work(
        &vantay_vault::PublicIdentity::parse(&t.centre.identity_line()).unwrap(),
        &lab.keys.public(),
        &work.pseudonym,
        now(),
        Duration::days(30),
    );
    let err = import(lab.answer(t, &invented, &Finger::ALL, now()), now()).await;
    assert!(
        matches!(err, ExchangeError::UnknownPackage(id) if id == invented.id),
        "{err}"
    );
    // Not exactly the package's fingers.
    let err = import(lab.answer(t, &work, &Finger::ALL[..9], now()), now()).await;
    assert!(matches!(err, ExchangeError::FingersDiffer { .. }), "{err}");
    // After the package expired (the result itself is still valid).
    let late = work.expires - Duration::days(1);
    let err = import(
        lab.answer(t, &work, &Finger::ALL, late),
        work.expires + Duration::hours(1),
    )
    .await;
    assert!(matches!(err, ExchangeError::PackageExpired { .. }), "{err}");
    assert_eq!(
        t.centre.store().case_summary(case).await.unwrap().state,
        CaseState::Dispatched,
        "no refusal moved the case"
    );

    // Accepted once; the same bytes again are a replay.
    t.centre
        .import_result(&Actor::cli(), &good, now())
        .await
        .unwrap();
    let err = import(good.clone(), now()).await;
    assert!(
        matches!(err, ExchangeError::AlreadyAnswered { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("accepted once"), "{err}");

    let history: Vec<String> = t
        .centre
        .store()
        .case_view(case)
        .await
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.action)
        .collect();
    for refusal in [
        "result.refused.wrong-signer",
        "result.refused.fingers-differ",
        "result.refused.package-expired",
        "result.refused.replayed",
    ] {
        assert!(
            history.iter().any(|a| a == refusal),
            "{refusal} in {history:?}"
        );
    }
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);
}

async fn rescan_sends_the_case_back_to_capture(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let case = sealed_case(t, &lab, &Person::marked(3)).await;
    let sent = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", now())
        .await
        .unwrap();
    let (work, _) = lab.open(t, &sent.bytes, now());
    let centre = vantay_vault::PublicIdentity::parse(&t.centre.identity_line()).unwrap();
    let mut fingers: Vec<FingerResult> = Finger::ALL.iter().map(|&f| analysed(f)).collect();
    fingers[3].outcome = FingerOutcome::Rescan {
        reason: "smudged on the left side".into(),
    };
    let result = ResultPayload::new(&work.pseudonym, "analyst-1", "vantay-print 0.1.0", fingers);
    let header = PackageHeader::result_for(&work, now(), Duration::days(14));
    let bytes = seal_package(&header, &result.to_bytes(), &lab.keys, &centre).unwrap();
    let receipt = t
        .centre
        .import_result(&Actor::cli(), &bytes, now())
        .await
        .unwrap();
    assert_eq!(receipt.state, CaseState::Captured);
    assert_eq!(receipt.rescan, vec![Finger::ALL[3]]);
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);
}

async fn withdrawn_consent_stops_dispatch(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let case = sealed_case(t, &lab, &Person::marked(4)).await;
    let err = t
        .centre
        .dispatch(&Actor::cli(), case, "nobody", now())
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::NoPartner(_)), "{err}");
    let withdrawal = t
        .centre
        .withdraw_consent(
            &Actor::cli(),
            t.centre.store().case_summary(case).await.unwrap().customer,
        )
        .await
        .unwrap();
    assert!(withdrawal.packages_held_back.is_empty());
    // Withdrawn once, there is nothing left to withdraw.
    assert!(matches!(
        t.centre
            .withdraw_consent(&Actor::cli(), withdrawal.customer)
            .await,
        Err(vantay_store::StoreError::NoConsentInForce(_))
    ));
    let err = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExchangeError::NoConsent(c) if c == case),
        "{err}"
    );
    assert_eq!(
        t.centre.store().case_summary(case).await.unwrap().state,
        CaseState::Sealed
    );
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);
}

async fn withdrawal_holds_back_a_package_waiting_to_be_pulled(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let case = sealed_case(t, &lab, &Person::marked(5)).await;
    let package = t
        .centre
        .dispatch_for_pull(&Actor::cli(), case, "lab", now())
        .await
        .unwrap();
    let lab_fingerprint = lab.keys.public().fingerprint();
    let waiting = t
        .centre
        .waiting_packages(lab_fingerprint, now())
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].id, package.id);
    let customer = t.centre.store().case_summary(case).await.unwrap().customer;
    let withdrawal = t
        .centre
        .withdraw_consent(&Actor::cli(), customer)
        .await
        .unwrap();
    assert_eq!(withdrawal.packages_held_back, vec![package.id]);
    assert!(withdrawal.packages_already_sent.is_empty());
    assert!(t
        .centre
        .waiting_packages(lab_fingerprint, now())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        t.centre
            .fetch_waiting_package(&Actor::cli(), lab_fingerprint, package.id, now())
            .await
            .unwrap(),
        None
    );
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);
}

async fn an_expired_package_is_replaced_and_its_late_result_refused(t: &TestCentre) {
    if super::helpers::sd14_dir().is_none() {
        return; // dispatch decodes real prints; the reason is printed
    }
    let lab = Lab::new("lab-1");
    let case = sealed_case(t, &lab, &Person::marked(6)).await;
    let long_ago = now() - Duration::days(vantay_store::PACKAGE_VALIDITY_DAYS + 1);
    let first = t
        .centre
        .dispatch_for_pull(&Actor::cli(), case, "lab", long_ago)
        .await
        .unwrap();
    // While a package is open the case is not sent twice.
    let fresh = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", long_ago)
        .await
        .unwrap_err();
    assert!(matches!(fresh, ExchangeError::StillOpen { .. }), "{fresh}");
    // Once it expired unanswered, the case goes again in a new package.
    let second = t
        .centre
        .dispatch(&Actor::cli(), case, "lab", now())
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(
        t.centre.store().case_summary(case).await.unwrap().state,
        CaseState::Dispatched
    );
    let fingerprint = lab.keys.public().fingerprint();
    assert!(t
        .centre
        .waiting_packages(fingerprint, long_ago)
        .await
        .unwrap()
        .is_empty());
    // A late answer to the first package is refused as expired, even if it
    // claims to be made in time; the answer to the second is taken.
    let (header, work) = lab.open(t, &first.bytes, long_ago);
    let late = lab.answer(t, &header, &work.fingers(), long_ago);
    let err = t
        .centre
        .import_result(&Actor::cli(), &late, long_ago)
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::PackageExpired { .. }), "{err}");
    let (header, work) = lab.open(t, &second.bytes, now());
    let answer = lab.answer(t, &header, &work.fingers(), now());
    t.centre
        .import_result(&Actor::cli(), &answer, now())
        .await
        .unwrap();
    assert!(t.problems().await.is_empty(), "{:?}", t.problems().await);
}
