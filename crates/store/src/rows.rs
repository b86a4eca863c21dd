//! Every stored row, with the name and digest the ledger records for it.
//!
//! The same functions compute a row's digest when it is written (the digest
//! goes into the ledger event) and when `verify` reads it back, so a changed,
//! swapped, moved or deleted row shows as a mismatch. A digest covers the
//! row's identity (its name) and every stored column, ciphertexts included.

use vantay_ledger::Hash;

pub(crate) use vantay_sql::ledger::{digest, REMOVED};

fn opt(value: &Option<String>) -> &[u8] {
    value.as_deref().map_or(b"\0null", str::as_bytes)
}

fn opt_bytes(value: &Option<Vec<u8>>) -> &[u8] {
    value.as_deref().unwrap_or(b"\0null")
}

/// A row of `customers`: the wrapped data key and look-up tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CustomerRow {
    pub id: String,
    pub key_wrapped_by: Option<String>,
    pub key_generation: Option<i64>,
    pub wrapped_key: Option<Vec<u8>>,
    pub phone_token: Option<Vec<u8>>,
    pub name_token: Option<Vec<u8>>,
    pub created_at: String,
    pub erased_at: Option<String>,
}

impl CustomerRow {
    pub fn name(&self) -> String {
        format!("customers/{}", self.id)
    }

    pub fn digest(&self) -> Hash {
        let generation = self.key_generation.map(|g| g.to_string());
        digest(&[
            self.name().as_bytes(),
            opt(&self.key_wrapped_by),
            opt(&generation),
            opt_bytes(&self.wrapped_key),
            opt_bytes(&self.phone_token),
            opt_bytes(&self.name_token),
            self.created_at.as_bytes(),
            opt(&self.erased_at),
        ])
    }
}

/// A row of `customer_fields`: one version of one personal field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldRow {
    pub customer_id: String,
    pub field: String,
    pub version: i64,
    pub ciphertext: Vec<u8>,
    pub written_at: String,
}

/// The ledger name of one version of a customer's field.
pub(crate) fn field_row_name(customer: &str, field: &str, version: i64) -> String {
    format!("customer_fields/{customer}/{field}/v{version}")
}

impl FieldRow {
    pub fn name(&self) -> String {
        field_row_name(&self.customer_id, &self.field, self.version)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            &self.ciphertext,
            self.written_at.as_bytes(),
        ])
    }
}

/// A row of `consents`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConsentRow {
    pub id: String,
    pub customer_id: String,
    pub analysis: bool,
    pub marketing: bool,
    pub text_version: String,
    pub ciphertext: Vec<u8>,
    pub recorded_at: String,
    pub withdrawn_at: Option<String>,
}

impl ConsentRow {
    pub fn name(&self) -> String {
        format!("consents/{}", self.id)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            self.customer_id.as_bytes(),
            &[self.analysis as u8, self.marketing as u8],
            self.text_version.as_bytes(),
            &self.ciphertext,
            self.recorded_at.as_bytes(),
            opt(&self.withdrawn_at),
        ])
    }
}

/// A row of `cases`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CaseRow {
    pub id: String,
    pub customer_id: String,
    pub pseudonym: String,
    pub state: String,
    pub device_model: String,
    pub created_at: String,
    pub updated_at: String,
}

impl CaseRow {
    pub fn name(&self) -> String {
        format!("cases/{}", self.id)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            self.customer_id.as_bytes(),
            self.pseudonym.as_bytes(),
            self.state.as_bytes(),
            self.device_model.as_bytes(),
            self.created_at.as_bytes(),
            self.updated_at.as_bytes(),
        ])
    }
}

/// A row of `prints`: one version of one finger of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrintRow {
    pub case_id: String,
    pub finger: String,
    pub version: i64,
    /// `captured` or `missing`.
    pub status: String,
    pub format: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub ppi: Option<i64>,
    pub blob: Option<String>,
    pub missing_reason: Option<Vec<u8>>,
}

impl PrintRow {
    pub fn name(&self) -> String {
        format!("prints/{}/{}/v{}", self.case_id, self.finger, self.version)
    }

    pub fn digest(&self) -> Hash {
        let numbers = format!("{:?}/{:?}/{:?}", self.width, self.height, self.ppi);
        digest(&[
            self.name().as_bytes(),
            self.status.as_bytes(),
            opt(&self.format),
            numbers.as_bytes(),
            opt(&self.blob),
            opt_bytes(&self.missing_reason),
        ])
    }
}

/// A row of `appointments`: one version of a case's appointment (step 6);
/// a re-scheduling adds a version, the hand-over (step 8) fills in the
/// current one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AppointmentRow {
    pub case_id: String,
    pub version: i64,
    /// RFC 3339 UTC, milliseconds.
    pub starts_at: String,
    pub counsellor_id: String,
    pub booked_by: String,
    pub booked_at: String,
    pub delivered_at: Option<String>,
    pub delivered_by: Option<String>,
}

impl AppointmentRow {
    pub fn name(&self) -> String {
        format!("appointments/{}/v{}", self.case_id, self.version)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            self.starts_at.as_bytes(),
            self.counsellor_id.as_bytes(),
            self.booked_by.as_bytes(),
            self.booked_at.as_bytes(),
            opt(&self.delivered_at),
            opt(&self.delivered_by),
        ])
    }
}

/// The ledger name of a blob; its digest is the blob's own hash.
pub(crate) fn blob_entry(name: &crate::BlobName) -> (String, Hash) {
    (format!("blobs/{}", name.as_str()), Hash(name.digest()))
}

/// A row of `partners`: an analysis centre's pinned public identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PartnerRow {
    pub name: String,
    pub identity: String,
    pub fingerprint: String,
    pub added_at: String,
}

impl PartnerRow {
    pub fn name(&self) -> String {
        format!("partners/{}", self.name)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            self.identity.as_bytes(),
            self.fingerprint.as_bytes(),
            self.added_at.as_bytes(),
        ])
    }
}

/// A row of `packages`: a work package sent to a partner, and whether it
/// was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PackageRow {
    pub id: String,
    pub case_id: String,
    pub partner: String,
    pub partner_fingerprint: String,
    /// Finger codes in the package, comma-separated.
    pub fingers: String,
    pub created_at: String,
    pub expires_at: String,
    /// `open` or `answered`.
    pub state: String,
    /// Hex SHA-256 of the sealed package as sent.
    pub sealed_digest: String,
    pub answered_at: Option<String>,
    pub result_id: Option<String>,
}

impl PackageRow {
    pub fn name(&self) -> String {
        format!("packages/{}", self.id)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            self.case_id.as_bytes(),
            self.partner.as_bytes(),
            self.partner_fingerprint.as_bytes(),
            self.fingers.as_bytes(),
            self.created_at.as_bytes(),
            self.expires_at.as_bytes(),
            self.state.as_bytes(),
            self.sealed_digest.as_bytes(),
            opt(&self.answered_at),
            opt(&self.result_id),
        ])
    }
}

/// A row of `results`: an accepted analysis result, sealed under the
/// customer's data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResultRow {
    pub id: String,
    pub package_id: String,
    pub case_id: String,
    pub ciphertext: Vec<u8>,
    pub received_at: String,
}

impl ResultRow {
    pub fn name(&self) -> String {
        format!("results/{}", self.id)
    }

    pub fn digest(&self) -> Hash {
        digest(&[
            self.name().as_bytes(),
            self.package_id.as_bytes(),
            self.case_id.as_bytes(),
            &self.ciphertext,
            self.received_at.as_bytes(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_boundaries_matter() {
        assert_ne!(digest(&[b"ab", b"c"]), digest(&[b"a", b"bc"]));
        assert_ne!(digest(&[b"", b"x"]), digest(&[b"x"]));
    }

    #[test]
    fn a_field_moved_to_another_customer_changes_its_digest() {
        let row = FieldRow {
            customer_id: "a".into(),
            field: "full_name".into(),
            version: 1,
            ciphertext: vec![1, 2, 3],
            written_at: "t".into(),
        };
        let moved = FieldRow {
            customer_id: "b".into(),
            ..row.clone()
        };
        assert_ne!(row.digest(), moved.digest());
    }
}
