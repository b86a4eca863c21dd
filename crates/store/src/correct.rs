//! Keeping a customer's data accurate: finding a customer by phone or name
//! (through the keyed look-up tokens, never by decrypting everyone) and
//! correcting their personal fields on request.
//!
//! A correction never overwrites: each changed field gets a new sealed
//! version, the look-up tokens follow the new phone and name, and the ledger
//! records the new rows. The corrected record must meet the rules of a
//! capture, so a correction cannot make a child's record lose its guardian
//! or turn a phone number into something no one can call.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;
use vantay_domain::policy::{self, Decision};
use vantay_domain::{
    age_band, normalize_phone, CaptureError, CaseId, CaseState, CustomerId, CustomerInput, Staff,
    ValidCustomer,
};
use vantay_ledger::Hash;
use vantay_vault::{lookup_token, normalize_name, DataKey, Domain};

use crate::cases::CaseSummary;
use crate::intake::{insert_field, load_customer_row, seal_field_row, PERSONAL_FIELDS};
use crate::journal::WriteTx;
use crate::rows::{field_row_name, CustomerRow, REMOVED};
use crate::staff::staff_name;
use crate::{now_text, Actor, Centre, StoreError};

/// What to change, as typed at the desk; `None` keeps the stored value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerCorrection {
    /// Full name with diacritics.
    pub full_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    /// `M` or `F`.
    pub sex: Option<String>,
    /// Contact number.
    pub phone: Option<String>,
    /// Parent or guardian.
    pub guardian_name: Option<String>,
    /// Remove the guardian's name, every version of it (a customer who has
    /// come of age: the centre keeps only what it needs).
    pub remove_guardian_name: bool,
}

/// What a correction did.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CorrectionReceipt {
    /// The customer.
    pub customer: CustomerId,
    /// The fields that changed, each now one version newer; empty when the
    /// correction matched what was stored (nothing is written then).
    pub corrected: Vec<&'static str>,
    /// Cases whose stored report prints a field that changed and has not
    /// been handed over yet: render them again.
    pub reports_to_render: Vec<CaseId>,
    /// Cases whose work package went to the analysis centre with the sex or
    /// age band this correction changed: the analysis centre should be told.
    pub sent_with_old_data: Vec<CaseId>,
}

/// How to find a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// By phone number, in any form a capture accepts (`09…`, `+84…`).
    Phone(&'a str),
    /// By full name; case, diacritics and spacing do not matter.
    Name(&'a str),
}

/// A customer a look-up found, with their cases (nothing decrypted).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FoundCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// Their cases, oldest first.
    pub cases: Vec<CaseSummary>,
}

/// The fields a report prints: changing one makes a stored report stale.
const REPORTED_FIELDS: [&str; 3] = ["full_name", "date_of_birth", "sex"];

impl Centre {
    /// The customers whose phone or name matches `lookup`. Each customer
    /// found is a ledger event (`customer.find`): knowing that someone is a
    /// customer is itself personal data.
    pub async fn find_customers(
        &self,
        admin: &Staff,
        lookup: Lookup<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<FoundCustomer>, StoreError> {
        let actor = Actor::staff(admin.id);
        if let Decision::Deny(reason) = policy::may_keep_customer_data(admin, now) {
            let object = staff_name(admin.id);
            return Err(self
                .refusal_on(&actor, "customer.find", object, reason)
                .await);
        }
        let search = self.keyring.latest(Domain::SearchIndex)?;
        let (column, token) = match lookup {
            Lookup::Phone(raw) => {
                let phone = normalize_phone(raw).map_err(StoreError::BadLookup)?;
                let token = lookup_token(search, vantay_vault::PHONE, &phone);
                ("phone_token", token)
            }
            Lookup::Name(raw) => {
                let name = normalize_name(raw);
                if name.is_empty() {
                    return Err(StoreError::BadLookup("the name to look up is empty".into()));
                }
                (
                    "name_token",
                    lookup_token(search, vantay_vault::NAME, &name),
                )
            }
        };
        let sql = format!(
            "SELECT id FROM customers WHERE {column} = $1 AND erased_at IS NULL ORDER BY created_at"
        );
        let rows = sqlx::query(&sql)
            .bind(token.to_vec())
            .fetch_all(&self.store.db.pool)
            .await?;
        let mut found = Vec::new();
        for row in rows {
            let customer: CustomerId = row
                .try_get::<String, _>("id")?
                .parse()
                .map_err(|_| StoreError::Corrupt("customer id".into()))?;
            let cases = self.store.customer_cases(customer).await?;
            found.push(FoundCustomer { customer, cases });
        }
        let ids: Vec<CustomerId> = found.iter().map(|f| f.customer).collect();
        self.record_reads(&actor, "customer.find", &ids).await?;
        Ok(found)
    }

    /// `admin` corrects `customer`'s personal fields. The stored record with
    /// the changes laid over it is checked by the rules of a capture (as of
    /// `now`); every problem is reported and nothing is written unless all
    /// pass. Refused after erasure.
    pub async fn correct_customer(
        &self,
        admin: &Staff,
        customer: CustomerId,
        changes: &CustomerCorrection,
        now: DateTime<Utc>,
    ) -> Result<CorrectionReceipt, StoreError> {
        let actor = Actor::staff(admin.id);
        if let Decision::Deny(reason) = policy::may_keep_customer_data(admin, now) {
            let object = format!("customer/{customer}");
            return Err(self
                .refusal_on(&actor, "customer.correct", object, reason)
                .await);
        }
        let mut tx = self.begin(&actor).await?;
        let key = self.data_key(&mut tx.tx, customer).await?;
        let stored = self.versioned_fields(&mut tx.tx, &key, customer).await?;
        let valid = merged(changes, &stored)?
            .validate(now.date_naive())
            .map_err(StoreError::InvalidCorrection)?;
        let (mut corrected, mut digests) =
            write_changed_fields(&mut tx, &key, customer, &stored, &valid).await?;
        if changes.remove_guardian_name && stored.contains_key("guardian_name") {
            digests.extend(remove_field(&mut tx, customer, "guardian_name").await?);
            corrected.push("guardian_name");
        }
        if corrected.is_empty() {
            return Ok(CorrectionReceipt {
                customer,
                corrected,
                reports_to_render: Vec::new(),
                sent_with_old_data: Vec::new(),
            });
        }
        if corrected
            .iter()
            .any(|f| matches!(*f, "phone" | "full_name"))
        {
            let mut row = customer_row(&mut tx, customer).await?;
            self.write_tokens(&mut tx, &mut row, &valid.phone, &valid.full_name)
                .await?;
            digests.push((row.name(), row.digest()));
        }
        tx.record("customer.correct", format!("customer/{customer}"), digests);
        self.commit(tx).await?;

        let package_changed = package_changed(&corrected, &stored, &valid, now.date_naive());
        let report_changed = corrected.iter().any(|f| REPORTED_FIELDS.contains(f));
        let (reports_to_render, sent_with_old_data) = self
            .affected_cases(customer, report_changed, package_changed)
            .await?;
        Ok(CorrectionReceipt {
            customer,
            corrected,
            reports_to_render,
            sent_with_old_data,
        })
    }

    /// The customer's cases a correction leaves stale: those whose stored
    /// report is not handed over yet (when a reported field changed), and
    /// those whose package has gone to the analysis centre (when what it
    /// told changed).
    async fn affected_cases(
        &self,
        customer: CustomerId,
        report_changed: bool,
        package_changed: bool,
    ) -> Result<(Vec<CaseId>, Vec<CaseId>), StoreError> {
        let (mut reports, mut packages) = (Vec::new(), Vec::new());
        for case in self.store.customer_cases(customer).await? {
            let handed_over = case.state >= CaseState::Delivered;
            if report_changed
                && case.state >= CaseState::Analysed
                && !handed_over
                && !self.store.reports(case.case).await?.is_empty()
            {
                reports.push(case.case);
            }
            if package_changed
                && case.state >= CaseState::Dispatched
                && case.state != CaseState::Erased
            {
                packages.push(case.case);
            }
        }
        Ok((reports, packages))
    }

    /// Sets the look-up tokens of `row` from `phone` (E.164) and
    /// `full_name` under the newest search-index key, in the database and
    /// in `row`.
    pub(crate) async fn write_tokens(
        &self,
        tx: &mut WriteTx<'_>,
        row: &mut CustomerRow,
        phone: &str,
        full_name: &str,
    ) -> Result<(), StoreError> {
        let search = self.keyring.latest(Domain::SearchIndex)?;
        row.phone_token = Some(lookup_token(search, vantay_vault::PHONE, phone).to_vec());
        let name = normalize_name(full_name);
        row.name_token = Some(lookup_token(search, vantay_vault::NAME, &name).to_vec());
        sqlx::query("UPDATE customers SET phone_token = $1, name_token = $2 WHERE id = $3")
            .bind(row.phone_token.clone())
            .bind(row.name_token.clone())
            .bind(&row.id)
            .execute(&mut *tx.tx)
            .await?;
        Ok(())
    }

    /// Recomputes `row`'s look-up tokens from its stored phone and name
    /// (opened with `key`) under the newest search-index key.
    pub(crate) async fn recompute_tokens(
        &self,
        tx: &mut WriteTx<'_>,
        row: &mut CustomerRow,
        key: &DataKey,
        customer: CustomerId,
    ) -> Result<(), StoreError> {
        let stored = self.versioned_fields(&mut tx.tx, key, customer).await?;
        let text = |field: &str| {
            stored
                .get(field)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| StoreError::Corrupt(format!("customer {customer} has no {field}")))
        };
        let (phone, full_name) = (text("phone")?, text("full_name")?);
        self.write_tokens(tx, row, &phone, &full_name).await
    }
}

/// The newest stored version of each field: (version, text).
type Stored = BTreeMap<String, (u32, String)>;

/// The stored record with `changes` laid over it, as a capture would type it.
fn merged(changes: &CustomerCorrection, stored: &Stored) -> Result<CustomerInput, StoreError> {
    if changes.remove_guardian_name && changes.guardian_name.is_some() {
        return Err(StoreError::InvalidCorrection(CaptureError {
            problems: vec![(
                "customer.guardian_name".into(),
                "is both given and removed".into(),
            )],
        }));
    }
    let current = |field: &str| stored.get(field).map(|(_, v)| v.clone());
    let pick =
        |typed: &Option<String>, field: &str| typed.clone().or(current(field)).unwrap_or_default();
    Ok(CustomerInput {
        full_name: pick(&changes.full_name, "full_name"),
        date_of_birth: pick(&changes.date_of_birth, "date_of_birth"),
        sex: pick(&changes.sex, "sex"),
        phone: pick(&changes.phone, "phone"),
        guardian_name: match changes.remove_guardian_name {
            true => None,
            false => changes.guardian_name.clone().or(current("guardian_name")),
        },
    })
}

/// Seals a new version of every field of `valid` that differs from what is
/// stored; returns the fields written and their ledger entries.
async fn write_changed_fields(
    tx: &mut WriteTx<'_>,
    key: &DataKey,
    customer: CustomerId,
    stored: &Stored,
    valid: &ValidCustomer,
) -> Result<(Vec<&'static str>, Vec<(String, Hash)>), StoreError> {
    let written_at = now_text();
    let (mut corrected, mut digests) = (Vec::new(), Vec::new());
    for (field, value) in PERSONAL_FIELDS.iter().zip(valid.field_values()) {
        let Some(value) = value else { continue };
        let old = stored.get(*field);
        if old.is_some_and(|(_, v)| *v == value) {
            continue;
        }
        let version = old.map_or(1, |(v, _)| v + 1);
        let row = seal_field_row(key, customer, field, version, value.as_bytes(), &written_at);
        insert_field(tx, &row).await?;
        digests.push((row.name(), row.digest()));
        corrected.push(*field);
    }
    Ok((corrected, digests))
}

/// Whether the correction changed what a work package tells the analysis
/// centre: the sex, or the age band (on `today`).
fn package_changed(
    corrected: &[&str],
    stored: &Stored,
    valid: &ValidCustomer,
    today: NaiveDate,
) -> bool {
    let band_changed = stored
        .get("date_of_birth")
        .and_then(|(_, v)| v.parse().ok())
        .is_none_or(|old| age_band(old, today) != age_band(valid.date_of_birth, today));
    corrected.contains(&"sex") || (corrected.contains(&"date_of_birth") && band_changed)
}

async fn customer_row(
    tx: &mut WriteTx<'_>,
    customer: CustomerId,
) -> Result<CustomerRow, StoreError> {
    let row = sqlx::query("SELECT * FROM customers WHERE id = $1")
        .bind(customer.to_string())
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or_else(|| StoreError::NoCustomer(customer.to_string()))?;
    load_customer_row(&row)
}

/// Deletes every version of `customer`'s `field`; returns the ledger
/// entries that say each row is gone.
async fn remove_field(
    tx: &mut WriteTx<'_>,
    customer: CustomerId,
    field: &str,
) -> Result<Vec<(String, Hash)>, StoreError> {
    let versions: Vec<i64> = sqlx::query_scalar(
        "SELECT version FROM customer_fields WHERE customer_id = $1 AND field = $2",
    )
    .bind(customer.to_string())
    .bind(field)
    .fetch_all(&mut *tx.tx)
    .await?;
    sqlx::query("DELETE FROM customer_fields WHERE customer_id = $1 AND field = $2")
        .bind(customer.to_string())
        .bind(field)
        .execute(&mut *tx.tx)
        .await?;
    Ok(versions
        .into_iter()
        .map(|v| (field_row_name(&customer.to_string(), field, v), REMOVED))
        .collect())
}
