//! The centre's own keys (Ed25519 signing, X25519 exchange) and its public
//! identity line.
//!
//! ```text
//! vantay-id1 <name> age1… ed25519:<base64 verifying key>
//! ```
//!
//! A partner pins this line; its [`Fingerprint`] (10 bytes of SHA-256 over
//! the two public keys, shown as `3F2A-91C0-7D4E-8B10-55AA`) is read out on
//! the phone to check that the line was not swapped on the way.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use secrecy::ExposeSecret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::keyring::Keyring;
use crate::seal::{open_with, put_part, random_nonce, seal_with_nonce};

const LINE_TAG: &str = "vantay-id1";
const ED25519_PREFIX: &str = "ed25519:";
const MAX_NAME: usize = 64;

/// Why an identity line, a name or the stored centre keys were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityError {
    /// The name is empty, too long or has characters not allowed.
    #[error("identity name {0:?} is not allowed: use 1 to 64 letters, digits, '-', '_' or '.', without spaces")]
    BadName(String),
    /// The line is not `vantay-id1 NAME age1… ed25519:…`.
    #[error("not a vantay identity line ({0}); it looks like: vantay-id1 NAME age1… ed25519:…  — copy the whole line from `vantay identity`")]
    BadLine(&'static str),
    /// The X25519 recipient does not parse.
    #[error("the age1… key of the identity line is not valid: {0}; the line was cut or mistyped")]
    BadRecipient(String),
    /// The Ed25519 key does not parse or is weak.
    #[error("the ed25519 key of the identity line is not valid; the line was cut or mistyped")]
    BadVerifyingKey,
    /// A fingerprint text that is not 20 hex digits.
    #[error(
        "{0:?} is not a fingerprint: expect 5 groups of 4 hex digits like 3F2A-91C0-7D4E-8B10-55AA"
    )]
    BadFingerprint(String),
    /// The stored centre keys do not open with this keyring.
    #[error("the centre's stored signing and exchange keys do not open with this master key: wrong key file, or the row was changed")]
    Unwrap,
}

/// Short fingerprint of a public identity: the first 10 bytes of SHA-256
/// over its two public keys (the name is not part of it, so renaming a
/// partner does not change it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 10]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = hex::encode_upper(self.0);
        let groups: Vec<&str> = (0..5).map(|i| &hex[i * 4..i * 4 + 4]).collect();
        f.write_str(&groups.join("-"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = IdentityError;
    fn from_str(text: &str) -> Result<Self, IdentityError> {
        let digits: String = text
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .collect();
        hex::decode(&digits)
            .ok()
            .and_then(|v| v.try_into().ok())
            .map(Fingerprint)
            .ok_or_else(|| IdentityError::BadFingerprint(text.to_owned()))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn check_name(name: &str) -> Result<(), IdentityError> {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !name.is_empty() && name.chars().count() <= MAX_NAME && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(IdentityError::BadName(name.to_owned()))
    }
}

/// A centre's public identity: what a partner pins.
#[derive(Clone)]
pub struct PublicIdentity {
    name: String,
    recipient: age::x25519::Recipient,
    verifying: VerifyingKey,
}

impl PublicIdentity {
    /// The centre's name as it calls itself.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The X25519 key packages to this centre are encrypted to.
    pub fn recipient(&self) -> &age::x25519::Recipient {
        &self.recipient
    }

    /// The Ed25519 key this centre's signatures verify with.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// The one-line text form.
    pub fn to_line(&self) -> String {
        format!(
            "{LINE_TAG} {} {} {ED25519_PREFIX}{}",
            self.name,
            self.recipient,
            STANDARD.encode(self.verifying.as_bytes())
        )
    }

    /// Parse an identity line (surrounding whitespace ignored).
    pub fn parse(line: &str) -> Result<PublicIdentity, IdentityError> {
        let mut parts = line.split_whitespace();
        if parts.next() != Some(LINE_TAG) {
            return Err(IdentityError::BadLine("it does not start with vantay-id1"));
        }
        let (name, recipient, verifying) =
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(n), Some(r), Some(v), None) => (n, r, v),
                _ => {
                    return Err(IdentityError::BadLine(
                        "it does not have exactly four words",
                    ))
                }
            };
        check_name(name)?;
        let recipient = age::x25519::Recipient::from_str(recipient)
            .map_err(|e| IdentityError::BadRecipient(e.to_string()))?;
        let verifying = parse_verifying_key(verifying)?;
        Ok(PublicIdentity {
            name: name.to_owned(),
            recipient,
            verifying,
        })
    }

    /// The short fingerprint for an out-of-band check.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut input = Vec::new();
        put_part(&mut input, LINE_TAG.as_bytes());
        put_part(&mut input, self.recipient.to_string().as_bytes());
        put_part(&mut input, self.verifying.as_bytes());
        let digest = Sha256::digest(&input);
        let mut out = [0u8; 10];
        out.copy_from_slice(&digest[..10]);
        Fingerprint(out)
    }
}

fn parse_verifying_key(word: &str) -> Result<VerifyingKey, IdentityError> {
    let b64 = word
        .strip_prefix(ED25519_PREFIX)
        .ok_or(IdentityError::BadLine(
            "the last word does not start with ed25519:",
        ))?;
    let bytes: [u8; 32] = STANDARD
        .decode(b64)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(IdentityError::BadVerifyingKey)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| IdentityError::BadVerifyingKey)?;
    if key.is_weak() {
        return Err(IdentityError::BadVerifyingKey);
    }
    Ok(key)
}

impl PartialEq for PublicIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.recipient == other.recipient
            && self.verifying == other.verifying
    }
}

impl Eq for PublicIdentity {}

impl fmt::Debug for PublicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicIdentity")
            .field("name", &self.name)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl fmt::Display for PublicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_line())
    }
}

impl FromStr for PublicIdentity {
    type Err = IdentityError;
    fn from_str(line: &str) -> Result<Self, IdentityError> {
        PublicIdentity::parse(line)
    }
}

/// The centre's stored keys: its public line in the clear and its secret
/// keys sealed under the master key's key-encryption key, bound to that line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedCentreKeys {
    /// The public identity line.
    pub public: String,
    /// Ed25519 seed and age identity, sealed.
    #[serde(with = "crate::b64")]
    pub wrapped: Vec<u8>,
}

/// The centre's secret keys: Ed25519 for signing (packages, ledger
/// checkpoints) and X25519 (age) for receiving packages.
pub struct CentreKeys {
    name: String,
    signing: SigningKey,
    exchange: age::x25519::Identity,
}

impl fmt::Debug for CentreKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CentreKeys")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

fn wrap_aad(public_line: &str) -> Vec<u8> {
    let mut aad = Vec::new();
    put_part(&mut aad, b"vantay-wrap-v1/centre-keys");
    put_part(&mut aad, public_line.as_bytes());
    aad
}

impl CentreKeys {
    /// New random keys for a centre called `name` (see
    /// [`IdentityError::BadName`] for what a name may hold).
    pub fn generate(name: &str) -> Result<CentreKeys, IdentityError> {
        check_name(name)?;
        Ok(CentreKeys {
            name: name.to_owned(),
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
            exchange: age::x25519::Identity::generate(),
        })
    }

    /// The public identity to hand to partners.
    pub fn public(&self) -> PublicIdentity {
        PublicIdentity {
            name: self.name.clone(),
            recipient: self.exchange.to_public(),
            verifying: self.signing.verifying_key(),
        }
    }

    /// The Ed25519 signing key (for ledger checkpoints).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// Sign `message` with the centre's Ed25519 key.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// The X25519 identity that opens packages addressed to this centre.
    pub fn exchange_identity(&self) -> &age::x25519::Identity {
        &self.exchange
    }

    /// Seal these keys for storage in the database.
    pub fn wrap(&self, keyring: &Keyring) -> WrappedCentreKeys {
        let public = self.public().to_line();
        let age_secret = self.exchange.to_string();
        let mut plain = Zeroizing::new(Vec::with_capacity(128));
        plain.extend_from_slice(self.signing.as_bytes());
        plain.extend_from_slice(age_secret.expose_secret().as_bytes());
        let wrapped = seal_with_nonce(keyring.kek(), &wrap_aad(&public), &random_nonce(), &plain);
        WrappedCentreKeys { public, wrapped }
    }

    /// Open the stored keys.
    pub fn unwrap(
        keyring: &Keyring,
        stored: &WrappedCentreKeys,
    ) -> Result<CentreKeys, IdentityError> {
        let public = PublicIdentity::parse(&stored.public)?;
        let plain = open_with(keyring.kek(), &wrap_aad(&stored.public), &stored.wrapped)
            .map_err(|_| IdentityError::Unwrap)?;
        if plain.len() <= 32 {
            return Err(IdentityError::Unwrap);
        }
        let (seed, age_secret) = plain.split_at(32);
        let seed: &[u8; 32] = seed.try_into().map_err(|_| IdentityError::Unwrap)?;
        let age_secret = std::str::from_utf8(age_secret).map_err(|_| IdentityError::Unwrap)?;
        let keys = CentreKeys {
            name: public.name.clone(),
            signing: SigningKey::from_bytes(seed),
            exchange: age::x25519::Identity::from_str(age_secret)
                .map_err(|_| IdentityError::Unwrap)?,
        };
        if keys.public() != public {
            return Err(IdentityError::Unwrap);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::MasterKey;
    use ed25519_dalek::Verifier;

    #[test]
    fn identity_line_round_trip() {
        let keys = CentreKeys::generate("hanoi-1").unwrap();
        let line = keys.public().to_line();
        assert!(line.starts_with("vantay-id1 hanoi-1 age1"), "{line}");
        let parsed = PublicIdentity::parse(&format!("  {line}\n")).unwrap();
        assert_eq!(parsed, keys.public());
        assert_eq!(parsed.fingerprint(), keys.public().fingerprint());
        let fp = parsed.fingerprint().to_string();
        assert_eq!(fp.len(), 24);
        assert_eq!(fp.parse::<Fingerprint>().unwrap(), parsed.fingerprint());
    }

    #[test]
    fn bad_lines_get_clear_errors() {
        let line = CentreKeys::generate("hcm").unwrap().public().to_line();
        let words: Vec<&str> = line.split(' ').collect();
        assert!(matches!(
            PublicIdentity::parse("hello"),
            Err(IdentityError::BadLine(_))
        ));
        assert!(matches!(
            PublicIdentity::parse(&words[..3].join(" ")),
            Err(IdentityError::BadLine(_))
        ));
        let mut typo = words[2].to_owned();
        typo.replace_range(10..11, if &typo[10..11] == "q" { "p" } else { "q" });
        let bad_recipient = [words[0], words[1], &typo, words[3]].join(" ");
        assert!(matches!(
            PublicIdentity::parse(&bad_recipient),
            Err(IdentityError::BadRecipient(_))
        ));
        let bad_key = [words[0], words[1], words[2], "ed25519:AAAA"].join(" ");
        assert_eq!(
            PublicIdentity::parse(&bad_key).unwrap_err(),
            IdentityError::BadVerifyingKey
        );
        assert!(matches!(
            CentreKeys::generate("two words"),
            Err(IdentityError::BadName(_))
        ));
        assert!(matches!(
            "12-34".parse::<Fingerprint>(),
            Err(IdentityError::BadFingerprint(_))
        ));
    }

    #[test]
    fn wrapped_keys_open_only_with_the_same_master() {
        let master = MasterKey::generate();
        let (ring, _) = Keyring::create(&master);
        let keys = CentreKeys::generate("hanoi-1").unwrap();
        let stored = keys.wrap(&ring);
        let back = CentreKeys::unwrap(&ring, &stored).unwrap();
        assert_eq!(back.public(), keys.public());
        let sig = back.sign(b"checkpoint");
        assert!(keys
            .public()
            .verifying_key()
            .verify(b"checkpoint", &sig)
            .is_ok());

        let (other, _) = Keyring::create(&MasterKey::generate());
        assert_eq!(
            CentreKeys::unwrap(&other, &stored).unwrap_err(),
            IdentityError::Unwrap
        );

        let stranger = CentreKeys::generate("hanoi-1").unwrap().public().to_line();
        let swapped = WrappedCentreKeys {
            public: stranger,
            ..stored
        };
        assert_eq!(
            CentreKeys::unwrap(&ring, &swapped).unwrap_err(),
            IdentityError::Unwrap
        );
        assert!(!format!("{keys:?}").contains("AGE-SECRET"));
    }
}
