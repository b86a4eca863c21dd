//! Steps 5–8 on the store: review, booking with a counsellor, the release
//! three days before, the counsellor's window, the hand-over, and the staff
//! accounts they need. Times are passed in, so the window is tested at its
//! exact edges without waiting.

use chrono::{DateTime, Duration, Utc};
use vantay_domain::{CaseId, CaseState, Role, Staff};
use vantay_store::{Actor, IntakeReceipt, NewStaff, StoreError};

use super::helpers::{Engine, Person, TestCentre};

on_both_engines!(
    review_needs_an_analysed_case_with_a_report,
    scheduling_refuses_the_wrong_counsellor_or_case,
    release_due_moves_exactly_the_due_cases,
    the_counsellors_window_opens_three_days_before_and_closes_a_day_after_delivery,
    rescheduling_moves_the_window_and_erasure_removes_it,
    staff_accounts_need_a_signed_agreement,
);

pub(super) const PDF: &[u8] = b"%PDF-1.7 the report of a test customer";

/// Now, to the millisecond (what the store keeps).
pub(super) fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

pub(super) fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub(super) async fn admin(t: &TestCentre) -> Staff {
    t.centre.store().staff_by_username("admin").await.unwrap()
}

/// A staff account whose agreement was signed today and ends `valid_for` later.
pub(super) async fn staff(
    t: &TestCentre,
    username: &str,
    role: Role,
    valid_for: Duration,
) -> Staff {
    let today = Utc::now().date_naive();
    let new = NewStaff {
        username,
        role,
        agreement_version: "NDA-2026-01",
        agreement_signed_on: today,
        agreement_expires_on: today + valid_for,
    };
    let (staff, password) = t
        .centre
        .add_staff(&admin(t).await, &new, Utc::now())
        .await
        .unwrap();
    assert_eq!(password.len(), 16);
    staff
}

pub(super) async fn counsellor(t: &TestCentre, username: &str) -> Staff {
    staff(t, username, Role::Counsellor, days(365)).await
}

/// A case taken in, analysed (the exchange is tested elsewhere) and with a
/// rendered report.
pub(super) async fn analysed_with_report(t: &TestCentre, n: usize) -> IntakeReceipt {
    let receipt = t.intake(&Person::marked(n)).await;
    t.make_analysed(receipt.case).await;
    let admin = admin(t).await;
    t.centre
        .save_report(
            &Actor::staff(admin.id),
            receipt.case,
            PDF,
            "example-2026-01",
            "ab12",
        )
        .await
        .unwrap();
    receipt
}

pub(super) async fn reviewed(t: &TestCentre, n: usize) -> IntakeReceipt {
    let receipt = analysed_with_report(t, n).await;
    let summary = t
        .centre
        .review_case(&admin(t).await, receipt.case, Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.state, CaseState::Reviewed);
    receipt
}

pub(super) async fn state_of(t: &TestCentre, receipt: &IntakeReceipt) -> CaseState {
    t.centre
        .store()
        .case_summary(receipt.case)
        .await
        .unwrap()
        .state
}

pub(super) async fn actions(t: &TestCentre, receipt: &IntakeReceipt) -> Vec<(String, String)> {
    let view = t.centre.store().case_view(receipt.case).await.unwrap();
    view.history
        .into_iter()
        .map(|h| (h.action, h.actor))
        .collect()
}

pub(super) fn refused(result: Result<impl std::fmt::Debug, StoreError>, reason: &str) {
    match result {
        Err(StoreError::Refused(why)) => assert_eq!(why, reason),
        other => panic!("expected the refusal '{reason}', got {other:?}"),
    }
}

async fn review_needs_an_analysed_case_with_a_report(t: &TestCentre) {
    let admin = admin(t).await;
    let receipt = t.intake(&Person::marked(1)).await;
    let err = t
        .centre
        .review_case(&admin, receipt.case, Utc::now())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a case that is captured cannot become reviewed"),
        "{err}"
    );
    t.make_analysed(receipt.case).await;
    let err = t
        .centre
        .review_case(&admin, receipt.case, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoReport(_)), "{err}");
    assert!(err.to_string().contains("vantay report"), "{err}");
    assert_eq!(state_of(t, &receipt).await, CaseState::Analysed);

    t.centre
        .save_report(&Actor::staff(admin.id), receipt.case, PDF, "v", "ab")
        .await
        .unwrap();
    let c = counsellor(t, "tuvan").await;
    refused(
        t.centre.review_case(&c, receipt.case, Utc::now()).await,
        "only an admin reviews cases, books appointments and manages staff",
    );
    let summary = t
        .centre
        .review_case(&admin, receipt.case, Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.state, CaseState::Reviewed);
    let history = actions(t, &receipt).await;
    assert_eq!(
        history.last().unwrap(),
        &("case.review".to_owned(), format!("staff:{}", admin.id))
    );
    // The counsellor's attempt is in the ledger, under their name.
    assert!(history.contains(&("case.review.refused".to_owned(), format!("staff:{}", c.id))));
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn scheduling_refuses_the_wrong_counsellor_or_case(t: &TestCentre) {
    let admin = admin(t).await;
    let now = t0();
    let receipt = analysed_with_report(t, 2).await;
    let good = counsellor(t, "tuvan.lan").await;
    staff(t, "quet", Role::Scanner, days(365)).await;
    // The agreement ends five days from now, before an appointment in ten.
    staff(t, "tuvan.ngan", Role::Counsellor, days(5)).await;

    let err = t
        .centre
        .schedule(&admin, receipt.case, now + days(10), "tuvan.lan", now)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a case that is analysed cannot become scheduled"),
        "{err}"
    );
    t.centre
        .review_case(&admin, receipt.case, now)
        .await
        .unwrap();
    let at = now + days(10);
    for (who, reason) in [
        ("admin", "the account named is not a counsellor"),
        ("quet", "the account named is not a counsellor"),
        (
            "tuvan.ngan",
            "the counsellor's confidentiality agreement ends before the appointment",
        ),
    ] {
        refused(
            t.centre.schedule(&admin, receipt.case, at, who, now).await,
            reason,
        );
    }
    // Seven days on, that agreement has expired: even a near appointment is refused.
    refused(
        t.centre
            .schedule(&admin, receipt.case, at, "tuvan.ngan", now + days(7))
            .await,
        "the counsellor's confidentiality agreement is not valid today",
    );
    refused(
        t.centre
            .schedule(&admin, receipt.case, now - days(1), "tuvan.lan", now)
            .await,
        "the appointment time has already passed; give a time to come",
    );
    refused(
        t.centre
            .schedule(&good, receipt.case, at, "tuvan.lan", now)
            .await,
        "only an admin reviews cases, books appointments and manages staff",
    );
    let err = t
        .centre
        .schedule(&admin, receipt.case, at, "nobody", now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoStaff(_)), "{err}");
    // Nothing of the refused attempts was written, but each policy refusal
    // is in the ledger (not the unknown name: nobody was refused anything).
    let history = actions(t, &receipt).await;
    let refusals = history
        .iter()
        .filter(|(a, _)| a == "appointment.book.refused")
        .count();
    assert_eq!(refusals, 6, "{history:?}");
    assert_eq!(state_of(t, &receipt).await, CaseState::Reviewed);
    assert_eq!(
        t.centre.store().appointment(receipt.case).await.unwrap(),
        None
    );

    let booked = t
        .centre
        .schedule(&admin, receipt.case, at, "tuvan.lan", now)
        .await
        .unwrap();
    assert_eq!(booked.state, CaseState::Scheduled);
    assert_eq!(booked.appointment.starts_at, at);
    assert_eq!(booked.appointment.release_at, at - days(3));
    assert_eq!(booked.appointment.counsellor, good.id);
    assert_eq!(booked.appointment.version, 1);
    assert_eq!(booked.appointment.booked_by, format!("staff:{}", admin.id));
    let view = t.centre.store().case_view(receipt.case).await.unwrap();
    assert_eq!(view.appointment.as_ref(), Some(&booked.appointment));
    assert_eq!(
        actions(t, &receipt).await.last().unwrap().0,
        "appointment.book"
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn release_due_moves_exactly_the_due_cases(t: &TestCentre) {
    let admin = admin(t).await;
    let now = t0();
    counsellor(t, "tuvan").await;
    let (a, b, c) = (
        reviewed(t, 3).await,
        reviewed(t, 4).await,
        reviewed(t, 5).await,
    );
    let unbooked = reviewed(t, 6).await;
    for (case, in_days) in [(&a, 10), (&b, 5), (&c, 4)] {
        let booked = t
            .centre
            .schedule(&admin, case.case, now + days(in_days), "tuvan", now)
            .await
            .unwrap();
        assert_eq!(booked.state, CaseState::Scheduled);
    }
    let none: Vec<CaseId> = Vec::new();
    assert_eq!(t.centre.release_due(now).await.unwrap(), none);
    // C's appointment is four days away: its release is one day from now, not a millisecond earlier.
    let c_release = now + days(1);
    assert_eq!(
        t.centre
            .release_due(c_release - Duration::milliseconds(1))
            .await
            .unwrap(),
        none
    );
    assert_eq!(t.centre.release_due(c_release).await.unwrap(), [c.case]);
    assert_eq!(t.centre.release_due(c_release).await.unwrap(), none);
    assert_eq!(t.centre.release_due(now + days(2)).await.unwrap(), [b.case]);
    assert_eq!(state_of(t, &a).await, CaseState::Scheduled);
    assert_eq!(state_of(t, &b).await, CaseState::ReleasedToCounsellor);
    assert_eq!(state_of(t, &c).await, CaseState::ReleasedToCounsellor);
    assert_eq!(state_of(t, &unbooked).await, CaseState::Reviewed);
    assert_eq!(
        actions(t, &c).await.last().unwrap(),
        &("case.release".to_owned(), "system:scheduler".to_owned())
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn the_counsellors_window_opens_three_days_before_and_closes_a_day_after_delivery(
    t: &TestCentre,
) {
    let admin = admin(t).await;
    let now = t0();
    let lan = counsellor(t, "tuvan.lan").await;
    let ngan = counsellor(t, "tuvan.ngan").await;
    let receipt = reviewed(t, 7).await;
    let case = receipt.case;
    let at = now + days(10);
    refused(
        t.centre.open_report(&lan, case, now).await,
        "no appointment is booked",
    );
    t.centre
        .schedule(&admin, case, at, "tuvan.lan", now)
        .await
        .unwrap();

    let opens = at - days(3);
    refused(
        t.centre
            .open_report(&lan, case, opens - Duration::milliseconds(1))
            .await,
        "the report is released three days before the appointment",
    );
    assert_eq!(state_of(t, &receipt).await, CaseState::Scheduled);
    refused(
        t.centre.open_report(&ngan, case, opens).await,
        "the appointment names another counsellor",
    );
    // Opening at the release time finds the case released (by the clock, not by hand).
    assert_eq!(t.centre.open_report(&lan, case, opens).await.unwrap(), PDF);
    assert_eq!(state_of(t, &receipt).await, CaseState::ReleasedToCounsellor);

    refused(
        t.centre.deliver(&ngan, case, at).await,
        "the appointment names another counsellor",
    );
    let delivered = t.centre.deliver(&lan, case, at).await.unwrap();
    assert_eq!(delivered.state, CaseState::Delivered);
    assert_eq!(delivered.appointment.delivered_at, Some(at));
    assert_eq!(
        delivered.appointment.delivered_by,
        Some(format!("staff:{}", lan.id))
    );
    let err = t.centre.deliver(&lan, case, at).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("a case that is delivered cannot become delivered"),
        "{err}"
    );

    let ends = at + days(1);
    assert_eq!(t.centre.open_report(&lan, case, ends).await.unwrap(), PDF);
    refused(
        t.centre
            .open_report(&lan, case, ends + Duration::milliseconds(1))
            .await,
        "access ended one day after delivery",
    );
    assert_eq!(
        t.centre
            .open_report(&admin, case, ends + days(30))
            .await
            .unwrap(),
        PDF
    );

    let history = actions(t, &receipt).await;
    let count = |action: &str| history.iter().filter(|(a, _)| a == action).count();
    assert_eq!(count("report.open.refused"), 4, "{history:?}");
    assert_eq!(count("report.deliver.refused"), 1, "{history:?}");
    assert_eq!(
        history
            .iter()
            .filter(|(a, who)| a == "report.open" && *who == format!("staff:{}", lan.id))
            .count(),
        2
    );
    assert!(history.contains(&("case.release".to_owned(), "system:scheduler".to_owned())));
    assert!(history.contains(&("report.deliver".to_owned(), format!("staff:{}", lan.id))));
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn rescheduling_moves_the_window_and_erasure_removes_it(t: &TestCentre) {
    let admin = admin(t).await;
    let now = t0();
    let lan = counsellor(t, "tuvan.lan").await;
    let ngan = counsellor(t, "tuvan.ngan").await;
    let receipt = reviewed(t, 8).await;
    let case = receipt.case;
    let first = t
        .centre
        .schedule(&admin, case, now + days(10), "tuvan.lan", now)
        .await
        .unwrap();
    assert_eq!(
        (first.state, first.appointment.version),
        (CaseState::Scheduled, 1)
    );
    // Moved to two days from now: the release time has passed, so it is released at once.
    let sooner = t
        .centre
        .schedule(&admin, case, now + days(2), "tuvan.lan", now)
        .await
        .unwrap();
    assert_eq!(
        (sooner.state, sooner.appointment.version),
        (CaseState::ReleasedToCounsellor, 2)
    );
    assert_eq!(t.centre.open_report(&lan, case, now).await.unwrap(), PDF);
    let history = actions(t, &receipt).await;
    let tail: Vec<&str> = history[history.len() - 3..]
        .iter()
        .map(|(a, _)| a.as_str())
        .collect();
    assert_eq!(
        tail,
        ["appointment.reschedule", "case.release", "report.open"]
    );

    // Moved later, to another counsellor: released → scheduled, and the
    // window closes for both until three days before the new time.
    let later = t
        .centre
        .schedule(&admin, case, now + days(20), "tuvan.ngan", now)
        .await
        .unwrap();
    assert_eq!(
        (later.state, later.appointment.version),
        (CaseState::Scheduled, 3)
    );
    refused(
        t.centre.open_report(&lan, case, now).await,
        "the appointment names another counsellor",
    );
    refused(
        t.centre.open_report(&ngan, case, now).await,
        "the report is released three days before the appointment",
    );
    let err = t.centre.deliver(&admin, case, now).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("a case that is scheduled cannot become delivered"),
        "{err}"
    );
    assert_eq!(
        t.centre
            .open_report(&ngan, case, now + days(17))
            .await
            .unwrap(),
        PDF
    );
    // An admin may record the hand-over too.
    let delivered = t
        .centre
        .deliver(&admin, case, now + days(20))
        .await
        .unwrap();
    assert_eq!(delivered.appointment.version, 3);
    let err = t
        .centre
        .schedule(&admin, case, now + days(30), "tuvan.ngan", now + days(20))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a case that is delivered cannot become scheduled"),
        "{err}"
    );
    // Every version stays stored as the ledger recorded it.
    assert_eq!(t.problems().await, Vec::<String>::new());

    t.centre
        .erase(&Actor::cli(), receipt.customer)
        .await
        .unwrap();
    assert_eq!(t.centre.store().appointment(case).await.unwrap(), None);
    refused(
        t.centre.open_report(&ngan, case, now + days(20)).await,
        "the customer's data was erased",
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn staff_accounts_need_a_signed_agreement(t: &TestCentre) {
    let admin = admin(t).await;
    let now = Utc::now();
    let today = now.date_naive();
    let new = |username, role, signed_on, expires_on| NewStaff {
        username,
        role,
        agreement_version: "NDA-2026-01",
        agreement_signed_on: signed_on,
        agreement_expires_on: expires_on,
    };
    let year = today + days(365);
    for (attempt, wanted) in [
        (
            new("Lan Anh", Role::Counsellor, today, year),
            "is not a username",
        ),
        (
            new("lan", Role::Counsellor, today + days(1), year),
            "is in the future",
        ),
        (
            new("lan", Role::Counsellor, today - days(400), today - days(35)),
            "ended on",
        ),
        (
            new("lan", Role::Analyst, today, year),
            "analysis-center analyst add",
        ),
    ] {
        let err = t.centre.add_staff(&admin, &attempt, now).await.unwrap_err();
        assert!(err.to_string().contains(wanted), "{err}");
    }
    let (lan, _) = t
        .centre
        .add_staff(&admin, &new("lan", Role::Counsellor, today, year), now)
        .await
        .unwrap();
    assert_eq!(lan.agreement.as_ref().unwrap().expires_on, year);
    let err = t
        .centre
        .add_staff(&admin, &new("lan", Role::Auditor, today, year), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::StaffExists(_)), "{err}");
    refused(
        t.centre
            .add_staff(&lan, &new("minh", Role::Counsellor, today, year), now)
            .await,
        "only an admin reviews cases, books appointments and manages staff",
    );
    // There is no account "minh" to record the attempt on: it is on Lan's.
    let lans: Vec<String> = t
        .centre
        .store()
        .staff_history(lan.id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| format!("{} by {}", h.action, h.actor))
        .collect();
    assert_eq!(
        lans,
        [
            format!("staff.create by staff:{}", admin.id),
            format!("staff.add.refused by staff:{}", lan.id),
        ]
    );
    let names: Vec<(String, Role)> = t
        .centre
        .store()
        .staff_list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.username, s.role))
        .collect();
    assert_eq!(
        names,
        [
            ("admin".to_owned(), Role::Admin),
            ("lan".to_owned(), Role::Counsellor)
        ]
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}
