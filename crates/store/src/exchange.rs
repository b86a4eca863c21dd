//! Steps 3 and 5: work packages to the analysis centre, results back.
//!
//! - A partner (an analysis centre) is pinned by its identity line
//!   ([`Centre::add_partner`]); only pinned partners receive packages, and
//!   only their signatures are accepted.
//! - [`Centre::dispatch`] builds a work package for a sealed case: the
//!   pseudonym, sex, age band and prints as WSQ (see `vantay_exchange`),
//!   encrypted to the partner and signed by the centre. The package's row
//!   (id, partner, fingers, expiry, digest of the sealed bytes) and the
//!   case's move to `dispatched` are one ledger event.
//! - [`Centre::import_result`] accepts a result only if it opens (addressed
//!   here, signed by a pinned key, intact, not expired), answers an open
//!   package of the partner that signed it, once, before the package
//!   expired, and covers exactly its fingers. Each refusal is recorded in
//!   the ledger (`result.refused.<reason>`) and returned with its reason.
//!   An accepted result is sealed under the customer's data key, so that
//!   erasing the customer shreds it too.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;
use vantay_domain::{age_band, CaseId, CaseState, CustomerId, Finger, Sex};
use vantay_exchange::{PayloadError, ResultPayload, WorkPayload, WorkPrint};
use vantay_vault::{
    open_field, open_package, seal_field, seal_package, Aad, DataKey, Fingerprint, PackageError,
    PackageHeader, PackageKind, PublicIdentity, SealingKey,
};

use crate::cases::{load_case, set_state};
use crate::journal::WriteTx;
use crate::rows::{CaseRow, PackageRow, PartnerRow, PrintRow, ResultRow};
use crate::{now_text, Actor, Centre, Store, StoreError};

/// How long a work package stays open for its result.
pub const PACKAGE_VALIDITY_DAYS: i64 = 30;
/// WSQ bit rate for prints captured in another format (the FBI's setting).
const WSQ_BITRATE: f32 = 0.75;

/// Why a dispatch or an import was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The store failed underneath.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The case's package is still open: it cannot be sent twice.
    #[error("case {case} was already sent in package {package}, open until {expires}; wait for its result, or send it again once it has expired")]
    StillOpen {
        /// The case.
        case: CaseId,
        /// The open package.
        package: String,
        /// When it expires.
        expires: String,
    },
    /// No partner of that name is pinned.
    #[error("no partner named '{0}' is pinned: pin it with `vantay partner add NAME IDENTITY` after checking its fingerprint by phone")]
    NoPartner(String),
    /// The name or the identity is already pinned.
    #[error("a partner named '{name}' or with fingerprint {fingerprint} is already pinned")]
    PartnerExists {
        /// The name asked for.
        name: String,
        /// The identity's fingerprint.
        fingerprint: Fingerprint,
    },
    /// The customer withdrew (or never gave) consent to the analysis.
    #[error("the customer's consent to the analysis is withdrawn or was never given: case {0} cannot be sent")]
    NoConsent(CaseId),
    /// A stored print could not be read or compressed.
    #[error("print {finger} of case {case} could not be prepared for the package: {why}")]
    Image {
        /// The case.
        case: CaseId,
        /// The finger.
        finger: Finger,
        /// What went wrong.
        why: String,
    },
    /// The case has no captured print to analyse.
    #[error("case {0} has no captured print to send")]
    NoPrints(CaseId),
    /// The package layer refused the result (damaged, forged, expired, not ours).
    #[error("result refused: {0}")]
    Package(#[from] PackageError),
    /// A work package was given where a result was expected.
    #[error("result refused: the file is a work package, not a result")]
    NotAResult,
    /// The result answers no package this centre sent.
    #[error("result refused: it answers package {0}, which this centre never sent")]
    UnknownPackage(Uuid),
    /// Signed by a pinned partner, but not the one the package went to.
    #[error("result refused: package {package} went to {expected}, but the result is signed by {signer}")]
    WrongSigner {
        /// The package.
        package: Uuid,
        /// The fingerprint of the partner it went to.
        expected: String,
        /// The fingerprint that signed the result.
        signer: Fingerprint,
    },
    /// The package was already answered: a replay or a second answer.
    #[error(
        "result refused: package {package} was already answered on {at}; a result is accepted once"
    )]
    AlreadyAnswered {
        /// The package.
        package: Uuid,
        /// When it was answered.
        at: String,
    },
    /// The package expired before the result arrived.
    #[error("result refused: package {package} expired on {expires}; dispatch the case again")]
    PackageExpired {
        /// The package.
        package: Uuid,
        /// Its expiry.
        expires: String,
    },
    /// The result names another case pseudonym than the package.
    #[error("result refused: it names pseudonym {got}, but package {package} was for {expected}")]
    WrongPseudonym {
        /// The package.
        package: Uuid,
        /// The package's pseudonym.
        expected: String,
        /// The result's.
        got: String,
    },
    /// The result's fingers are not exactly the package's.
    #[error("result refused: package {package} held fingers {expected}, the result covers {got}")]
    FingersDiffer {
        /// The package.
        package: Uuid,
        /// The package's fingers.
        expected: String,
        /// The result's fingers.
        got: String,
    },
    /// The decrypted result is not a valid result payload.
    #[error("result refused: {0}")]
    Payload(#[from] PayloadError),
}

impl ExchangeError {
    /// A short code for the ledger's `result.refused.<code>` event.
    pub fn refusal_code(&self) -> &'static str {
        match self {
            ExchangeError::Package(PackageError::BadSignature) => "bad-signature",
            ExchangeError::Package(PackageError::UnknownSender(_)) => "unknown-signer",
            ExchangeError::Package(PackageError::NotForMe { .. }) => "not-for-us",
            ExchangeError::Package(PackageError::Expired { .. }) => "result-expired",
            ExchangeError::Package(_) => "unreadable",
            ExchangeError::NotAResult => "not-a-result",
            ExchangeError::UnknownPackage(_) => "unknown-package",
            ExchangeError::WrongSigner { .. } => "wrong-signer",
            ExchangeError::AlreadyAnswered { .. } => "replayed",
            ExchangeError::PackageExpired { .. } => "package-expired",
            ExchangeError::WrongPseudonym { .. } => "wrong-pseudonym",
            ExchangeError::FingersDiffer { .. } => "fingers-differ",
            ExchangeError::Payload(_) => "bad-payload",
            _ => "error",
        }
    }
}

/// A pinned analysis centre.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Partner {
    /// The name the centre calls it by (`--to NAME`).
    pub name: String,
    /// Its fingerprint, to read out on the phone.
    pub fingerprint: String,
    /// Its identity line.
    pub identity: String,
    /// When it was pinned.
    pub added_at: String,
}

/// A work package made by [`Centre::dispatch`].
#[derive(Clone, Debug)]
pub struct DispatchedPackage {
    /// The package id.
    pub id: Uuid,
    /// The case pseudonym it carries.
    pub pseudonym: String,
    /// The fingers it holds.
    pub fingers: Vec<Finger>,
    /// When its result is no longer accepted.
    pub expires: DateTime<Utc>,
    /// The sealed package, to write to a file or serve.
    pub bytes: Vec<u8>,
}

/// What [`Centre::import_result`] accepted.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ImportReceipt {
    /// The case.
    pub case: CaseId,
    /// The package answered.
    pub package: Uuid,
    /// The result package's id.
    pub result: Uuid,
    /// The case's new state: `analysed`, or `captured` when fingers are to be rescanned.
    pub state: CaseState,
    /// Fingers the analysis centre asks to rescan.
    pub rescan: Vec<Finger>,
}

impl Store {
    /// The pinned partners, by name.
    pub async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        let rows = sqlx::query("SELECT * FROM partners ORDER BY name")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|r| partner_row(r).map(|p| partner_of(&p)))
            .collect()
    }

    async fn pinned_identities(&self) -> Result<Vec<PublicIdentity>, StoreError> {
        let mut out = Vec::new();
        for partner in self.partners().await? {
            out.push(PublicIdentity::parse(&partner.identity).map_err(|_| {
                StoreError::Corrupt(format!("partner {} has a bad identity line", partner.name))
            })?);
        }
        Ok(out)
    }
}

impl Centre {
    /// Pins an analysis centre's identity under `name`.
    pub async fn add_partner(
        &self,
        actor: &Actor,
        name: &str,
        identity: &PublicIdentity,
    ) -> Result<Partner, ExchangeError> {
        let row = PartnerRow {
            name: name.to_owned(),
            identity: identity.to_line(),
            fingerprint: identity.fingerprint().to_string(),
            added_at: now_text(),
        };
        let mut tx = self.begin(actor).await?;
        let clash = sqlx::query("SELECT name FROM partners WHERE name = $1 OR fingerprint = $2")
            .bind(&row.name)
            .bind(&row.fingerprint)
            .fetch_optional(&mut *tx.tx)
            .await
            .map_err(StoreError::from)?;
        if clash.is_some() {
            return Err(ExchangeError::PartnerExists {
                name: name.to_owned(),
                fingerprint: identity.fingerprint(),
            });
        }
        sqlx::query(
            "INSERT INTO partners (name, identity, fingerprint, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&row.name)
        .bind(&row.identity)
        .bind(&row.fingerprint)
        .bind(&row.added_at)
        .execute(&mut *tx.tx)
        .await
        .map_err(StoreError::from)?;
        tx.record("partner.add", row.name(), vec![(row.name(), row.digest())]);
        self.commit(tx).await?;
        Ok(partner_of(&row))
    }

    /// Step 3: seals the work package of a sealed case for `partner`; the
    /// case becomes `dispatched`.
    /// The package is handed over as bytes (to write to a file);
    /// [`Centre::dispatch_for_pull`] keeps it for the partner to pull.
    pub async fn dispatch(
        &self,
        actor: &Actor,
        case: CaseId,
        partner: &str,
        now: DateTime<Utc>,
    ) -> Result<DispatchedPackage, ExchangeError> {
        self.dispatch_with(actor, case, partner, now, false).await
    }

    /// Dispatches; with `wait_for_pull` the sealed package also goes into
    /// the outbox, in the same transaction.
    pub(crate) async fn dispatch_with(
        &self,
        actor: &Actor,
        case: CaseId,
        partner: &str,
        now: DateTime<Utc>,
        wait_for_pull: bool,
    ) -> Result<DispatchedPackage, ExchangeError> {
        let partner_row = self.partner(partner).await?;
        let recipient = PublicIdentity::parse(&partner_row.identity).map_err(|_| {
            StoreError::Corrupt(format!("partner {partner} has a bad identity line"))
        })?;
        let mut conn = self
            .store
            .db
            .pool
            .acquire()
            .await
            .map_err(StoreError::from)?;
        let case_row = load_case(&mut conn, case).await?;
        let customer = customer_of(&case_row)?;
        if !self.analysis_consent(&mut conn, customer).await? {
            return Err(ExchangeError::NoConsent(case));
        }
        let key = self.data_key(&mut conn, customer).await?;
        let fields = self.personal_fields(&mut conn, &key, customer).await?;
        drop(conn);
        let work = self
            .work_payload(&key, customer, case, &case_row, &fields, now)
            .await?;
        let header = PackageHeader::work(
            &self.identity.public(),
            &recipient,
            &case_row.pseudonym,
            now,
            Duration::days(PACKAGE_VALIDITY_DAYS),
        );
        let bytes = seal_package(&header, &work.to_bytes(), &self.identity, &recipient)?;
        let row = PackageRow {
            id: header.id.to_string(),
            case_id: case.to_string(),
            partner: partner_row.name.clone(),
            partner_fingerprint: partner_row.fingerprint.clone(),
            fingers: finger_list(work.prints.iter().map(|p| p.finger)),
            created_at: stamp(header.created),
            expires_at: stamp(header.expires),
            state: "open".into(),
            sealed_digest: hex::encode(Sha256::digest(&bytes)),
            answered_at: None,
            result_id: None,
        };
        let mut tx = self.begin(actor).await?;
        let replaced = expire_unanswered(&mut tx, case, now).await?;
        let case_row = set_state(&mut tx, case, CaseState::Dispatched).await?;
        insert_package(&mut tx, &row).await?;
        if wait_for_pull {
            crate::outbox::insert_waiting(&mut tx, header.id, case, &bytes).await?;
        }
        let mut digests = vec![
            (case_row.name(), case_row.digest()),
            (row.name(), row.digest()),
        ];
        digests.extend(replaced.iter().map(|old| (old.name(), old.digest())));
        tx.record("case.dispatch", format!("case/{case}"), digests);
        self.commit(tx).await?;
        Ok(DispatchedPackage {
            id: header.id,
            pseudonym: case_row.pseudonym,
            fingers: work.fingers(),
            expires: header.expires,
            bytes,
        })
    }

    async fn partner(&self, name: &str) -> Result<PartnerRow, ExchangeError> {
        let row = sqlx::query("SELECT * FROM partners WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.store.db.pool)
            .await
            .map_err(StoreError::from)?
            .ok_or_else(|| ExchangeError::NoPartner(name.to_owned()))?;
        Ok(partner_row(&row)?)
    }

    /// Whether the customer's newest consent allows the analysis.
    async fn analysis_consent(
        &self,
        conn: &mut sqlx::AnyConnection,
        customer: CustomerId,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT analysis, withdrawn_at FROM consents WHERE customer_id = $1 \
             ORDER BY recorded_at DESC LIMIT 1",
        )
        .bind(customer.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        Ok(match row {
            Some(row) => {
                row.try_get::<i64, _>("analysis")? != 0
                    && row.try_get::<Option<String>, _>("withdrawn_at")?.is_none()
            }
            None => false,
        })
    }

    /// The payload: pseudonym, sex, age band, prints as WSQ; nothing else.
    async fn work_payload(
        &self,
        key: &DataKey,
        customer: CustomerId,
        case: CaseId,
        case_row: &CaseRow,
        fields: &std::collections::BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<WorkPayload, ExchangeError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("customer {customer} has a bad {what}"));
        let sex = match fields.get("sex").map(String::as_str) {
            Some("M") => Sex::M,
            Some("F") => Sex::F,
            _ => return Err(corrupt("sex").into()),
        };
        let born = fields
            .get("date_of_birth")
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            .ok_or_else(|| corrupt("date of birth"))?;
        let band = age_band(born, now.date_naive()).to_string();
        let mut prints = Vec::new();
        for print in self.store.current_prints(case).await? {
            if print.status == "captured" {
                prints.push(self.work_print(key, customer, case, &print)?);
            }
        }
        if prints.is_empty() {
            return Err(ExchangeError::NoPrints(case));
        }
        Ok(WorkPayload::new(&case_row.pseudonym, sex, &band, prints))
    }

    /// One print as WSQ: passed through when captured as WSQ, else compressed.
    fn work_print(
        &self,
        key: &DataKey,
        customer: CustomerId,
        case: CaseId,
        print: &PrintRow,
    ) -> Result<WorkPrint, ExchangeError> {
        let finger: Finger = print
            .finger
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("print finger '{}'", print.finger)))?;
        let bad = |why: String| ExchangeError::Image { case, finger, why };
        let bytes = self.open_image(key, customer, case, print)?;
        let decoded = vantay_print::input::decode(&bytes, &vantay_print::input::Limits::default())
            .map_err(|e| bad(e.to_string()))?;
        let ppi = decoded.ppi.or(print.ppi.map(|p| p as u16)).unwrap_or(500);
        let wsq = if print.format.as_deref() == Some("wsq") {
            bytes
        } else {
            vantay_print::input::encode_wsq(&decoded.image, ppi, WSQ_BITRATE)
                .map_err(|e| bad(e.to_string()))?
        };
        Ok(WorkPrint {
            finger,
            ppi,
            width: decoded.image.width(),
            height: decoded.image.height(),
            wsq,
        })
    }

    /// Step 5: checks and stores a result. Every refusal is recorded in the
    /// ledger before it is returned.
    pub async fn import_result(
        &self,
        actor: &Actor,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ImportReceipt, ExchangeError> {
        let mut answers = None;
        let outcome = self.try_import(actor, bytes, now, &mut answers).await;
        if let Err(err) = &outcome {
            if !matches!(err, ExchangeError::Store(_)) {
                self.record_refusal(actor, err, answers).await?;
            }
        }
        outcome
    }

    async fn try_import(
        &self,
        actor: &Actor,
        bytes: &[u8],
        now: DateTime<Utc>,
        answers: &mut Option<(Uuid, Option<CaseId>)>,
    ) -> Result<ImportReceipt, ExchangeError> {
        let pinned = self.store.pinned_identities().await?;
        let opened = open_package(bytes, &self.identity, &pinned, now)?;
        let signer = opened.sender().fingerprint();
        let (header, payload) = opened.into_parts();
        let package_id = match (header.kind, header.answers) {
            (PackageKind::Result, Some(id)) => id,
            _ => return Err(ExchangeError::NotAResult),
        };
        *answers = Some((package_id, None));
        let mut tx = self.begin(actor).await?;
        let mut package = load_package(&mut tx, package_id)
            .await?
            .ok_or(ExchangeError::UnknownPackage(package_id))?;
        let case: CaseId = package
            .case_id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("package {package_id} case id")))?;
        *answers = Some((package_id, Some(case)));
        check_answerable(&package, package_id, signer, now)?;
        let case_row = load_case(&mut tx.tx, case).await?;
        let result = ResultPayload::from_bytes(&payload)?;
        check_covers(&package, package_id, &case_row, &header, &result)?;

        let customer = customer_of(&case_row)?;
        let key = self.data_key(&mut tx.tx, customer).await?;
        let row = ResultRow {
            id: header.id.to_string(),
            package_id: package.id.clone(),
            case_id: package.case_id.clone(),
            ciphertext: seal_field(&key, &result_aad(&key, customer, header.id), &payload),
            received_at: now_text(),
        };
        insert_result(&mut tx, &row).await?;
        package.state = "answered".into();
        package.answered_at = Some(row.received_at.clone());
        package.result_id = Some(row.id.clone());
        update_package(&mut tx, &package).await?;
        let rescan = result.rescans();
        let state = if rescan.is_empty() {
            CaseState::Analysed
        } else {
            CaseState::Captured
        };
        let case_row = set_state(&mut tx, case, state).await?;
        tx.record(
            if rescan.is_empty() {
                "case.analysed"
            } else {
                "case.rescan"
            },
            format!("case/{case}"),
            vec![
                (case_row.name(), case_row.digest()),
                (package.name(), package.digest()),
                (row.name(), row.digest()),
            ],
        );
        self.commit(tx).await?;
        Ok(ImportReceipt {
            case,
            package: package_id,
            result: header.id,
            state,
            rescan,
        })
    }

    async fn record_refusal(
        &self,
        actor: &Actor,
        err: &ExchangeError,
        answers: Option<(Uuid, Option<CaseId>)>,
    ) -> Result<(), StoreError> {
        let object = match answers {
            Some((_, Some(case))) => format!("case/{case}"),
            Some((package, None)) => format!("package/{package}"),
            None => "result/unreadable".to_owned(),
        };
        let mut tx = self.begin(actor).await?;
        tx.record(
            &format!("result.refused.{}", err.refusal_code()),
            object,
            Vec::new(),
        );
        self.commit(tx).await?;
        Ok(())
    }

    /// The accepted analysis result of a case, decrypted (for the report).
    /// Recorded as a read of the customer's data.
    pub async fn analysis_result(
        &self,
        actor: &Actor,
        case: CaseId,
    ) -> Result<Option<ResultPayload>, StoreError> {
        let mut conn = self.store.db.pool.acquire().await?;
        let case_row = load_case(&mut conn, case).await?;
        let customer = customer_of(&case_row)?;
        let row = sqlx::query(
            "SELECT id, ciphertext FROM results WHERE case_id = $1 ORDER BY received_at DESC LIMIT 1",
        )
        .bind(case.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: Uuid = row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|_| StoreError::Corrupt("result id".into()))?;
        let key = self.data_key(&mut conn, customer).await?;
        drop(conn);
        let tampered = || StoreError::Tampered {
            what: format!("result {id} of case {case}"),
        };
        let plain = open_field(
            &key,
            &result_aad(&key, customer, id),
            &row.try_get::<Vec<u8>, _>("ciphertext")?,
        )
        .map_err(|_| tampered())?;
        let result = ResultPayload::from_bytes(&plain).map_err(|_| tampered())?;
        self.record_read(actor, "result.read", customer).await?;
        Ok(Some(result))
    }
}

/// Before a case already `dispatched` is sent again: its open packages
/// must all have expired unanswered. They are closed as `expired` (and
/// withdrawn from the outbox), so a late result for them is refused.
async fn expire_unanswered(
    tx: &mut WriteTx<'_>,
    case: CaseId,
    now: DateTime<Utc>,
) -> Result<Vec<PackageRow>, ExchangeError> {
    let rows = sqlx::query("SELECT * FROM packages WHERE case_id = $1 AND state = 'open'")
        .bind(case.to_string())
        .fetch_all(&mut *tx.tx)
        .await
        .map_err(StoreError::from)?;
    let mut expired = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut package = package_row(row)?;
        if package.expires_at > stamp(now) {
            return Err(ExchangeError::StillOpen {
                case,
                package: package.id.clone(),
                expires: package.expires_at.clone(),
            });
        }
        package.state = "expired".into();
        update_package(tx, &package).await?;
        sqlx::query("DELETE FROM outbox WHERE package_id = $1")
            .bind(&package.id)
            .execute(&mut *tx.tx)
            .await
            .map_err(StoreError::from)?;
        expired.push(package);
    }
    Ok(expired)
}

/// The package must be open, the partner's, and not expired.
fn check_answerable(
    package: &PackageRow,
    id: Uuid,
    signer: Fingerprint,
    now: DateTime<Utc>,
) -> Result<(), ExchangeError> {
    if package.partner_fingerprint != signer.to_string() {
        return Err(ExchangeError::WrongSigner {
            package: id,
            expected: package.partner_fingerprint.clone(),
            signer,
        });
    }
    if package.state == "expired" {
        return Err(ExchangeError::PackageExpired {
            package: id,
            expires: package.expires_at.clone(),
        });
    }
    if package.state != "open" {
        return Err(ExchangeError::AlreadyAnswered {
            package: id,
            at: package.answered_at.clone().unwrap_or_default(),
        });
    }
    let expires: DateTime<Utc> = package
        .expires_at
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("package {id} expiry")))?;
    if now >= expires {
        return Err(ExchangeError::PackageExpired {
            package: id,
            expires: package.expires_at.clone(),
        });
    }
    Ok(())
}

/// The result must name the package's pseudonym and cover exactly its fingers.
fn check_covers(
    package: &PackageRow,
    id: Uuid,
    case: &CaseRow,
    header: &PackageHeader,
    result: &ResultPayload,
) -> Result<(), ExchangeError> {
    for got in [&header.pseudonym, &result.pseudonym] {
        if *got != case.pseudonym {
            return Err(ExchangeError::WrongPseudonym {
                package: id,
                expected: case.pseudonym.clone(),
                got: got.clone(),
            });
        }
    }
    let got = finger_list(result.fingers().into_iter());
    let expected: BTreeSet<&str> = package.fingers.split(',').collect();
    let covered: BTreeSet<&str> = got.split(',').collect();
    if expected != covered {
        return Err(ExchangeError::FingersDiffer {
            package: id,
            expected: package.fingers.clone(),
            got,
        });
    }
    Ok(())
}

/// The associated data of a stored result.
fn result_aad(key: &DataKey, customer: CustomerId, result: Uuid) -> Aad<'static> {
    Aad {
        table: "results",
        field: "payload",
        customer: customer.as_uuid(),
        record: result,
        version: 1,
        key_id: key.id(),
    }
}

fn customer_of(case: &CaseRow) -> Result<CustomerId, StoreError> {
    case.customer_id
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("case {} customer id", case.id)))
}

fn finger_list(fingers: impl Iterator<Item = Finger>) -> String {
    let mut codes: Vec<Finger> = fingers.collect();
    codes.sort_by_key(|f| f.position());
    codes.iter().map(|f| f.code()).collect::<Vec<_>>().join(",")
}

pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn partner_of(row: &PartnerRow) -> Partner {
    Partner {
        name: row.name.clone(),
        fingerprint: row.fingerprint.clone(),
        identity: row.identity.clone(),
        added_at: row.added_at.clone(),
    }
}

pub(crate) fn partner_row(row: &sqlx::any::AnyRow) -> Result<PartnerRow, StoreError> {
    Ok(PartnerRow {
        name: row.try_get("name")?,
        identity: row.try_get("identity")?,
        fingerprint: row.try_get("fingerprint")?,
        added_at: row.try_get("added_at")?,
    })
}

pub(crate) fn package_row(row: &sqlx::any::AnyRow) -> Result<PackageRow, StoreError> {
    Ok(PackageRow {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        partner: row.try_get("partner")?,
        partner_fingerprint: row.try_get("partner_fingerprint")?,
        fingers: row.try_get("fingers")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        state: row.try_get("state")?,
        sealed_digest: row.try_get("sealed_digest")?,
        answered_at: row.try_get("answered_at")?,
        result_id: row.try_get("result_id")?,
    })
}

pub(crate) fn result_row(row: &sqlx::any::AnyRow) -> Result<ResultRow, StoreError> {
    Ok(ResultRow {
        id: row.try_get("id")?,
        package_id: row.try_get("package_id")?,
        case_id: row.try_get("case_id")?,
        ciphertext: row.try_get("ciphertext")?,
        received_at: row.try_get("received_at")?,
    })
}

async fn load_package(tx: &mut WriteTx<'_>, id: Uuid) -> Result<Option<PackageRow>, StoreError> {
    let row = sqlx::query("SELECT * FROM packages WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx.tx)
        .await?;
    row.as_ref().map(package_row).transpose()
}

async fn insert_package(tx: &mut WriteTx<'_>, row: &PackageRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO packages (id, case_id, partner, partner_fingerprint, fingers, created_at, \
         expires_at, state, sealed_digest, answered_at, result_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&row.id)
    .bind(&row.case_id)
    .bind(&row.partner)
    .bind(&row.partner_fingerprint)
    .bind(&row.fingers)
    .bind(&row.created_at)
    .bind(&row.expires_at)
    .bind(&row.state)
    .bind(&row.sealed_digest)
    .bind(row.answered_at.clone())
    .bind(row.result_id.clone())
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

async fn update_package(tx: &mut WriteTx<'_>, row: &PackageRow) -> Result<(), StoreError> {
    sqlx::query("UPDATE packages SET state = $1, answered_at = $2, result_id = $3 WHERE id = $4")
        .bind(&row.state)
        .bind(row.answered_at.clone())
        .bind(row.result_id.clone())
        .bind(&row.id)
        .execute(&mut *tx.tx)
        .await?;
    Ok(())
}

async fn insert_result(tx: &mut WriteTx<'_>, row: &ResultRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO results (id, package_id, case_id, ciphertext, received_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.id)
    .bind(&row.package_id)
    .bind(&row.case_id)
    .bind(&row.ciphertext)
    .bind(&row.received_at)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}
