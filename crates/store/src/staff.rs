//! The centre's staff accounts beyond the first admin: made by an admin,
//! each with the confidentiality agreement its holder signed (DESIGN §1:
//! no agreement, no account); the agreement renewed when it runs out, and
//! the account disabled when its holder leaves (and enabled again).
//!
//! Each change is a ledger event on `staff/ID` (who acted, on whom, when,
//! and the digest of the row as it now stands); a refused attempt is a
//! `…refused` event on the same account, as refusals on cases are.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use vantay_domain::policy::{self, Decision};
use vantay_domain::{check_username, Agreement, Role, Staff, StaffId, StaffInputError};
use vantay_ledger::Hash;

use crate::cases::HistoryEntry;
use crate::centre::new_password;
use crate::journal::WriteTx;
use crate::reports::staff_of;
use crate::rows::digest;
use crate::{now_text, Actor, Centre, Store, StoreError};

/// What a new staff account is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStaff<'a> {
    /// The login name.
    pub username: &'a str,
    /// What they do.
    pub role: Role,
    /// The version of the agreement's text they signed.
    pub agreement_version: &'a str,
    /// The day they signed it.
    pub agreement_signed_on: NaiveDate,
    /// The last day it is valid.
    pub agreement_expires_on: NaiveDate,
}

/// A renewed confidentiality agreement, as the admin records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAgreement<'a> {
    /// The version of the agreement's text they signed.
    pub version: &'a str,
    /// The day they signed it (not after today).
    pub signed_on: NaiveDate,
    /// Its last valid day (not before it was signed, not in the past).
    pub expires_on: NaiveDate,
}

/// The ledger name of a staff account.
pub(crate) fn staff_name(id: StaffId) -> String {
    format!("staff/{id}")
}

/// The ledger name and digest of a staff row as it stands: login, role,
/// password hash, agreement and whether it is disabled.
pub(crate) fn staff_entry(staff: &Staff, password_hash: &str) -> (String, Hash) {
    let name = staff_name(staff.id);
    let (version, signed, expires) = match &staff.agreement {
        Some(a) => (
            a.document_version.clone(),
            a.signed_on.to_string(),
            a.expires_on.to_string(),
        ),
        None => Default::default(),
    };
    let hash = digest(&[
        name.as_bytes(),
        staff.username.as_bytes(),
        staff.role.as_str().as_bytes(),
        password_hash.as_bytes(),
        version.as_bytes(),
        signed.as_bytes(),
        expires.as_bytes(),
        &[u8::from(staff.disabled)],
    ]);
    (name, hash)
}

/// The digest `verify` compares a staff row with. Rows last written before
/// the digest covered the disabled flag were recorded in an older form (the
/// first admin of `init` as id, login, role and password hash; accounts
/// added by `staff add` without the flag): an enabled row still standing as
/// it was then matches its older form, so centres made by earlier versions
/// keep verifying clean. Any later change records the current form.
/// `recorded` maps each ledger name to its last recorded digest.
pub(crate) fn staff_entry_as_recorded(
    staff: &Staff,
    password_hash: &str,
    recorded: &HashMap<String, Hash>,
) -> (String, Hash) {
    let (name, current) = staff_entry(staff, password_hash);
    let recorded = recorded.get(&name);
    if staff.disabled || recorded.is_none_or(|r| *r == current) {
        return (name, current);
    }
    let legacy_first_admin = digest(&[
        staff.id.to_string().as_bytes(),
        staff.username.as_bytes(),
        staff.role.as_str().as_bytes(),
        password_hash.as_bytes(),
    ]);
    let legacy_added = staff.agreement.as_ref().map(|a| {
        digest(&[
            name.as_bytes(),
            staff.username.as_bytes(),
            staff.role.as_str().as_bytes(),
            password_hash.as_bytes(),
            a.document_version.as_bytes(),
            a.signed_on.to_string().as_bytes(),
            a.expires_on.to_string().as_bytes(),
        ])
    });
    let older = [Some(legacy_first_admin), legacy_added]
        .into_iter()
        .flatten()
        .find(|h| Some(h) == recorded);
    (name, older.unwrap_or(current))
}

/// A staff row read inside a write transaction, with its password hash
/// (for the row's digest only).
async fn load_staff(
    conn: &mut sqlx::AnyConnection,
    column: &'static str,
    value: &str,
) -> Result<(Staff, String), StoreError> {
    let row = sqlx::query(&format!("SELECT * FROM staff WHERE {column} = $1"))
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NoStaff(value.to_owned()))?;
    Ok((staff_of(&row)?, row.try_get("password_hash")?))
}

impl Store {
    /// Every staff account, by username (no password hashes).
    pub async fn staff_list(&self) -> Result<Vec<Staff>, StoreError> {
        let rows = sqlx::query("SELECT * FROM staff ORDER BY username")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(staff_of).collect()
    }

    /// Every ledger event about a staff account (made, renewed, disabled,
    /// enabled, and the refused attempts), oldest first.
    pub async fn staff_history(&self, staff: StaffId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history(&staff_name(staff)).await
    }
}

impl Centre {
    /// `admin` makes a staff account with its signed agreement; returns it
    /// with a one-time password, to hand over in person and change at the
    /// first login.
    pub async fn add_staff(
        &self,
        admin: &Staff,
        new: &NewStaff<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Staff, String), StoreError> {
        let actor = Actor::staff(admin.id);
        let mut tx = self.begin(&actor).await?;
        // Read again inside the transaction, as the other staff changes do:
        // an admin disabled a moment ago is refused even with a stale copy.
        let (admin, _) = load_staff(&mut tx.tx, "id", &admin.id.to_string()).await?;
        if let Decision::Deny(reason) = policy::may_administer(&admin, now) {
            drop(tx);
            // The account asked for does not exist: the attempt goes on the
            // account that made it.
            let object = staff_name(admin.id);
            return Err(self.refusal_on(&actor, "staff.add", object, reason).await);
        }
        check_username(new.username)?;
        if new.role == Role::Analyst {
            return Err(StaffInputError::AnalystAtCentre.into());
        }
        let agreement = Agreement::new(
            new.agreement_version,
            new.agreement_signed_on,
            new.agreement_expires_on,
            now.date_naive(),
        )?;
        let (password, hash) = new_password()?;
        let staff = Staff {
            id: StaffId::new(),
            username: new.username.to_owned(),
            role: new.role,
            agreement: Some(agreement),
            disabled: false,
        };
        let taken = sqlx::query("SELECT id FROM staff WHERE username = $1")
            .bind(new.username)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::StaffExists(new.username.to_owned()));
        }
        let agreement = staff.agreement.as_ref().expect("set above");
        sqlx::query(
            "INSERT INTO staff (id, username, role, password_hash, must_change_password, \
             agreement_version, agreement_signed_on, agreement_expires_on, disabled, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $6, $7, 0, $8)",
        )
        .bind(staff.id.to_string())
        .bind(&staff.username)
        .bind(staff.role.as_str())
        .bind(&hash)
        .bind(&agreement.document_version)
        .bind(agreement.signed_on.to_string())
        .bind(agreement.expires_on.to_string())
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        let (name, row_digest) = staff_entry(&staff, &hash);
        tx.record("staff.create", name.clone(), vec![(name, row_digest)]);
        self.commit(tx).await?;
        Ok((staff, password))
    }

    /// `admin` records `username`'s renewed confidentiality agreement (the
    /// old one ran out, or a new text was signed). The agreement must be
    /// signed by today and end no earlier than today; a disabled account
    /// stays disabled.
    pub async fn renew_agreement(
        &self,
        admin: &Staff,
        username: &str,
        renewal: &NewAgreement<'_>,
        now: DateTime<Utc>,
    ) -> Result<Staff, StoreError> {
        let actor = Actor::staff(admin.id);
        let mut tx = self.begin(&actor).await?;
        let (admin, _) = load_staff(&mut tx.tx, "id", &admin.id.to_string()).await?;
        let (mut staff, hash) = load_staff(&mut tx.tx, "username", username).await?;
        if let Decision::Deny(reason) = policy::may_administer(&admin, now) {
            drop(tx);
            let object = staff_name(staff.id);
            return Err(self.refusal_on(&actor, "staff.renew", object, reason).await);
        }
        write_agreement(&mut tx, &mut staff, renewal, now).await?;
        let (name, row_digest) = staff_entry(&staff, &hash);
        tx.record("staff.renew", name.clone(), vec![(name, row_digest)]);
        self.commit(tx).await?;
        Ok(staff)
    }

    /// The way back in when no admin can run the centre any more (every
    /// admin's agreement ran out, or every admin account is disabled): the
    /// holder of the key file renews the admin `username`'s agreement and
    /// enables the account. Refused while any admin could do it
    /// ([`policy::may_recover_admin`]). Recorded as `staff.recover` by the
    /// operator; a refusal as `staff.recover.refused`.
    pub async fn recover_admin(
        &self,
        username: &str,
        renewal: &NewAgreement<'_>,
        now: DateTime<Utc>,
    ) -> Result<Staff, StoreError> {
        let actor = Actor::cli();
        let mut tx = self.begin(&actor).await?;
        let (mut staff, hash) = load_staff(&mut tx.tx, "username", username).await?;
        let admins = sqlx::query("SELECT * FROM staff WHERE role = $1")
            .bind(Role::Admin.as_str())
            .fetch_all(&mut *tx.tx)
            .await?
            .iter()
            .map(staff_of)
            .collect::<Result<Vec<_>, _>>()?;
        if let Decision::Deny(reason) = policy::may_recover_admin(&staff, &admins, now) {
            drop(tx);
            let object = staff_name(staff.id);
            return Err(self
                .refusal_on(&actor, "staff.recover", object, reason)
                .await);
        }
        write_agreement(&mut tx, &mut staff, renewal, now).await?;
        sqlx::query("UPDATE staff SET disabled = 0 WHERE id = $1")
            .bind(staff.id.to_string())
            .execute(&mut *tx.tx)
            .await?;
        staff.disabled = false;
        let (name, row_digest) = staff_entry(&staff, &hash);
        tx.record("staff.recover", name.clone(), vec![(name, row_digest)]);
        self.commit(tx).await?;
        Ok(staff)
    }

    /// `admin` disables `username`'s account (off-boarding): from now on
    /// the policy refuses it everything, and it cannot be booked. Not one's
    /// own account. The account and its history stay.
    pub async fn disable_staff(
        &self,
        admin: &Staff,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Staff, StoreError> {
        self.set_disabled(admin, username, true, now).await
    }

    /// `admin` enables a disabled account again (its agreement must still
    /// be in force for it to work; see [`Centre::renew_agreement`]).
    pub async fn enable_staff(
        &self,
        admin: &Staff,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Staff, StoreError> {
        self.set_disabled(admin, username, false, now).await
    }

    /// Both of the above. The acting admin is read again inside the
    /// transaction: an admin disabled a moment ago is refused even with a
    /// stale copy of their account.
    async fn set_disabled(
        &self,
        admin: &Staff,
        username: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<Staff, StoreError> {
        let actor = Actor::staff(admin.id);
        let action = if disabled {
            "staff.disable"
        } else {
            "staff.enable"
        };
        let mut tx = self.begin(&actor).await?;
        let (admin, _) = load_staff(&mut tx.tx, "id", &admin.id.to_string()).await?;
        let (mut staff, hash) = load_staff(&mut tx.tx, "username", username).await?;
        let decision = if disabled {
            policy::may_disable(&admin, &staff, now)
        } else {
            policy::may_administer(&admin, now)
        };
        if let Decision::Deny(reason) = decision {
            drop(tx);
            let object = staff_name(staff.id);
            return Err(self.refusal_on(&actor, action, object, reason).await);
        }
        if staff.disabled == disabled {
            let (vi, en) = if disabled {
                ("bị vô hiệu hoá", "disabled")
            } else {
                ("được bật", "enabled")
            };
            return Err(StoreError::StaffAlready {
                username: staff.username,
                vi,
                en,
            });
        }
        sqlx::query("UPDATE staff SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(staff.id.to_string())
            .execute(&mut *tx.tx)
            .await?;
        staff.disabled = disabled;
        let (name, row_digest) = staff_entry(&staff, &hash);
        tx.record(action, name.clone(), vec![(name, row_digest)]);
        self.commit(tx).await?;
        Ok(staff)
    }
}

/// Checks `renewal` (as of `now`) and writes it onto `staff`'s row and copy.
async fn write_agreement(
    tx: &mut WriteTx<'_>,
    staff: &mut Staff,
    renewal: &NewAgreement<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let agreement = Agreement::new(
        renewal.version,
        renewal.signed_on,
        renewal.expires_on,
        now.date_naive(),
    )?;
    sqlx::query(
        "UPDATE staff SET agreement_version = $1, agreement_signed_on = $2, \
         agreement_expires_on = $3 WHERE id = $4",
    )
    .bind(&agreement.document_version)
    .bind(agreement.signed_on.to_string())
    .bind(agreement.expires_on.to_string())
    .bind(staff.id.to_string())
    .execute(&mut *tx.tx)
    .await?;
    staff.agreement = Some(agreement);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counsellor() -> Staff {
        Staff {
            id: StaffId::new(),
            username: "tuvan.lan".into(),
            role: Role::Counsellor,
            agreement: Some(Agreement {
                document_version: "NDA-2026-01".into(),
                signed_on: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
                expires_on: NaiveDate::from_ymd_opt(2027, 11, 2).unwrap(),
            }),
            disabled: false,
        }
    }

    /// The ledger as `verify` replays it: this one account's digest.
    fn ledger(staff: &Staff, recorded: Hash) -> HashMap<String, Hash> {
        HashMap::from([(staff_name(staff.id), recorded)])
    }

    /// The digest `staff add` recorded before it covered the disabled flag.
    fn older_form(staff: &Staff, hash: &str) -> Hash {
        let a = staff.agreement.as_ref().unwrap();
        digest(&[
            staff_name(staff.id).as_bytes(),
            staff.username.as_bytes(),
            staff.role.as_str().as_bytes(),
            hash.as_bytes(),
            a.document_version.as_bytes(),
            a.signed_on.to_string().as_bytes(),
            a.expires_on.to_string().as_bytes(),
        ])
    }

    #[test]
    fn rows_recorded_in_the_older_form_still_match_while_unchanged() {
        let staff = counsellor();
        let recorded = older_form(&staff, "hash");
        let ledger = ledger(&staff, recorded);
        let (_, compared) = staff_entry_as_recorded(&staff, "hash", &ledger);
        assert_eq!(compared, recorded, "an untouched older row verifies");

        // Edited behind the centre's back: no form matches any more.
        let mut extended = staff.clone();
        extended.agreement.as_mut().unwrap().expires_on =
            NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
        let (_, compared) = staff_entry_as_recorded(&extended, "hash", &ledger);
        assert_ne!(compared, recorded);
        let (_, compared) = staff_entry_as_recorded(&staff, "swapped", &ledger);
        assert_ne!(compared, recorded);

        // The older form never covered the flag: a disabled row must match
        // the current form, recorded when it was disabled.
        let mut disabled = staff.clone();
        disabled.disabled = true;
        let (_, compared) = staff_entry_as_recorded(&disabled, "hash", &ledger);
        assert_ne!(compared, recorded);
    }

    #[test]
    fn the_first_admin_of_an_older_init_still_matches() {
        let mut admin = counsellor();
        admin.role = Role::Admin;
        let recorded = digest(&[
            admin.id.to_string().as_bytes(),
            admin.username.as_bytes(),
            b"admin",
            b"hash",
        ]);
        let (name, compared) = staff_entry_as_recorded(&admin, "hash", &ledger(&admin, recorded));
        assert_eq!((name, compared), (staff_name(admin.id), recorded));
    }
}
