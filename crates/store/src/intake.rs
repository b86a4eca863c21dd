//! Step 1→2: a validated capture becomes a customer, a consent, a
//! `captured` case and its prints, sealed and recorded in one transaction.

use rand::Rng;
use serde::Serialize;
use sqlx::Row;
use vantay_domain::{CaseId, CaseState, CustomerId, Finger, PrintEntry, ValidCapture};
use vantay_vault::{
    lookup_token, normalize_name, seal_blob, seal_field, Aad, DataKey, Domain, SealingKey,
};

use crate::blobs::BlobName;
use crate::journal::WriteTx;
use crate::rows::{blob_entry, CaseRow, ConsentRow, CustomerRow, FieldRow, PrintRow};
use crate::{now_text, Actor, Centre, StoreError};

/// One decoded-and-checked image of the capture, as the scanner gave it.
#[derive(Clone, Debug)]
pub struct CapturedImage {
    /// Which finger.
    pub finger: Finger,
    /// The file's bytes, stored as they came (sealed).
    pub bytes: Vec<u8>,
    /// Its format, e.g. `png` or `wsq`.
    pub format: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in pixels per inch.
    pub ppi: u16,
}

/// What intake printed: `{"case": ID, "customer": ID}`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct IntakeReceipt {
    /// The new case.
    pub case: CaseId,
    /// The new customer.
    pub customer: CustomerId,
}

/// The personal fields a customer has, in the order the export shows them.
pub(crate) use vantay_domain::PERSONAL_FIELDS;

impl Centre {
    /// Stores a capture as a new customer with a `captured` case. Nothing is
    /// left behind if any step fails: blobs written before a failed commit
    /// are removed again.
    pub async fn intake(
        &self,
        actor: &Actor,
        capture: &ValidCapture,
        images: Vec<CapturedImage>,
    ) -> Result<IntakeReceipt, StoreError> {
        let customer = CustomerId::new();
        let case = CaseId::new();
        let (data_key, wrapped) = self.keyring.new_data_key(customer.as_uuid())?;
        let sealed_images = seal_images(&data_key, customer, case, &images);
        let blobs = self.write_blobs(&sealed_images)?;
        let result = self
            .intake_rows(
                actor, capture, customer, case, &data_key, wrapped, &images, &blobs,
            )
            .await;
        if result.is_err() {
            for name in &blobs {
                let _ = self.store.blobs.remove(name);
            }
        }
        result.map(|()| IntakeReceipt { case, customer })
    }

    /// Writes the sealed images in parallel: each write ends in an fsync,
    /// and the disk overlaps them.
    fn write_blobs(&self, sealed: &[Vec<u8>]) -> Result<Vec<BlobName>, StoreError> {
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = sealed
                .iter()
                .map(|bytes| scope.spawn(|| self.store.blobs.put(bytes)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("blob writer panicked"))
                .collect()
        });
        let mut names = Vec::with_capacity(results.len());
        let mut failure = None;
        for result in results {
            match result {
                Ok(name) => names.push(name),
                Err(err) => failure = Some(err),
            }
        }
        if let Some(err) = failure {
            for name in &names {
                let _ = self.store.blobs.remove(name);
            }
            return Err(StoreError::Io {
                what: "cannot write an image blob".into(),
                source: err,
            });
        }
        Ok(names)
    }

    #[allow(clippy::too_many_arguments)]
    async fn intake_rows(
        &self,
        actor: &Actor,
        capture: &ValidCapture,
        customer: CustomerId,
        case: CaseId,
        data_key: &DataKey,
        wrapped: vantay_vault::WrappedDataKey,
        images: &[CapturedImage],
        blobs: &[BlobName],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin(actor).await?;
        let mut digests = Vec::new();
        let now = now_text();
        let search = self.keyring.latest(Domain::SearchIndex)?;
        let person = &capture.customer;
        let customer_row = CustomerRow {
            id: customer.to_string(),
            key_wrapped_by: Some(wrapped.wrapped_by.to_string()),
            key_generation: Some(wrapped.generation as i64),
            wrapped_key: Some(wrapped.wrapped),
            phone_token: Some(lookup_token(search, vantay_vault::PHONE, &person.phone).to_vec()),
            name_token: Some(
                lookup_token(
                    search,
                    vantay_vault::NAME,
                    &normalize_name(&person.full_name),
                )
                .to_vec(),
            ),
            created_at: now.clone(),
            erased_at: None,
        };
        insert_customer(&mut tx, &customer_row).await?;
        digests.push((customer_row.name(), customer_row.digest()));

        for (field, value) in PERSONAL_FIELDS.iter().zip(person.field_values()) {
            let Some(value) = value else { continue };
            let row = seal_field_row(data_key, customer, field, 1, value.as_bytes(), &now);
            insert_field(&mut tx, &row).await?;
            digests.push((row.name(), row.digest()));
        }

        let consent = consent_row(data_key, customer, capture, &now);
        insert_consent(&mut tx, &consent).await?;
        digests.push((consent.name(), consent.digest()));

        let case_row = CaseRow {
            id: case.to_string(),
            customer_id: customer.to_string(),
            pseudonym: new_pseudonym(),
            state: CaseState::Captured.as_str().into(),
            device_model: capture.device.model.clone(),
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        insert_case(&mut tx, &case_row).await?;
        digests.push((case_row.name(), case_row.digest()));

        for row in print_rows(data_key, customer, case, capture, images, blobs) {
            insert_print(&mut tx, &row).await?;
            digests.push((row.name(), row.digest()));
        }
        digests.extend(blobs.iter().map(blob_entry));
        tx.record("case.intake", format!("case/{case}"), digests);
        self.commit(tx).await?;
        Ok(())
    }
}

/// The associated data of a print image.
pub(crate) fn print_aad<'a>(
    key: &DataKey,
    customer: CustomerId,
    case: CaseId,
    field: &'a str,
    version: u32,
) -> Aad<'a> {
    Aad {
        table: "prints",
        field,
        customer: customer.as_uuid(),
        record: case.as_uuid(),
        version,
        key_id: key.id(),
    }
}

fn seal_images(
    key: &DataKey,
    customer: CustomerId,
    case: CaseId,
    images: &[CapturedImage],
) -> Vec<Vec<u8>> {
    images
        .iter()
        .map(|image| {
            let field = format!("image:{}", image.finger);
            seal_blob(
                key,
                &print_aad(key, customer, case, &field, 1),
                &image.bytes,
            )
        })
        .collect()
}

/// The associated data of a personal field.
pub(crate) fn field_aad<'a>(
    key: &DataKey,
    customer: CustomerId,
    field: &'a str,
    version: u32,
) -> Aad<'a> {
    Aad {
        table: "customer_fields",
        field,
        customer: customer.as_uuid(),
        record: customer.as_uuid(),
        version,
        key_id: key.id(),
    }
}

pub(crate) fn seal_field_row(
    key: &DataKey,
    customer: CustomerId,
    field: &str,
    version: u32,
    value: &[u8],
    now: &str,
) -> FieldRow {
    FieldRow {
        customer_id: customer.to_string(),
        field: field.to_owned(),
        version: version as i64,
        ciphertext: seal_field(key, &field_aad(key, customer, field, version), value),
        written_at: now.to_owned(),
    }
}

/// The associated data of a consent's sealed details.
pub(crate) fn consent_aad(
    key: &DataKey,
    customer: CustomerId,
    consent: uuid::Uuid,
) -> Aad<'static> {
    Aad {
        table: "consents",
        field: "details",
        customer: customer.as_uuid(),
        record: consent,
        version: 1,
        key_id: key.id(),
    }
}

fn consent_row(
    key: &DataKey,
    customer: CustomerId,
    capture: &ValidCapture,
    now: &str,
) -> ConsentRow {
    let id = uuid::Uuid::now_v7();
    let details = serde_json::json!({
        "signed_by": capture.consent.signed_by,
        "signed_at": capture.consent.signed_at.to_rfc3339(),
    });
    ConsentRow {
        id: id.to_string(),
        customer_id: customer.to_string(),
        analysis: capture.consent.analysis,
        marketing: capture.consent.marketing,
        text_version: capture.consent.text_version.clone(),
        ciphertext: seal_field(
            key,
            &consent_aad(key, customer, id),
            details.to_string().as_bytes(),
        ),
        recorded_at: now.to_owned(),
        withdrawn_at: None,
    }
}

fn print_rows(
    key: &DataKey,
    customer: CustomerId,
    case: CaseId,
    capture: &ValidCapture,
    images: &[CapturedImage],
    blobs: &[BlobName],
) -> Vec<PrintRow> {
    let mut rows = Vec::with_capacity(10);
    for (finger, entry) in &capture.prints {
        let base = PrintRow {
            case_id: case.to_string(),
            finger: finger.code().into(),
            version: 1,
            status: "missing".into(),
            format: None,
            width: None,
            height: None,
            ppi: None,
            blob: None,
            missing_reason: None,
        };
        let row = match entry {
            PrintEntry::Missing { missing } => {
                let field = format!("missing:{finger}");
                let aad = print_aad(key, customer, case, &field, 1);
                PrintRow {
                    missing_reason: Some(seal_field(key, &aad, missing.as_bytes())),
                    ..base
                }
            }
            PrintEntry::File(_) => {
                let Some(index) = images.iter().position(|i| i.finger == *finger) else {
                    continue;
                };
                let image = &images[index];
                PrintRow {
                    status: "captured".into(),
                    format: Some(image.format.clone()),
                    width: Some(image.width as i64),
                    height: Some(image.height as i64),
                    ppi: Some(image.ppi as i64),
                    blob: Some(blobs[index].as_str().to_owned()),
                    ..base
                }
            }
        };
        rows.push(row);
    }
    rows
}

/// A case pseudonym the analysis centre sees instead of any identity:
/// `VT-` and 10 characters of Crockford base32 (50 random bits).
fn new_pseudonym() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rngs::OsRng;
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
        .collect();
    format!("VT-{}-{}", &chars[..5], &chars[5..])
}

pub(crate) async fn insert_customer(
    tx: &mut WriteTx<'_>,
    row: &CustomerRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customers (id, key_wrapped_by, key_generation, wrapped_key, phone_token, name_token, created_at, erased_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.id)
    .bind(row.key_wrapped_by.clone())
    .bind(row.key_generation)
    .bind(row.wrapped_key.clone())
    .bind(row.phone_token.clone())
    .bind(row.name_token.clone())
    .bind(&row.created_at)
    .bind(row.erased_at.clone())
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_field(tx: &mut WriteTx<'_>, row: &FieldRow) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO customer_fields (customer_id, field, version, ciphertext, written_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&row.customer_id)
        .bind(&row.field)
        .bind(row.version)
        .bind(&row.ciphertext)
        .bind(&row.written_at)
        .execute(&mut *tx.tx)
        .await?;
    Ok(())
}

async fn insert_consent(tx: &mut WriteTx<'_>, row: &ConsentRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO consents (id, customer_id, analysis, marketing, text_version, ciphertext, recorded_at, withdrawn_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.id)
    .bind(&row.customer_id)
    .bind(row.analysis as i64)
    .bind(row.marketing as i64)
    .bind(&row.text_version)
    .bind(&row.ciphertext)
    .bind(&row.recorded_at)
    .bind(row.withdrawn_at.clone())
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

async fn insert_case(tx: &mut WriteTx<'_>, row: &CaseRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cases (id, customer_id, pseudonym, state, device_model, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.customer_id)
    .bind(&row.pseudonym)
    .bind(&row.state)
    .bind(&row.device_model)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

async fn insert_print(tx: &mut WriteTx<'_>, row: &PrintRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO prints (case_id, finger, version, status, format, width, height, ppi, blob, missing_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&row.case_id)
    .bind(&row.finger)
    .bind(row.version)
    .bind(&row.status)
    .bind(row.format.clone())
    .bind(row.width)
    .bind(row.height)
    .bind(row.ppi)
    .bind(row.blob.clone())
    .bind(row.missing_reason.clone())
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

/// Reads a `customers` row.
pub(crate) fn load_customer_row(row: &sqlx::any::AnyRow) -> Result<CustomerRow, StoreError> {
    Ok(CustomerRow {
        id: row.try_get("id")?,
        key_wrapped_by: row.try_get("key_wrapped_by")?,
        key_generation: row.try_get("key_generation")?,
        wrapped_key: row.try_get("wrapped_key")?,
        phone_token: row.try_get("phone_token")?,
        name_token: row.try_get("name_token")?,
        created_at: row.try_get("created_at")?,
        erased_at: row.try_get("erased_at")?,
    })
}
