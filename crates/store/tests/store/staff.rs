//! Staff accounts over their life: an agreement renewed when it runs out,
//! an account disabled when its holder leaves and enabled again. Each change
//! and each refused attempt is a ledger event on the account; a disabled
//! account is refused wherever the policy asks for a valid agreement.

use vantay_domain::{Role, Staff, StaffStatus};
use vantay_store::{NewAgreement, NewStaff, StoreError};

use super::appointments::{actions, admin, counsellor, days, refused, reviewed, staff, t0, PDF};
use super::helpers::{Engine, TestCentre};

on_both_engines!(
    an_admin_renews_an_agreement_and_others_are_refused,
    a_disabled_account_is_refused_everywhere_until_enabled,
    the_key_file_lets_an_admin_back_in_only_when_no_admin_can_act,
);

const ADMIN_ONLY: &str = "only an admin reviews cases, books appointments and manages staff";
const DISABLED: &str = "the account is disabled";

/// `staff`'s ledger events as (action, actor).
async fn history(t: &TestCentre, staff: &Staff) -> Vec<(String, String)> {
    t.centre
        .store()
        .staff_history(staff.id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.action, h.actor))
        .collect()
}

/// The account as stored now (what the command line reads for each command).
async fn fresh(t: &TestCentre, username: &str) -> Staff {
    t.centre.store().staff_by_username(username).await.unwrap()
}

async fn an_admin_renews_an_agreement_and_others_are_refused(t: &TestCentre) {
    let admin = admin(t).await;
    let now = t0();
    let today = now.date_naive();
    // Lan's agreement ends in five days: she cannot be booked in ten.
    let lan = staff(t, "tuvan.lan", Role::Counsellor, days(5)).await;
    let ngan = counsellor(t, "tuvan.ngan").await;
    let receipt = reviewed(t, 1).await;
    let at = now + days(10);
    refused(
        t.centre
            .schedule(&admin, receipt.case, at, "tuvan.lan", now)
            .await,
        "the counsellor's confidentiality agreement ends before the appointment",
    );

    let renewal = |signed_on, expires_on| NewAgreement {
        version: "NDA-2027-01",
        signed_on,
        expires_on,
    };
    // Only an admin records it; the attempt is on Lan's account, under Ngân's name.
    refused(
        t.centre
            .renew_agreement(&ngan, "tuvan.lan", &renewal(today, today + days(365)), now)
            .await,
        ADMIN_ONLY,
    );
    for (bad, wanted) in [
        (renewal(today, today - days(1)), "cannot end"),
        (renewal(today - days(400), today - days(35)), "ended on"),
        (
            renewal(today + days(1), today + days(365)),
            "is in the future",
        ),
        (
            NewAgreement {
                version: " ",
                ..renewal(today, today + days(365))
            },
            "document version",
        ),
    ] {
        let err = t
            .centre
            .renew_agreement(&admin, "tuvan.lan", &bad, now)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::StaffInput(_)), "{err}");
        assert!(err.to_string().contains(wanted), "{err}");
    }
    let err = t
        .centre
        .renew_agreement(&admin, "nobody", &renewal(today, today + days(9)), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoStaff(_)), "{err}");
    // Nothing of the refused or wrong attempts was written.
    assert_eq!(fresh(t, "tuvan.lan").await.agreement, lan.agreement);

    let renewed = t
        .centre
        .renew_agreement(&admin, "tuvan.lan", &renewal(today, today + days(365)), now)
        .await
        .unwrap();
    let agreement = renewed.agreement.clone().unwrap();
    assert_eq!(
        (
            agreement.document_version.as_str(),
            agreement.signed_on,
            agreement.expires_on
        ),
        ("NDA-2027-01", today, today + days(365))
    );
    assert_eq!(fresh(t, "tuvan.lan").await, renewed);
    assert_eq!(renewed.status(today + days(30)), StaffStatus::Active);
    assert_eq!(lan.status(today + days(30)), StaffStatus::AgreementExpired);
    let booked = t
        .centre
        .schedule(&admin, receipt.case, at, "tuvan.lan", now)
        .await
        .unwrap();
    assert_eq!(booked.appointment.counsellor, lan.id);

    assert_eq!(
        history(t, &lan).await,
        [
            ("staff.create".to_owned(), format!("staff:{}", admin.id)),
            (
                "staff.renew.refused".to_owned(),
                format!("staff:{}", ngan.id)
            ),
            ("staff.renew".to_owned(), format!("staff:{}", admin.id)),
        ]
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn a_disabled_account_is_refused_everywhere_until_enabled(t: &TestCentre) {
    let admin = admin(t).await;
    let now = t0();
    let today = now.date_naive();
    let lan = counsellor(t, "tuvan.lan").await;
    let ngan = counsellor(t, "tuvan.ngan").await;
    let deputy = staff(t, "admin.phu", Role::Admin, days(365)).await;
    let receipt = reviewed(t, 2).await;
    let case = receipt.case;
    // Two days away: released to Lan at once.
    t.centre
        .schedule(&admin, case, now + days(2), "tuvan.lan", now)
        .await
        .unwrap();
    assert_eq!(t.centre.open_report(&lan, case, now).await.unwrap(), PDF);

    // Only an admin disables, and not their own account.
    refused(
        t.centre.disable_staff(&ngan, "tuvan.lan", now).await,
        ADMIN_ONLY,
    );
    refused(
        t.centre.disable_staff(&admin, "admin", now).await,
        "an admin cannot disable their own account",
    );
    let off = t
        .centre
        .disable_staff(&admin, "tuvan.lan", now)
        .await
        .unwrap();
    assert!(off.disabled);
    assert_eq!(off.status(today), StaffStatus::Disabled);
    let err = t
        .centre
        .disable_staff(&admin, "tuvan.lan", now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::StaffAlready { .. }), "{err}");
    assert!(err.to_string().contains("already disabled"), "{err}");

    // Disabled, Lan opens nothing, records no hand-over and cannot be booked.
    let lan_now = fresh(t, "tuvan.lan").await;
    refused(t.centre.open_report(&lan_now, case, now).await, DISABLED);
    refused(t.centre.deliver(&lan_now, case, now).await, DISABLED);
    refused(
        t.centre
            .schedule(&admin, case, now + days(5), "tuvan.lan", now)
            .await,
        "the counsellor's account is disabled",
    );
    let err = t.centre.open_report(&lan_now, case, now).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("tài khoản đã bị vô hiệu hoá — the account is disabled"),
        "Vietnamese first: {err}"
    );

    // A disabled admin is refused even with the copy of their account read
    // before it was disabled.
    t.centre
        .disable_staff(&admin, "admin.phu", now)
        .await
        .unwrap();
    refused(
        t.centre.enable_staff(&deputy, "tuvan.lan", now).await,
        DISABLED,
    );
    refused(
        t.centre
            .renew_agreement(
                &deputy,
                "tuvan.lan",
                &NewAgreement {
                    version: "NDA-2027-01",
                    signed_on: today,
                    expires_on: today + days(30),
                },
                now,
            )
            .await,
        DISABLED,
    );
    let newcomer = NewStaff {
        username: "tuvan.moi",
        role: Role::Counsellor,
        agreement_version: "NDA-2026-01",
        agreement_signed_on: today,
        agreement_expires_on: today + days(365),
    };
    refused(t.centre.add_staff(&deputy, &newcomer, now).await, DISABLED);

    let statuses: Vec<(String, StaffStatus)> = t
        .centre
        .store()
        .staff_list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.username.clone(), s.status(today)))
        .collect();
    assert_eq!(
        statuses,
        [
            ("admin".to_owned(), StaffStatus::Active),
            ("admin.phu".to_owned(), StaffStatus::Disabled),
            ("tuvan.lan".to_owned(), StaffStatus::Disabled),
            ("tuvan.ngan".to_owned(), StaffStatus::Active),
        ]
    );

    let on = t
        .centre
        .enable_staff(&admin, "tuvan.lan", now)
        .await
        .unwrap();
    assert_eq!(on.status(today), StaffStatus::Active);
    let err = t
        .centre
        .enable_staff(&admin, "tuvan.lan", now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already enabled"), "{err}");
    assert_eq!(t.centre.open_report(&on, case, now).await.unwrap(), PDF);

    let by = |who: &Staff| format!("staff:{}", who.id);
    assert_eq!(
        history(t, &lan).await,
        [
            ("staff.create".to_owned(), by(&admin)),
            ("staff.disable.refused".to_owned(), by(&ngan)),
            ("staff.disable".to_owned(), by(&admin)),
            ("staff.enable.refused".to_owned(), by(&deputy)),
            ("staff.renew.refused".to_owned(), by(&deputy)),
            ("staff.enable".to_owned(), by(&admin)),
        ]
    );
    assert!(history(t, &admin)
        .await
        .contains(&("staff.disable.refused".to_owned(), by(&admin))));
    let case_history = actions(t, &receipt).await;
    let count = |action: &str| case_history.iter().filter(|(a, _)| a == action).count();
    assert_eq!(count("report.open.refused"), 2, "{case_history:?}");
    assert_eq!(count("report.deliver.refused"), 1, "{case_history:?}");
    assert_eq!(count("appointment.book.refused"), 1, "{case_history:?}");
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn the_key_file_lets_an_admin_back_in_only_when_no_admin_can_act(t: &TestCentre) {
    let admin = admin(t).await;
    let ngan = counsellor(t, "tuvan.ngan").await;
    let now = t0();
    let agreement = |signed_on| NewAgreement {
        version: "NDA-2027-01",
        signed_on,
        expires_on: signed_on + days(365),
    };
    // While the admin's agreement is in force, the key file is no way around them.
    refused(
        t.centre
            .recover_admin("admin", &agreement(now.date_naive()), now)
            .await,
        "an admin with an agreement in force can still do this: ask them",
    );

    // Four hundred days on, the only admin's agreement has run out: nobody
    // can renew it through the admin's door any more.
    let later = now + days(400);
    let today = later.date_naive();
    refused(
        t.centre
            .renew_agreement(&admin, "admin", &agreement(today), later)
            .await,
        "no valid confidentiality agreement on record",
    );
    refused(
        t.centre
            .recover_admin("tuvan.ngan", &agreement(today), later)
            .await,
        "only an admin account can be recovered with the key file",
    );
    let err = t
        .centre
        .recover_admin("admin", &agreement(today + days(1)), later)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is in the future"), "{err}");

    let recovered = t
        .centre
        .recover_admin("admin", &agreement(today), later)
        .await
        .unwrap();
    assert_eq!(recovered.status(today), StaffStatus::Active);
    assert_eq!(fresh(t, "admin").await, recovered);
    // The admin runs the centre again, and the ledger says how.
    let renewed = t
        .centre
        .renew_agreement(&recovered, "tuvan.ngan", &agreement(today), later)
        .await
        .unwrap();
    assert_eq!(renewed.status(today), StaffStatus::Active);
    let events: Vec<String> = history(t, &admin)
        .await
        .into_iter()
        .map(|(action, actor)| format!("{action} by {}", actor.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            "staff.create by cli",
            "staff.recover.refused by cli",
            "staff.renew.refused by staff",
            "staff.recover by cli",
        ]
    );
    assert_eq!(
        history(t, &ngan).await.len(),
        3,
        "created, refused, renewed"
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}
