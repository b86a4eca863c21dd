//! A store unlocked with the master key: creating a centre and everything
//! that writes or decrypts.

use std::path::Path;

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use chrono::{Duration, Utc};
use sqlx::Row;
use vantay_domain::{Agreement, CustomerId, Role, Staff, StaffId};
use vantay_ledger::{Checkpoint, Hash, SignedCheckpoint};
use vantay_vault::{CentreKeys, Keyring, MasterKey, WrappedCentreKeys, WrappedKey};

use crate::journal::WriteTx;
use crate::rows::digest;
use crate::staff::staff_entry;
use crate::{now_text, Actor, Store, StoreError};

/// The store with its keys open. Cheap to share behind an `Arc`.
pub struct Centre {
    pub(crate) store: Store,
    pub(crate) keyring: Keyring,
    pub(crate) identity: CentreKeys,
    pub(crate) origin: String,
}

impl std::fmt::Debug for Centre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Centre")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// What `init` made: the first admin's login, shown once.
#[derive(Debug)]
pub struct InitReport {
    /// The admin's login name.
    pub admin_username: String,
    /// A one-time password; the admin must change it at first login.
    pub admin_password: String,
    /// The centre's public identity line.
    pub identity: String,
    /// The first signed checkpoint.
    pub checkpoint: String,
}

/// The version of the confidentiality agreement the first admin attests to
/// at `init`; later staff sign theirs when their account is made.
const INIT_AGREEMENT: &str = "vantay-init";

impl Centre {
    /// Creates a new centre: schema, domain keys and the centre's signing and
    /// exchange keys (wrapped by `master`), the ledger, and a first admin.
    pub async fn init(
        data_dir: &Path,
        database_url: Option<&str>,
        master: &MasterKey,
        origin: &str,
        admin_username: &str,
    ) -> Result<(Centre, InitReport), StoreError> {
        create_private_dir(data_dir)?;
        let store = Store::connect(data_dir, database_url).await?;
        if store.meta("schema_version").await?.is_some() {
            let place = database_url.map_or_else(|| data_dir.display().to_string(), str::to_owned);
            return Err(StoreError::AlreadyInitialised(place));
        }
        let (keyring, key_rows) = Keyring::create(master);
        let identity = CentreKeys::generate(origin)?;
        let public_line = identity.public().to_line();
        let verifying = base64_of(identity.signing_key().verifying_key().as_bytes());

        let mut tx = store.db.pool.begin().await?;
        sqlx::raw_sql(&store.db.schema()).execute(&mut *tx).await?;
        for (key, value) in [
            ("schema_version", "1"),
            ("origin", origin),
            ("identity", public_line.as_str()),
            ("verifying_key", verifying.as_str()),
        ] {
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        vantay_sql::ledger::create_head(&mut tx).await?;
        tx.commit().await?;

        let centre = Centre {
            store,
            keyring,
            identity,
            origin: origin.to_owned(),
        };
        let mut tx = WriteTx::begin(&centre.store.db.pool, &Actor::cli()).await?;
        let mut digests = Vec::new();
        for row in &key_rows {
            digests.push(insert_domain_key(&mut tx, row).await?);
        }
        let wrapped = serde_json::to_vec(&centre.identity.wrap(&centre.keyring))
            .expect("wrapped keys serialise");
        sqlx::query("INSERT INTO centre_secrets (name, wrapped) VALUES ('identity', $1)")
            .bind(&wrapped)
            .execute(&mut *tx.tx)
            .await?;
        digests.push((
            "centre_secrets/identity".into(),
            digest(&[b"centre_secrets/identity", &wrapped]),
        ));
        tx.record("centre.init", format!("centre/{origin}"), digests);
        let (admin_username, admin_password) =
            centre.add_first_admin(&mut tx, admin_username).await?;
        let position = tx
            .commit(|size, root, time| centre.sign(size, root, time))
            .await?;
        let report = InitReport {
            admin_username,
            admin_password,
            identity: public_line,
            checkpoint: position.checkpoint,
        };
        Ok((centre, report))
    }

    async fn add_first_admin(
        &self,
        tx: &mut WriteTx<'_>,
        username: &str,
    ) -> Result<(String, String), StoreError> {
        let (password, hash) = new_password()?;
        let id = StaffId::new();
        let today = Utc::now().date_naive();
        let expires = today + Duration::days(365);
        sqlx::query(
            "INSERT INTO staff (id, username, role, password_hash, must_change_password, \
             agreement_version, agreement_signed_on, agreement_expires_on, disabled, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $6, $7, 0, $8)",
        )
        .bind(id.to_string())
        .bind(username)
        .bind(Role::Admin.as_str())
        .bind(&hash)
        .bind(INIT_AGREEMENT)
        .bind(today.to_string())
        .bind(expires.to_string())
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        // The same digest as every later change to a staff row, so that
        // `verify` checks the first admin's row like any other.
        let admin = Staff {
            id,
            username: username.to_owned(),
            role: Role::Admin,
            agreement: Some(Agreement {
                document_version: INIT_AGREEMENT.to_owned(),
                signed_on: today,
                expires_on: expires,
            }),
            disabled: false,
        };
        let (name, row_digest) = staff_entry(&admin, &hash);
        tx.record("staff.create", name.clone(), vec![(name, row_digest)]);
        Ok((username.to_owned(), password))
    }

    /// Opens the centre at `data_dir` with the master key.
    pub async fn unlock(store: Store, master: &MasterKey) -> Result<Centre, StoreError> {
        if store.meta("origin").await?.is_none() {
            return Err(StoreError::NotInitialised);
        }
        // Every statement is `IF NOT EXISTS`: a centre made by an older
        // version gains the tables added since.
        sqlx::raw_sql(&store.db.schema())
            .execute(&store.db.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT domain, version, wrapped FROM domain_keys ORDER BY domain, version",
        )
        .fetch_all(&store.db.pool)
        .await?;
        let mut wrapped_keys = Vec::with_capacity(rows.len());
        for row in rows {
            wrapped_keys.push(wrapped_key_of(&row)?);
        }
        let keyring = Keyring::open(master, &wrapped_keys)?;
        let secret = sqlx::query("SELECT wrapped FROM centre_secrets WHERE name = 'identity'")
            .fetch_optional(&store.db.pool)
            .await?
            .ok_or(StoreError::NotInitialised)?;
        let tampered = || StoreError::Tampered {
            what: "the centre's identity keys".into(),
        };
        let stored: WrappedCentreKeys =
            serde_json::from_slice(&secret.try_get::<Vec<u8>, _>("wrapped")?)
                .map_err(|_| tampered())?;
        let identity = CentreKeys::unwrap(&keyring, &stored).map_err(|_| tampered())?;
        let origin = store
            .meta("origin")
            .await?
            .ok_or(StoreError::NotInitialised)?;
        Ok(Centre {
            store,
            keyring,
            identity,
            origin,
        })
    }

    /// The store underneath (for verify and checkpoints).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The centre's public identity (X25519 recipient and Ed25519 key).
    pub fn public_identity(&self) -> vantay_vault::PublicIdentity {
        self.identity.public()
    }

    /// This centre's public identity line (`vantay identity`).
    pub fn identity_line(&self) -> String {
        self.identity.public().to_line()
    }

    /// Signs a checkpoint text for the ledger at `size` with `root`.
    pub(crate) fn sign(&self, size: u64, root: Hash, time: i64) -> String {
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
            time,
        };
        SignedCheckpoint::sign(checkpoint, self.identity.signing_key())
            .expect("the origin was checked at init")
            .to_text()
    }

    /// Opens a write transaction for `actor`.
    pub(crate) async fn begin(&self, actor: &Actor) -> Result<WriteTx<'_>, StoreError> {
        WriteTx::begin(&self.store.db.pool, actor).await
    }

    /// A refusal of the policy, recorded in the ledger (`ACTION.refused` on
    /// the case, with who and when) before it is returned: attempts are
    /// evidence too. The caller drops any open transaction first.
    pub(crate) async fn refusal(
        &self,
        actor: &Actor,
        action: &str,
        case: vantay_domain::CaseId,
        reason: vantay_domain::Reason,
    ) -> StoreError {
        self.refusal_on(actor, action, format!("case/{case}"), reason)
            .await
    }

    /// A refusal recorded on any ledger object (`staff/ID` for the staff
    /// accounts), as [`Centre::refusal`] does on a case.
    pub(crate) async fn refusal_on(
        &self,
        actor: &Actor,
        action: &str,
        object: String,
        reason: vantay_domain::Reason,
    ) -> StoreError {
        let recorded = async {
            let mut tx = self.begin(actor).await?;
            tx.record(&format!("{action}.refused"), object, Vec::new());
            self.commit(tx).await
        };
        match recorded.await {
            Ok(_) => StoreError::Refused(reason),
            Err(err) => err,
        }
    }

    /// Commits a write transaction with a signed checkpoint.
    pub(crate) async fn commit(
        &self,
        tx: WriteTx<'_>,
    ) -> Result<crate::LedgerPosition, StoreError> {
        tx.commit(|size, root, time| self.sign(size, root, time))
            .await
    }

    /// The customer's data key, unwrapped; refused after erasure.
    pub(crate) async fn data_key(
        &self,
        exec: &mut sqlx::AnyConnection,
        customer: CustomerId,
    ) -> Result<vantay_vault::DataKey, StoreError> {
        let row = sqlx::query(
            "SELECT key_wrapped_by, key_generation, wrapped_key, erased_at FROM customers WHERE id = $1",
        )
        .bind(customer.to_string())
        .fetch_optional(&mut *exec)
        .await?
        .ok_or_else(|| StoreError::NoCustomer(customer.to_string()))?;
        if let Some(at) = row.try_get::<Option<String>, _>("erased_at")? {
            return Err(StoreError::Erased {
                customer: customer.to_string(),
                at,
            });
        }
        let wrapped = vantay_vault::WrappedDataKey {
            wrapped_by: parse_key_id(&row.try_get::<String, _>("key_wrapped_by")?)?,
            generation: row.try_get::<i64, _>("key_generation")? as u32,
            wrapped: row.try_get("wrapped_key")?,
        };
        Ok(self.keyring.open_data_key(customer.as_uuid(), &wrapped)?)
    }

    /// Re-wraps every key under new versions (`vantay rotate-keys`): new
    /// key versions for the domains that wrap or seal, every customer's data
    /// key re-wrapped under the new personal-data key. No data is
    /// re-encrypted.
    ///
    /// The search-index key turns over too: every look-up token is an HMAC
    /// under it, so each customer's phone and name are opened and their
    /// tokens recomputed in the same transaction (a leaked search key then
    /// stops matching anything stored).
    pub async fn rotate_keys(&mut self, actor: &Actor) -> Result<Vec<String>, StoreError> {
        let mut rotated = Vec::new();
        let mut new_rows = Vec::new();
        for domain in [
            vantay_vault::Domain::PersonalData,
            vantay_vault::Domain::Images,
            vantay_vault::Domain::SearchIndex,
        ] {
            new_rows.push(self.keyring.rotate(domain)?);
        }
        let mut tx = self.begin(actor).await?;
        let mut digests = Vec::new();
        for row in &new_rows {
            digests.push(insert_domain_key(&mut tx, row).await?);
            rotated.push(row.id.to_string());
        }
        let customers = sqlx::query("SELECT * FROM customers WHERE erased_at IS NULL")
            .fetch_all(&mut *tx.tx)
            .await?;
        for row in customers {
            let mut customer = crate::intake::load_customer_row(&row)?;
            let id: uuid::Uuid = customer
                .id
                .parse()
                .map_err(|_| StoreError::Corrupt("customer id".into()))?;
            let old = vantay_vault::WrappedDataKey {
                wrapped_by: parse_key_id(customer.key_wrapped_by.as_deref().unwrap_or_default())?,
                generation: customer.key_generation.unwrap_or(1) as u32,
                wrapped: customer.wrapped_key.clone().unwrap_or_default(),
            };
            let new = self.keyring.rewrap_data_key(id, &old)?;
            let data_key = self.keyring.open_data_key(id, &new)?;
            customer.key_wrapped_by = Some(new.wrapped_by.to_string());
            customer.wrapped_key = Some(new.wrapped);
            sqlx::query("UPDATE customers SET key_wrapped_by = $1, wrapped_key = $2 WHERE id = $3")
                .bind(customer.key_wrapped_by.clone())
                .bind(customer.wrapped_key.clone())
                .bind(&customer.id)
                .execute(&mut *tx.tx)
                .await?;
            let customer_id = CustomerId::from(id);
            self.recompute_tokens(&mut tx, &mut customer, &data_key, customer_id)
                .await?;
            digests.push((customer.name(), customer.digest()));
        }
        tx.record("keys.rotate", format!("centre/{}", self.origin), digests);
        self.commit(tx).await?;
        Ok(rotated)
    }
}

async fn insert_domain_key(
    tx: &mut WriteTx<'_>,
    row: &WrappedKey,
) -> Result<(String, Hash), StoreError> {
    sqlx::query(
        "INSERT INTO domain_keys (domain, version, wrapped, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(row.id.domain.as_str())
    .bind(row.id.version as i64)
    .bind(&row.wrapped)
    .bind(now_text())
    .execute(&mut *tx.tx)
    .await?;
    Ok(domain_key_entry(
        &row.id.domain.to_string(),
        row.id.version as i64,
        &row.wrapped,
    ))
}

/// The ledger name and digest of a stored domain key.
pub(crate) fn domain_key_entry(domain: &str, version: i64, wrapped: &[u8]) -> (String, Hash) {
    let name = format!("domain_keys/{domain}/v{version}");
    let hash = digest(&[name.as_bytes(), wrapped]);
    (name, hash)
}

fn wrapped_key_of(row: &sqlx::any::AnyRow) -> Result<WrappedKey, StoreError> {
    let domain: String = row.try_get("domain")?;
    let version: i64 = row.try_get("version")?;
    let domain = vantay_vault::Domain::parse(&domain)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown key domain '{domain}'")))?;
    Ok(WrappedKey {
        id: vantay_vault::KeyId::new(domain, version as u32),
        wrapped: row.try_get("wrapped")?,
    })
}

/// Parses a stored key id such as `personal-data/v2`.
pub(crate) fn parse_key_id(text: &str) -> Result<vantay_vault::KeyId, StoreError> {
    let bad = || StoreError::Corrupt(format!("'{text}' is not a key id"));
    let (domain, version) = text.rsplit_once("/v").ok_or_else(bad)?;
    let domain = vantay_vault::Domain::parse(domain).ok_or_else(bad)?;
    let version = version.parse().map_err(|_| bad())?;
    Ok(vantay_vault::KeyId::new(domain, version))
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A one-time password and its Argon2 PHC string, for a new account.
pub(crate) fn new_password() -> Result<(String, String), StoreError> {
    let password = one_time_password();
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|err| StoreError::Corrupt(format!("password hashing failed: {err}")))?
        .to_string();
    Ok((password, hash))
}

/// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
fn one_time_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The data directory holds only ciphertext, but its listing is still
/// nobody else's business: 0700.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir)
        .map_err(StoreError::io(format!("cannot create {}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(StoreError::io(format!("cannot restrict {}", dir.display())))?;
    }
    Ok(())
}
