//! The sealed format pinned by test vectors made independently of this crate
//! (`tests/vectors/generate.py`: Python, HChaCha20 written out plus the
//! `cryptography` package's ChaCha20-Poly1305, Shamir over GF(256) and the
//! fingerprint written out).

use std::path::PathBuf;

use serde::Deserialize;
use uuid::Uuid;
use vantay_vault::danger::{data_key_from_bytes, seal_with_fixed_nonce};
use vantay_vault::{
    combine, open_blob, open_field, parse_shares, Aad, Domain, KeyId, OpenError, PublicIdentity,
    Purpose, ShareError,
};

#[derive(Deserialize)]
struct Place {
    purpose: String,
    table: String,
    field: String,
    customer: Uuid,
    record: Uuid,
    version: u32,
    domain: String,
    key_version: u32,
}

#[derive(Deserialize)]
struct AadVector {
    #[serde(flatten)]
    place: Place,
    aad: String,
}

#[derive(Deserialize)]
struct SealVector {
    #[serde(flatten)]
    place: Place,
    key: String,
    nonce: String,
    plaintext: String,
    sealed: String,
}

impl Place {
    fn aad(&self) -> Aad<'_> {
        Aad {
            table: &self.table,
            field: &self.field,
            customer: self.customer,
            record: self.record,
            version: self.version,
            key_id: KeyId::new(
                Domain::parse(&self.domain).expect("known domain"),
                self.key_version,
            ),
        }
    }

    fn purpose(&self) -> Purpose {
        match self.purpose.as_str() {
            "field" => Purpose::Field,
            "blob" => Purpose::Blob,
            other => panic!("unknown purpose {other} in vector"),
        }
    }
}

#[derive(Deserialize)]
struct SharesVector {
    master_key: String,
    k: usize,
    lines: Vec<String>,
}

#[derive(Deserialize)]
struct IdentityVector {
    line: String,
    fingerprint: String,
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn aad_encoding_matches_vectors() {
    let vectors: Vec<AadVector> = load("aad.json");
    assert!(!vectors.is_empty());
    for v in &vectors {
        assert_eq!(
            hex::encode(v.place.aad().encode(v.place.purpose())),
            v.aad,
            "{}",
            v.place.table
        );
    }
}

#[test]
fn fixed_nonce_seal_matches_vectors_and_opens() {
    let vectors: Vec<SealVector> = load("seal.json");
    assert!(!vectors.is_empty());
    for v in &vectors {
        let key_bytes: [u8; 32] = hex::decode(&v.key).unwrap().try_into().unwrap();
        let nonce: [u8; 24] = hex::decode(&v.nonce).unwrap().try_into().unwrap();
        let plaintext = hex::decode(&v.plaintext).unwrap();
        let key = data_key_from_bytes(1, key_bytes);
        let aad = v.place.aad();
        let sealed = seal_with_fixed_nonce(&key, &aad, v.place.purpose(), &nonce, &plaintext);
        assert_eq!(hex::encode(&sealed), v.sealed);

        let opened = match v.place.purpose() {
            Purpose::Field => open_field(&key, &aad, &sealed),
            Purpose::Blob => open_blob(&key, &aad, &sealed),
        };
        assert_eq!(opened.unwrap().as_slice(), plaintext.as_slice());
        let wrong_purpose = match v.place.purpose() {
            Purpose::Field => open_blob(&key, &aad, &sealed),
            Purpose::Blob => open_field(&key, &aad, &sealed),
        };
        assert_eq!(wrong_purpose.unwrap_err(), OpenError::NotAuthentic);
    }
}

#[test]
fn share_lines_from_vectors_rebuild_the_key() {
    // Pins the line format, the checksum, the key check value and the
    // GF(256) field: shares printed today must rebuild the key with any
    // later version of the crate (and of blahaj).
    let v: SharesVector = load("shares.json");
    let key: [u8; 32] = hex::decode(&v.master_key).unwrap().try_into().unwrap();
    // The key bytes stay inside the vault; its check value stands for them.
    let expected = vantay_vault::MasterKey::from_bytes(key).check_value();
    let shares = parse_shares(v.lines.iter().map(String::as_str)).unwrap();
    for window in shares.windows(v.k) {
        let rebuilt = combine(window).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rebuilt.check_value(), expected);
    }
    let too_few = combine(&shares[..v.k - 1]).unwrap_err();
    assert!(matches!(too_few, ShareError::NotEnough { .. }), "{too_few}");
}

#[test]
fn identity_fingerprint_matches_vector() {
    let v: IdentityVector = load("identity.json");
    let identity = PublicIdentity::parse(&v.line).unwrap();
    assert_eq!(identity.fingerprint().to_string(), v.fingerprint);
    assert_eq!(identity.to_line(), v.line);
    assert_eq!(identity.name(), "centre-hanoi");
}
