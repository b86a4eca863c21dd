//! Keeping customers' data accurate: an admin finds a customer by phone or
//! name through the look-up tokens and corrects their personal data; every
//! correction is checked by the rules of a capture, recorded, and followed
//! by the tokens; rotating the keys recomputes the tokens.

use vantay_domain::{CaseState, Role};
use vantay_store::{Actor, Centre, CustomerCorrection, Lookup, StoreError};

use super::appointments::{admin, analysed_with_report, counsellor, days, refused, staff, t0};
use super::helpers::{Engine, Person, TestCentre};

on_both_engines!(
    a_customer_of_age_has_their_guardian_removed,
    an_admin_finds_a_customer_by_phone_or_name,
    a_correction_is_versioned_recorded_and_searchable,
    a_correction_that_breaks_a_rule_changes_nothing,
    a_correction_names_the_reports_to_render_again,
    rotating_the_keys_recomputes_the_look_up_tokens,
);

/// `+8490…` as a customer would say it: `090…`, with spaces.
fn local_form(phone: &str) -> String {
    let national = phone.strip_prefix("+84").unwrap();
    format!("0{} {} {}", &national[..3], &national[3..6], &national[6..])
}

fn found_ids(found: &[vantay_store::FoundCustomer]) -> Vec<vantay_domain::CustomerId> {
    found.iter().map(|f| f.customer).collect()
}

async fn an_admin_finds_a_customer_by_phone_or_name(t: &TestCentre) {
    let admin = admin(t).await;
    let (lan, other) = (Person::marked(21), Person::marked(22));
    let receipt = t.intake(&lan).await;
    t.intake(&other).await;

    let by_phone = t
        .centre
        .find_customers(&admin, Lookup::Phone(&local_form(&lan.phone)), t0())
        .await
        .unwrap();
    assert_eq!(found_ids(&by_phone), vec![receipt.customer]);
    assert_eq!(by_phone[0].cases.len(), 1);
    assert_eq!(by_phone[0].cases[0].case, receipt.case);
    assert_eq!(by_phone[0].cases[0].state, CaseState::Captured);

    // Case, diacritics and spacing do not matter.
    let plain = lan.full_name.replace("Nguyễn Thị Đ", "nguyen  thi d");
    let by_name = t
        .centre
        .find_customers(&admin, Lookup::Name(&plain), t0())
        .await
        .unwrap();
    assert_eq!(found_ids(&by_name), vec![receipt.customer]);

    let nobody = t
        .centre
        .find_customers(&admin, Lookup::Phone("0999 000 111"), t0())
        .await
        .unwrap();
    assert!(nobody.is_empty());
    let err = t
        .centre
        .find_customers(&admin, Lookup::Phone("not a number"), t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::BadLookup(_)), "{err}");
    assert!(err.to_string().contains("not a phone number"), "{err}");

    // Each customer found is a read on their record, by the admin; others may not look.
    let history = t
        .centre
        .store()
        .customer_history(receipt.customer)
        .await
        .unwrap();
    let finds: Vec<&str> = history
        .iter()
        .filter(|h| h.action == "customer.find")
        .map(|h| h.actor.as_str())
        .collect();
    assert_eq!(finds.len(), 2, "{history:?}");
    assert!(
        finds.iter().all(|a| a.contains(&admin.id.to_string())),
        "{finds:?}"
    );
    let c = counsellor(t, "tuvan.find").await;
    refused(
        t.centre
            .find_customers(&c, Lookup::Phone(&lan.phone), t0())
            .await,
        "only an admin looks up and corrects customers' data",
    );
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn a_correction_is_versioned_recorded_and_searchable(t: &TestCentre) {
    let admin = admin(t).await;
    let lan = Person::marked(23);
    let receipt = t.intake(&lan).await;
    let changes = CustomerCorrection {
        full_name: Some("Nguyễn Thị  Sửatên".into()),
        phone: Some("0987 654 321".into()),
        ..CustomerCorrection::default()
    };
    let done = t
        .centre
        .correct_customer(&admin, receipt.customer, &changes, t0())
        .await
        .unwrap();
    assert_eq!(done.corrected, vec!["full_name", "phone"]);
    assert!(done.reports_to_render.is_empty());

    let fields = fields_of(t, receipt.customer).await;
    assert_eq!(fields["full_name"], "Nguyễn Thị Sửatên");
    assert_eq!(fields["phone"], "+84987654321");
    assert_eq!(fields["guardian_name"], lan.guardian);

    // The tokens follow: the old phone and name find no one any more.
    for (lookup, expected) in [
        (Lookup::Phone(&lan.phone), 0),
        (Lookup::Name(&lan.full_name), 0),
        (Lookup::Phone("+84987654321"), 1),
        (Lookup::Name("nguyen thi suaten"), 1),
    ] {
        let found = t.centre.find_customers(&admin, lookup, t0()).await.unwrap();
        assert_eq!(found.len(), expected, "{lookup:?}");
    }

    let actions: Vec<String> = t
        .centre
        .store()
        .customer_history(receipt.customer)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    assert!(
        actions.contains(&"customer.correct".to_string()),
        "{actions:?}"
    );

    // The same values again change nothing and write nothing.
    let before = t.centre.store().latest_checkpoint().await.unwrap();
    let again = t
        .centre
        .correct_customer(&admin, receipt.customer, &changes, t0())
        .await
        .unwrap();
    assert!(again.corrected.is_empty());
    let after = t.centre.store().latest_checkpoint().await.unwrap();
    assert_eq!(before, after);

    // Old versions stay sealed beside the new ones, and the ledger holds them all.
    let raw = t.raw().await;
    let versions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM customer_fields WHERE customer_id = $1 AND field = 'phone'",
    )
    .bind(receipt.customer.to_string())
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(versions, 2);
    assert_eq!(t.problems().await, Vec::<String>::new());

    // After erasure there is nothing left to correct.
    t.centre
        .erase(&Actor::cli(), receipt.customer)
        .await
        .unwrap();
    let err = t
        .centre
        .correct_customer(&admin, receipt.customer, &changes, t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Erased { .. }), "{err}");
}

async fn a_correction_that_breaks_a_rule_changes_nothing(t: &TestCentre) {
    let admin = admin(t).await;
    let lan = Person::marked(24);
    let receipt = t.intake(&lan).await;
    let bad = CustomerCorrection {
        date_of_birth: Some("2090-01-01".into()),
        phone: Some("12".into()),
        ..CustomerCorrection::default()
    };
    let err = t
        .centre
        .correct_customer(&admin, receipt.customer, &bad, t0())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::InvalidCorrection(_)), "{text}");
    assert!(
        text.contains("customer.date_of_birth: 2090-01-01 is in the future"),
        "{text}"
    );
    assert!(text.contains("customer.phone"), "{text}");

    // A child's record cannot lose its guardian.
    let orphaned = CustomerCorrection {
        guardian_name: Some("  ".into()),
        ..CustomerCorrection::default()
    };
    let err = t
        .centre
        .correct_customer(&admin, receipt.customer, &orphaned, t0())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a guardian's name is required for a customer under 16"),
        "{err}"
    );

    let removed = CustomerCorrection {
        remove_guardian_name: true,
        ..CustomerCorrection::default()
    };
    let err = t
        .centre
        .correct_customer(&admin, receipt.customer, &removed, t0())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("required for a customer under 16"),
        "{err}"
    );
    let both = CustomerCorrection {
        guardian_name: Some("Trần Văn Khác".into()),
        remove_guardian_name: true,
        ..CustomerCorrection::default()
    };
    let err = t
        .centre
        .correct_customer(&admin, receipt.customer, &both, t0())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("is both given and removed"),
        "{err}"
    );

    let c = counsellor(t, "tuvan.sua").await;
    let good = CustomerCorrection {
        phone: Some("0912 000 111".into()),
        ..CustomerCorrection::default()
    };
    refused(
        t.centre
            .correct_customer(&c, receipt.customer, &good, t0())
            .await,
        "only an admin looks up and corrects customers' data",
    );
    let scanner = staff(t, "quet.sua", Role::Scanner, days(365)).await;
    assert!(t
        .centre
        .correct_customer(&scanner, receipt.customer, &good, t0())
        .await
        .is_err());

    let fields = fields_of(t, receipt.customer).await;
    assert_eq!(fields["phone"], lan.phone);
    assert_eq!(fields["date_of_birth"], lan.born);
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn a_correction_names_the_reports_to_render_again(t: &TestCentre) {
    let admin = admin(t).await;
    let receipt = analysed_with_report(t, 25).await;
    let phone_only = CustomerCorrection {
        phone: Some("0912 000 222".into()),
        ..CustomerCorrection::default()
    };
    let done = t
        .centre
        .correct_customer(&admin, receipt.customer, &phone_only, t0())
        .await
        .unwrap();
    assert!(
        done.reports_to_render.is_empty(),
        "the report prints no phone"
    );
    assert!(
        done.sent_with_old_data.is_empty(),
        "the package holds no phone"
    );
    let renamed = CustomerCorrection {
        full_name: Some("Nguyễn Thị Tênmới".into()),
        sex: Some("f".into()),
        ..CustomerCorrection::default()
    };
    let done = t
        .centre
        .correct_customer(&admin, receipt.customer, &renamed, t0())
        .await
        .unwrap();
    // `f` is stored `F`, as it was: only the name changed.
    assert_eq!(done.corrected, vec!["full_name"]);
    assert_eq!(done.reports_to_render, vec![receipt.case]);
    assert!(
        done.sent_with_old_data.is_empty(),
        "the package holds no name"
    );

    // The package told the analysis centre an age band, not the birth date:
    // a day's correction leaves the band, years can move it. The dates are
    // set from today, so that every age stays mid-band whatever the day.
    let aged = |years: u32, days_more: u64| {
        let born = t0()
            .date_naive()
            .checked_sub_months(chrono::Months::new(12 * years));
        CustomerCorrection {
            date_of_birth: Some((born.unwrap() - chrono::Days::new(days_more)).to_string()),
            ..CustomerCorrection::default()
        }
    };
    let mut sent = Vec::new();
    for (years, days_more) in [(9, 10), (9, 11), (13, 10)] {
        let done = t
            .centre
            .correct_customer(&admin, receipt.customer, &aged(years, days_more), t0())
            .await
            .unwrap();
        assert_eq!(done.corrected, vec!["date_of_birth"]);
        sent.push(done.sent_with_old_data == vec![receipt.case]);
    }
    // From the test data's fixed birth date to 9 years old depends on
    // today's date (not asserted); 9 → 9 stays in 7–11; 9 → 13 moves to 12–15.
    assert_eq!(&sent[1..], [false, true], "{sent:?}");
    let material = t
        .centre
        .report_material(&Actor::staff(admin.id), receipt.case)
        .await
        .unwrap();
    assert_eq!(material.fields["full_name"], "Nguyễn Thị Tênmới");
    assert_eq!(t.problems().await, Vec::<String>::new());
}

async fn rotating_the_keys_recomputes_the_look_up_tokens(t: &TestCentre) {
    let lan = Person::marked(26);
    let receipt = t.intake(&lan).await;
    let before = phone_token(t, receipt.customer).await;
    let mut centre = Centre::unlock(t.auditor().await, &t.master).await.unwrap();
    let rotated = centre.rotate_keys(&Actor::cli()).await.unwrap();
    assert!(
        rotated.iter().any(|k| k == "search-index/v2"),
        "{rotated:?}"
    );
    assert_ne!(
        phone_token(t, receipt.customer).await,
        before,
        "the phone token is recomputed"
    );

    let reopened = Centre::unlock(t.auditor().await, &t.master).await.unwrap();
    let admin = reopened.store().staff_by_username("admin").await.unwrap();
    let found = reopened
        .find_customers(&admin, Lookup::Phone(&lan.phone), t0())
        .await
        .unwrap();
    assert_eq!(found_ids(&found), vec![receipt.customer]);
    let found = reopened
        .find_customers(&admin, Lookup::Name(&lan.full_name), t0())
        .await
        .unwrap();
    assert_eq!(found_ids(&found), vec![receipt.customer]);
    assert_eq!(t.problems().await, Vec::<String>::new());
}

/// The stored phone token of `customer`, read straight from the database.
async fn phone_token(t: &TestCentre, customer: vantay_domain::CustomerId) -> Vec<u8> {
    sqlx::query_scalar("SELECT phone_token FROM customers WHERE id = $1")
        .bind(customer.to_string())
        .fetch_one(&t.raw().await)
        .await
        .unwrap()
}

async fn a_customer_of_age_has_their_guardian_removed(t: &TestCentre) {
    let admin = admin(t).await;
    let receipt = t.intake(&Person::marked(27)).await;
    // The guardian's name gets a second version; later the birth date turns
    // out wrong too: the customer is an adult.
    let renamed = CustomerCorrection {
        guardian_name: Some("Trần Văn Giámhộmới".into()),
        ..CustomerCorrection::default()
    };
    t.centre
        .correct_customer(&admin, receipt.customer, &renamed, t0())
        .await
        .unwrap();
    let adult = CustomerCorrection {
        date_of_birth: Some("1990-05-01".into()),
        remove_guardian_name: true,
        ..CustomerCorrection::default()
    };
    let done = t
        .centre
        .correct_customer(&admin, receipt.customer, &adult, t0())
        .await
        .unwrap();
    assert_eq!(done.corrected, vec!["date_of_birth", "guardian_name"]);
    let fields = fields_of(t, receipt.customer).await;
    assert!(!fields.contains_key("guardian_name"), "{fields:?}");
    assert_eq!(fields["date_of_birth"], "1990-05-01");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM customer_fields WHERE customer_id = $1 AND field = 'guardian_name'",
    )
    .bind(receipt.customer.to_string())
    .fetch_one(&t.raw().await)
    .await
    .unwrap();
    assert_eq!(left, 0, "every version is gone");
    // The ledger says each row is gone, so verify stays clean.
    assert_eq!(t.problems().await, Vec::<String>::new());
    // Removing what is not there changes nothing.
    let again = CustomerCorrection {
        remove_guardian_name: true,
        ..CustomerCorrection::default()
    };
    let done = t
        .centre
        .correct_customer(&admin, receipt.customer, &again, t0())
        .await
        .unwrap();
    assert!(done.corrected.is_empty());
}

/// The customer's personal fields as their copy of their data shows them.
async fn fields_of(
    t: &TestCentre,
    customer: vantay_domain::CustomerId,
) -> std::collections::BTreeMap<String, String> {
    t.centre
        .export(&Actor::cli(), customer)
        .await
        .unwrap()
        .fields
}
