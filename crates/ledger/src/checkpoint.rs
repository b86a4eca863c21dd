//! Signed checkpoints: (origin, size, root, time) signed with the centre's
//! Ed25519 key, in a text form a person can keep outside the server.
//!
//! # Text form
//!
//! A [C2SP signed note](https://c2sp.org/signed-note) whose body is a
//! [C2SP checkpoint](https://c2sp.org/tlog-checkpoint) with one extension
//! line for the time:
//!
//! ```text
//! vantay.example/centre-hanoi
//! 1042
//! 3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
//! time 2026-11-29T08:23:16.123Z
//!
//! — vantay.example/centre-hanoi pXy0Q5Zs…(base64 of key id ‖ signature)
//! ```
//!
//! Lines end in `\n`. The body (the first four lines, each with its `\n`) is
//! what is signed, with Ed25519. The signature line is an em dash, a space,
//! the origin, a space, and base64 of the 4-byte key id followed by the
//! 64-byte signature; the key id is the first 4 bytes of
//! SHA-256(origin ‖ `\n` ‖ 0x01 ‖ public key), as C2SP defines for Ed25519.
//! Keeping to C2SP means standard note tools can check a checkpoint given
//! [`verifier_key`]. Every field has one spelling (decimal size without
//! leading zeros, padded standard base64, RFC 3339 UTC time to the
//! millisecond with `Z`), so parsing and printing round-trip exactly.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::hash::Hash;

/// C2SP's signature-type byte for Ed25519, part of the key id.
const ED25519_KEY_TYPE: u8 = 0x01;
/// Starts the signature line (U+2014 EM DASH and a space).
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// Starts the time extension line.
const TIME_PREFIX: &str = "time ";

/// What a checkpoint states: the ledger of `origin` had `size` entries with
/// this `root` at `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The centre's name or id; one line of printable text, no spaces at
    /// the ends, e.g. `vantay.example/centre-hanoi`.
    pub origin: String,
    /// Number of ledger entries covered.
    pub size: u64,
    /// RFC 6962 root of those entries.
    pub root: Hash,
    /// When it was made: milliseconds since 1970-01-01 UTC.
    pub time: i64,
}

/// A checkpoint with its signature. Made by [`SignedCheckpoint::sign`] or
/// [`SignedCheckpoint::parse`]; its contents are trusted only through
/// [`SignedCheckpoint::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    key_id: [u8; 4],
    signature: [u8; 64],
}

/// Why a checkpoint could not be signed, read, or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The origin is empty, has a control character or a space at either
    /// end.
    #[error("checkpoint origin must be one line of text without spaces at the ends, got {0:?}")]
    BadOrigin(String),
    /// The time cannot be written as an RFC 3339 date.
    #[error("checkpoint time {0} ms is out of range")]
    TimeOutOfRange(i64),
    /// The text does not follow the format; `line` counts from 1.
    #[error("checkpoint text, line {line}: {reason}")]
    Malformed {
        /// Line number, from 1.
        line: usize,
        /// What was expected there.
        reason: &'static str,
    },
    /// Signed by another key (or for another origin) than the one given.
    #[error("checkpoint signed by key id {found}, expected {expected} (another key or origin)")]
    WrongKey {
        /// Key id of the key given, hex.
        expected: String,
        /// Key id on the signature line, hex.
        found: String,
    },
    /// The signature does not match the text: a field or the signature
    /// was changed.
    #[error("checkpoint signature does not verify: the checkpoint was altered")]
    BadSignature,
}

impl Checkpoint {
    /// The signed body: origin, size, root, time, each line ending in `\n`.
    fn body(&self) -> Result<String, CheckpointError> {
        check_origin(&self.origin)?;
        let time = DateTime::<Utc>::from_timestamp_millis(self.time)
            .ok_or(CheckpointError::TimeOutOfRange(self.time))?
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        let root = BASE64.encode(self.root.0);
        Ok(format!(
            "{}\n{}\n{root}\n{TIME_PREFIX}{time}\n",
            self.origin, self.size
        ))
    }
}

impl SignedCheckpoint {
    /// Signs `checkpoint` with the centre's key.
    pub fn sign(checkpoint: Checkpoint, key: &SigningKey) -> Result<Self, CheckpointError> {
        let body = checkpoint.body()?;
        let signature = key.sign(body.as_bytes()).to_bytes();
        let key_id = key_id(&checkpoint.origin, &key.verifying_key());
        Ok(SignedCheckpoint {
            checkpoint,
            key_id,
            signature,
        })
    }

    /// Checks the signature against the centre's public key and returns
    /// the checkpoint it vouches for.
    pub fn verify(&self, key: &VerifyingKey) -> Result<&Checkpoint, CheckpointError> {
        let expected = key_id(&self.checkpoint.origin, key);
        if expected != self.key_id {
            return Err(CheckpointError::WrongKey {
                expected: hex::encode(expected),
                found: hex::encode(self.key_id),
            });
        }
        let body = self.checkpoint.body()?;
        key.verify_strict(body.as_bytes(), &Signature::from_bytes(&self.signature))
            .map_err(|_| CheckpointError::BadSignature)?;
        Ok(&self.checkpoint)
    }

    /// The checkpoint as written, not yet checked: for choosing which one to
    /// verify (e.g. by size), never for trusting.
    pub fn unverified(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The text form (see the module docs).
    pub fn to_text(&self) -> String {
        let body = self
            .checkpoint
            .body()
            .expect("a signed checkpoint has a valid body");
        let mut id_and_signature = self.key_id.to_vec();
        id_and_signature.extend_from_slice(&self.signature);
        let signature = BASE64.encode(id_and_signature);
        format!(
            "{body}\n{SIGNATURE_PREFIX}{} {signature}\n",
            self.checkpoint.origin
        )
    }

    /// Reads the text form. Checks the format only; call
    /// [`SignedCheckpoint::verify`] before trusting it.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let lines = split_lines(text)?;
        let [origin, size, root, time, blank, signature_line] = lines[..] else {
            return Err(malformed(
                lines.len().min(6),
                "a checkpoint has exactly 6 lines",
            ));
        };
        check_origin(origin).map_err(|_| malformed(1, "origin must be non-empty text"))?;
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            time: parse_time(time)?,
        };
        if !blank.is_empty() {
            return Err(malformed(5, "expected an empty line before the signature"));
        }
        let (key_id, signature) = parse_signature_line(signature_line, origin)?;
        Ok(SignedCheckpoint {
            checkpoint,
            key_id,
            signature,
        })
    }
}

/// The C2SP verifier key (`origin+keyid+base64(0x01 ‖ public key)`), for
/// checking a checkpoint with standard signed-note tools.
pub fn verifier_key(origin: &str, key: &VerifyingKey) -> String {
    let mut typed_key = vec![ED25519_KEY_TYPE];
    typed_key.extend_from_slice(key.as_bytes());
    format!(
        "{origin}+{}+{}",
        hex::encode(key_id(origin, key)),
        BASE64.encode(typed_key)
    )
}

fn key_id(origin: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut input = Vec::with_capacity(origin.len() + 34);
    input.extend_from_slice(origin.as_bytes());
    input.push(b'\n');
    input.push(ED25519_KEY_TYPE);
    input.extend_from_slice(key.as_bytes());
    let digest = Hash::of(&input);
    digest.0[..4].try_into().expect("4 bytes")
}

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    let valid =
        !origin.is_empty() && origin.trim() == origin && !origin.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(CheckpointError::BadOrigin(origin.to_owned()))
    }
}

fn malformed(line: usize, reason: &'static str) -> CheckpointError {
    CheckpointError::Malformed { line, reason }
}

/// Splits on `\n`, requiring the text to end with one.
fn split_lines(text: &str) -> Result<Vec<&str>, CheckpointError> {
    let Some(text) = text.strip_suffix('\n') else {
        let line = text.split('\n').count();
        return Err(malformed(line, "the last line must end with a newline"));
    };
    Ok(text.split('\n').collect())
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let reason = "size must be a decimal number without leading zeros";
    let size: u64 = line.parse().map_err(|_| malformed(2, reason))?;
    if size.to_string() != line {
        return Err(malformed(2, reason));
    }
    Ok(size)
}

fn parse_root(line: &str) -> Result<Hash, CheckpointError> {
    let reason = "root must be 32 bytes in padded standard base64";
    let bytes = BASE64.decode(line).map_err(|_| malformed(3, reason))?;
    let root = Hash::from_slice(&bytes).map_err(|_| malformed(3, reason))?;
    if BASE64.encode(root.0) != line {
        return Err(malformed(3, reason));
    }
    Ok(root)
}

fn parse_time(line: &str) -> Result<i64, CheckpointError> {
    let reason = "expected `time ` and an RFC 3339 UTC time in milliseconds, ending in Z";
    let text = line.strip_prefix(TIME_PREFIX).ok_or(malformed(4, reason))?;
    let time = DateTime::parse_from_rfc3339(text).map_err(|_| malformed(4, reason))?;
    let time = time.with_timezone(&Utc);
    if time.to_rfc3339_opts(SecondsFormat::Millis, true) != text {
        return Err(malformed(4, reason));
    }
    Ok(time.timestamp_millis())
}

fn parse_signature_line(line: &str, origin: &str) -> Result<([u8; 4], [u8; 64]), CheckpointError> {
    let reason = "expected `— <origin> <base64 key id and signature>`";
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(malformed(6, reason))?;
    let (name, encoded) = rest.rsplit_once(' ').ok_or(malformed(6, reason))?;
    if name != origin {
        return Err(malformed(
            6,
            "the signature names another origin than line 1",
        ));
    }
    let bytes = BASE64.decode(encoded).map_err(|_| malformed(6, reason))?;
    let (key_id, signature) = bytes
        .split_first_chunk::<4>()
        .filter(|(_, signature)| signature.len() == 64)
        .ok_or(malformed(
            6,
            "signature must be a 4-byte key id and 64 bytes",
        ))?;
    Ok((*key_id, signature.try_into().expect("64 bytes")))
}
