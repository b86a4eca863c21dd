//! The centre's staff accounts beyond the first admin: made by an admin,
//! each with the confidentiality agreement its holder signed (DESIGN §1:
//! no agreement, no account).

use chrono::{DateTime, NaiveDate, Utc};
use vantay_domain::policy::{self, Decision};
use vantay_domain::{check_username, Agreement, Role, Staff, StaffId, StaffInputError};

use crate::centre::new_password;
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

impl Store {
    /// Every staff account, by username (no password hashes).
    pub async fn staff_list(&self) -> Result<Vec<Staff>, StoreError> {
        let rows = sqlx::query("SELECT * FROM staff ORDER BY username")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(staff_of).collect()
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
        if let Decision::Deny(reason) = policy::may_administer(admin, now) {
            return Err(StoreError::Refused(reason));
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
        let mut tx = self.begin(&Actor::staff(admin.id)).await?;
        let taken = sqlx::query("SELECT id FROM staff WHERE username = $1")
            .bind(new.username)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::StaffExists(new.username.to_owned()));
        }
        let agreement = staff.agreement.as_ref().expect("set above");
        let (signed, expires) = (
            agreement.signed_on.to_string(),
            agreement.expires_on.to_string(),
        );
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
        .bind(&signed)
        .bind(&expires)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        let name = format!("staff/{}", staff.id);
        let row_digest = digest(&[
            name.as_bytes(),
            staff.username.as_bytes(),
            staff.role.as_str().as_bytes(),
            hash.as_bytes(),
            agreement.document_version.as_bytes(),
            signed.as_bytes(),
            expires.as_bytes(),
        ]);
        tx.record("staff.create", name.clone(), vec![(name, row_digest)]);
        self.commit(tx).await?;
        Ok((staff, password))
    }
}
