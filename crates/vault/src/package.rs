//! Exchange packages between the centre and the analysis centre: encrypted
//! to the recipient's pinned X25519 key (age format), signed by the sender's
//! pinned Ed25519 key.
//!
//! # Format
//!
//! ```text
//! "vantay-pkg-v1\n"
//! u32 BE length ‖ header (JSON, PackageHeader)
//! u32 BE length ‖ age ciphertext of ( SHA-256(magic ‖ framed header) ‖ payload )
//! Ed25519 signature (64 bytes) over everything before it
//! ```
//!
//! # Why this shape
//!
//! - The header is in the clear, so a receiver can refuse a package that is
//!   not addressed to it, comes from an unpinned sender or has expired before
//!   decrypting anything; the pseudonym it names is not personal data.
//! - The signature covers the header *and* the ciphertext (encrypt, then
//!   sign), so no byte of either can change, and the receiver checks it
//!   before decrypting.
//! - Encrypt-then-sign alone would let another pinned partner strip the
//!   signature, put its own fingerprint in the header and re-sign, so that
//!   the result of someone else's work would come back to it. The hash of
//!   the header is therefore also sealed *inside* the ciphertext, where only
//!   the original sender could have put it: a re-signed package opens with
//!   [`PackageError::HeaderMismatch`]. Together: the header, the payload and
//!   the sender are bound to each other and to the recipient.
//! - The recipient's fingerprint is in the signed header, so a receiver
//!   cannot forward a package to a third party as if it had been sent there.
//! - Replay is the caller's rule: a result must answer (`answers`) an open
//!   package id, once. This module makes `id` and `answers` unforgeable.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, SIGNATURE_LENGTH};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::identity::{CentreKeys, Fingerprint, PublicIdentity};

const MAGIC: &[u8] = b"vantay-pkg-v1\n";
/// Largest header accepted; real headers are a few hundred bytes.
const MAX_HEADER: usize = 16 * 1024;
const HASH_LEN: usize = 32;

/// What a package carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    /// Centre → analysis centre: prints and the few facts the analysis needs.
    Work,
    /// Analysis centre → centre: the signed result for one work package.
    Result,
}

/// The signed, clear-text header of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageHeader {
    /// Work package or result.
    pub kind: PackageKind,
    /// Unique id of this package.
    pub id: Uuid,
    /// Fingerprint of the sender's identity.
    pub sender: Fingerprint,
    /// Fingerprint of the recipient's identity.
    pub recipient: Fingerprint,
    /// The case pseudonym (never the customer's name or id).
    pub pseudonym: String,
    /// When the package was made.
    pub created: DateTime<Utc>,
    /// After this instant the package is refused.
    pub expires: DateTime<Utc>,
    /// For a result: the id of the work package it answers.
    pub answers: Option<Uuid>,
}

impl PackageHeader {
    /// Header of a new work package from `sender` to `recipient`, valid for
    /// `valid_for` from `now`.
    pub fn work(
        sender: &PublicIdentity,
        recipient: &PublicIdentity,
        pseudonym: &str,
        now: DateTime<Utc>,
        valid_for: Duration,
    ) -> PackageHeader {
        PackageHeader {
            kind: PackageKind::Work,
            id: Uuid::new_v4(),
            sender: sender.fingerprint(),
            recipient: recipient.fingerprint(),
            pseudonym: pseudonym.to_owned(),
            created: now,
            expires: now + valid_for,
            answers: None,
        }
    }

    /// Header of the result answering `work`, sent back to its sender.
    pub fn result_for(
        work: &PackageHeader,
        now: DateTime<Utc>,
        valid_for: Duration,
    ) -> PackageHeader {
        PackageHeader {
            kind: PackageKind::Result,
            id: Uuid::new_v4(),
            sender: work.recipient,
            recipient: work.sender,
            pseudonym: work.pseudonym.clone(),
            created: now,
            expires: now + valid_for,
            answers: Some(work.id),
        }
    }

    fn check_consistent(&self) -> Result<(), PackageError> {
        let answers_ok = match self.kind {
            PackageKind::Work => self.answers.is_none(),
            PackageKind::Result => self.answers.is_some(),
        };
        if !answers_ok {
            return Err(PackageError::Inconsistent(
                "a result must name the package it answers, a work package none",
            ));
        }
        if self.expires <= self.created {
            return Err(PackageError::Inconsistent(
                "it expires before it was created",
            ));
        }
        Ok(())
    }
}

/// Why a package could not be sealed or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Not a vantay package, or cut short.
    #[error("not a vantay exchange package ({0}): the file was cut, or is something else")]
    Malformed(&'static str),
    /// Addressed to another identity.
    #[error("the package is addressed to {addressed_to}, not to this centre ({me}); it was sent to the wrong place")]
    NotForMe {
        /// The recipient fingerprint in the header.
        addressed_to: Fingerprint,
        /// This centre's fingerprint.
        me: Fingerprint,
    },
    /// The sender is not among the pinned partners.
    #[error("the package claims to come from {0}, which is not a pinned partner; pin it with `vantay partner add` after checking its fingerprint by phone")]
    UnknownSender(Fingerprint),
    /// Signature check failed.
    #[error("the package's signature does not verify: it was changed after signing or forged; ask the sender to send it again")]
    BadSignature,
    /// Past its expiry.
    #[error("the package expired at {expires}; ask the sender for a new one")]
    Expired {
        /// When it expired.
        expires: DateTime<Utc>,
    },
    /// The signed ciphertext does not open with this centre's key.
    #[error("the package is signed by a pinned partner but does not decrypt with this centre's key: the sender encrypted it to another key; ask them to check the identity they pinned")]
    Decrypt,
    /// The encrypted copy of the header differs from the signed one.
    #[error("the package's signed header does not match the one sealed inside: it was re-signed by someone other than its author; refuse it and tell the sender")]
    HeaderMismatch,
    /// Header fields that contradict each other.
    #[error("the package header is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// The header names other identities than the keys given to seal it.
    #[error(
        "the header's sender or recipient fingerprint does not match the keys used to seal it"
    )]
    WrongParties,
    /// age failed to encrypt.
    #[error("encrypting the package failed: {0}")]
    Encrypt(String),
}

/// A package whose signature, addressing, expiry and integrity were checked.
/// Only [`open_package`] makes one.
pub struct VerifiedPackage {
    header: PackageHeader,
    payload: Zeroizing<Vec<u8>>,
    sender: PublicIdentity,
}

impl fmt::Debug for VerifiedPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedPackage")
            .field("header", &self.header)
            .field("payload_len", &self.payload.len())
            .field("sender", &self.sender)
            .finish()
    }
}

impl VerifiedPackage {
    /// The verified header.
    pub fn header(&self) -> &PackageHeader {
        &self.header
    }

    /// The decrypted payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The pinned partner who signed it.
    pub fn sender(&self) -> &PublicIdentity {
        &self.sender
    }

    /// Header and payload.
    pub fn into_parts(self) -> (PackageHeader, Zeroizing<Vec<u8>>) {
        (self.header, self.payload)
    }
}

fn put_framed(out: &mut Vec<u8>, part: &[u8]) {
    let len = u32::try_from(part.len()).expect("a package part is under 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(part);
}

/// SHA-256 of the magic and the framed header: what is sealed inside.
fn header_hash(header_json: &[u8]) -> [u8; HASH_LEN] {
    let mut framed = Vec::with_capacity(MAGIC.len() + 4 + header_json.len());
    framed.extend_from_slice(MAGIC);
    put_framed(&mut framed, header_json);
    Sha256::digest(&framed).into()
}

/// Encrypt `payload` to `recipient` and sign the package as `sender`.
pub fn seal_package(
    header: &PackageHeader,
    payload: &[u8],
    sender: &CentreKeys,
    recipient: &PublicIdentity,
) -> Result<Vec<u8>, PackageError> {
    header.check_consistent()?;
    if header.sender != sender.public().fingerprint() || header.recipient != recipient.fingerprint()
    {
        return Err(PackageError::WrongParties);
    }
    let header_json = serde_json::to_vec(header).expect("a header always serialises");
    let mut inner = Zeroizing::new(Vec::with_capacity(HASH_LEN + payload.len()));
    inner.extend_from_slice(&header_hash(&header_json));
    inner.extend_from_slice(payload);
    let ciphertext = age::encrypt(recipient.recipient(), &inner)
        .map_err(|e| PackageError::Encrypt(e.to_string()))?;

    let mut out = Vec::with_capacity(
        MAGIC.len() + 8 + header_json.len() + ciphertext.len() + SIGNATURE_LENGTH,
    );
    out.extend_from_slice(MAGIC);
    put_framed(&mut out, &header_json);
    put_framed(&mut out, &ciphertext);
    let signature = sender.sign(&out);
    out.extend_from_slice(&signature.to_bytes());
    Ok(out)
}

/// The parts of a package as read from bytes, before any check.
struct Framed<'a> {
    header_json: &'a [u8],
    ciphertext: &'a [u8],
    signed: &'a [u8],
    signature: Signature,
}

fn take_framed<'a>(rest: &mut &'a [u8], what: &'static str) -> Result<&'a [u8], PackageError> {
    if rest.len() < 4 {
        return Err(PackageError::Malformed(what));
    }
    let (len, tail) = rest.split_at(4);
    let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    if tail.len() < len {
        return Err(PackageError::Malformed(what));
    }
    let (part, tail) = tail.split_at(len);
    *rest = tail;
    Ok(part)
}

fn unframe(bytes: &[u8]) -> Result<Framed<'_>, PackageError> {
    let mut rest = bytes.strip_prefix(MAGIC).ok_or(PackageError::Malformed(
        "it does not start with vantay-pkg-v1",
    ))?;
    let header_json = take_framed(&mut rest, "the header is cut short")?;
    if header_json.len() > MAX_HEADER {
        return Err(PackageError::Malformed("the header is too large"));
    }
    let ciphertext = take_framed(&mut rest, "the encrypted part is cut short")?;
    let signature: [u8; SIGNATURE_LENGTH] = rest.try_into().map_err(|_| {
        PackageError::Malformed("the signature is missing or has extra bytes after it")
    })?;
    Ok(Framed {
        header_json,
        ciphertext,
        signed: &bytes[..bytes.len() - SIGNATURE_LENGTH],
        signature: Signature::from_bytes(&signature),
    })
}

/// Check and open a package addressed to `me`, signed by one of `pinned`,
/// at time `now`.
pub fn open_package(
    bytes: &[u8],
    me: &CentreKeys,
    pinned: &[PublicIdentity],
    now: DateTime<Utc>,
) -> Result<VerifiedPackage, PackageError> {
    let framed = unframe(bytes)?;
    let header: PackageHeader = serde_json::from_slice(framed.header_json)
        .map_err(|_| PackageError::Malformed("the header is not a valid package header"))?;
    let my_fingerprint = me.public().fingerprint();
    if header.recipient != my_fingerprint {
        return Err(PackageError::NotForMe {
            addressed_to: header.recipient,
            me: my_fingerprint,
        });
    }
    let sender = pinned
        .iter()
        .find(|p| p.fingerprint() == header.sender)
        .ok_or(PackageError::UnknownSender(header.sender))?;
    sender
        .verifying_key()
        .verify_strict(framed.signed, &framed.signature)
        .map_err(|_| PackageError::BadSignature)?;
    header.check_consistent()?;
    if now >= header.expires {
        return Err(PackageError::Expired {
            expires: header.expires,
        });
    }
    let payload = decrypt_inner(framed.ciphertext, me, framed.header_json)?;
    Ok(VerifiedPackage {
        header,
        payload,
        sender: sender.clone(),
    })
}

fn decrypt_inner(
    ciphertext: &[u8],
    me: &CentreKeys,
    header_json: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PackageError> {
    let mut inner = Zeroizing::new(
        age::decrypt(me.exchange_identity(), ciphertext).map_err(|_| PackageError::Decrypt)?,
    );
    if inner.len() < HASH_LEN {
        return Err(PackageError::HeaderMismatch);
    }
    let sealed_hash: [u8; HASH_LEN] = inner[..HASH_LEN].try_into().expect("32 bytes");
    if sealed_hash != header_hash(header_json) {
        return Err(PackageError::HeaderMismatch);
    }
    inner.drain(..HASH_LEN);
    Ok(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct World {
        centre: CentreKeys,
        lab: CentreKeys,
        other: CentreKeys,
        now: DateTime<Utc>,
    }

    fn world() -> World {
        World {
            centre: CentreKeys::generate("centre-hanoi").unwrap(),
            lab: CentreKeys::generate("lab-1").unwrap(),
            other: CentreKeys::generate("lab-2").unwrap(),
            now: "2026-11-29T09:00:00Z".parse().unwrap(),
        }
    }

    fn work_package(w: &World, payload: &[u8]) -> (PackageHeader, Vec<u8>) {
        let header = PackageHeader::work(
            &w.centre.public(),
            &w.lab.public(),
            "VT-7Q3X",
            w.now,
            Duration::days(14),
        );
        let bytes = seal_package(&header, payload, &w.centre, &w.lab.public()).unwrap();
        (header, bytes)
    }

    #[test]
    fn work_and_result_round_trip() {
        let w = world();
        let (header, bytes) = work_package(&w, b"ten prints");
        let opened = open_package(
            &bytes,
            &w.lab,
            &[w.other.public(), w.centre.public()],
            w.now,
        )
        .unwrap();
        assert_eq!(opened.header(), &header);
        assert_eq!(opened.payload(), b"ten prints");
        assert_eq!(opened.sender(), &w.centre.public());

        let later = w.now + Duration::days(2);
        let reply = PackageHeader::result_for(opened.header(), later, Duration::days(7));
        let bytes = seal_package(&reply, b"W L L R A", &w.lab, &w.centre.public()).unwrap();
        let (back, payload) = open_package(&bytes, &w.centre, &[w.lab.public()], later)
            .unwrap()
            .into_parts();
        assert_eq!(back.answers, Some(header.id));
        assert_eq!(back.pseudonym, "VT-7Q3X");
        assert_eq!(payload.as_slice(), b"W L L R A");
    }

    #[test]
    fn refuses_wrong_recipient() {
        let w = world();
        let (_, bytes) = work_package(&w, b"p");
        let err = open_package(&bytes, &w.other, &[w.centre.public()], w.now).unwrap_err();
        assert!(matches!(err, PackageError::NotForMe { .. }), "{err}");
    }

    #[test]
    fn refuses_unpinned_signer() {
        let w = world();
        let (_, bytes) = work_package(&w, b"p");
        let err = open_package(&bytes, &w.lab, &[w.other.public()], w.now).unwrap_err();
        assert!(
            matches!(err, PackageError::UnknownSender(fp) if fp == w.centre.public().fingerprint())
        );
    }

    #[test]
    fn refuses_expired() {
        let w = world();
        let (header, bytes) = work_package(&w, b"p");
        let pinned = [w.centre.public()];
        assert!(open_package(
            &bytes,
            &w.lab,
            &pinned,
            header.expires - Duration::seconds(1)
        )
        .is_ok());
        let err = open_package(&bytes, &w.lab, &pinned, header.expires).unwrap_err();
        assert!(matches!(err, PackageError::Expired { expires } if expires == header.expires));
    }

    #[test]
    fn refuses_any_flipped_byte() {
        let w = world();
        let (_, bytes) = work_package(&w, b"a short payload");
        let pinned = [w.centre.public()];
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(
                open_package(&bad, &w.lab, &pinned, w.now).is_err(),
                "byte {i} of {}",
                bytes.len()
            );
        }
        assert!(open_package(&bytes[..bytes.len() - 1], &w.lab, &pinned, w.now).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            open_package(&longer, &w.lab, &pinned, w.now),
            Err(PackageError::Malformed(_))
        ));
    }

    #[test]
    fn refuses_package_re_signed_by_another_partner() {
        // lab-2 (pinned too) takes the centre's package, puts itself in the
        // header as sender and signs it with its own key.
        let w = world();
        let (header, bytes) = work_package(&w, b"p");
        let framed = unframe(&bytes).unwrap();
        let stolen = PackageHeader {
            sender: w.other.public().fingerprint(),
            ..header
        };
        let mut forged = MAGIC.to_vec();
        put_framed(&mut forged, &serde_json::to_vec(&stolen).unwrap());
        put_framed(&mut forged, framed.ciphertext);
        let signature = w.other.sign(&forged);
        forged.extend_from_slice(&signature.to_bytes());
        let pinned = [w.centre.public(), w.other.public()];
        let err = open_package(&forged, &w.lab, &pinned, w.now).unwrap_err();
        assert!(matches!(err, PackageError::HeaderMismatch), "{err}");
    }

    #[test]
    fn refuses_sealing_inconsistent_headers() {
        let w = world();
        let (header, _) = work_package(&w, b"p");
        let lab = w.lab.public();
        let no_answer = PackageHeader {
            kind: PackageKind::Result,
            ..header.clone()
        };
        assert!(matches!(
            seal_package(&no_answer, b"", &w.centre, &lab),
            Err(PackageError::Inconsistent(_))
        ));
        let backwards = PackageHeader {
            expires: header.created,
            ..header.clone()
        };
        assert!(matches!(
            seal_package(&backwards, b"", &w.centre, &lab),
            Err(PackageError::Inconsistent(_))
        ));
        let err = seal_package(&header, b"", &w.centre, &w.other.public()).unwrap_err();
        assert!(matches!(err, PackageError::WrongParties));
        let err = seal_package(&header, b"", &w.other, &lab).unwrap_err();
        assert!(matches!(err, PackageError::WrongParties));
    }

    #[test]
    fn large_payload_round_trips() {
        let w = world();
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (_, bytes) = work_package(&w, &payload);
        let opened = open_package(&bytes, &w.lab, &[w.centre.public()], w.now).unwrap();
        assert_eq!(opened.payload(), payload.as_slice());
    }
}
