//! Signed checkpoints: signing, the text form, and what verification catches.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use vantay_ledger::{verifier_key, Checkpoint, CheckpointError, Hash, SignedCheckpoint};

const ORIGIN: &str = "vantay.example/centre-hanoi";

fn key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

fn checkpoint() -> Checkpoint {
    Checkpoint {
        origin: ORIGIN.into(),
        size: 1042,
        root: Hash::of(b"some root"),
        time: 1_795_914_196_123,
    }
}

#[test]
fn sign_print_parse_verify_round_trip() {
    let key = key();
    let signed = SignedCheckpoint::sign(checkpoint(), &key).unwrap();
    let text = signed.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], [ORIGIN, "1042"]);
    assert_eq!(lines[3], "time 2026-11-29T01:03:16.123Z");
    assert!(
        lines[5].starts_with("— vantay.example/centre-hanoi "),
        "{text}"
    );

    let parsed = SignedCheckpoint::parse(&text).unwrap();
    assert_eq!(parsed, signed);
    assert_eq!(parsed.to_text(), text);
    assert_eq!(parsed.verify(&key.verifying_key()), Ok(&checkpoint()));
}

#[test]
fn a_changed_field_fails_verification() {
    let key = key();
    let text = SignedCheckpoint::sign(checkpoint(), &key)
        .unwrap()
        .to_text();
    let other_root = BASE64.encode(Hash::of(b"other").0);
    let edits: [(&str, String); 3] = [
        ("1042", "1041".into()),
        (&BASE64.encode(checkpoint().root.0), other_root),
        ("01:03:16.123Z", "01:03:16.124Z".into()),
    ];
    for (from, to) in edits {
        let altered = SignedCheckpoint::parse(&text.replacen(from, &to, 1)).unwrap();
        assert_eq!(
            altered.verify(&key.verifying_key()),
            Err(CheckpointError::BadSignature)
        );
    }
    // Renaming the origin (on both lines) changes the key id.
    let renamed = SignedCheckpoint::parse(&text.replace(ORIGIN, "vantay.example/other")).unwrap();
    assert!(matches!(
        renamed.verify(&key.verifying_key()),
        Err(CheckpointError::WrongKey { .. })
    ));
}

#[test]
fn a_changed_signature_or_another_key_fails() {
    let key = key();
    let text = SignedCheckpoint::sign(checkpoint(), &key)
        .unwrap()
        .to_text();
    let (body, signature_line) = text.rsplit_once(' ').unwrap();
    let mut bytes = BASE64.decode(signature_line.trim_end()).unwrap();
    bytes[40] ^= 0x10;
    let tampered = format!("{body} {}\n", BASE64.encode(&bytes));
    let parsed = SignedCheckpoint::parse(&tampered).unwrap();
    assert_eq!(
        parsed.verify(&key.verifying_key()),
        Err(CheckpointError::BadSignature)
    );

    let genuine = SignedCheckpoint::parse(&text).unwrap();
    let error = genuine.verify(&self::key().verifying_key()).unwrap_err();
    assert!(matches!(error, CheckpointError::WrongKey { .. }), "{error}");
}

#[test]
fn malformed_text_names_the_line() {
    let key = key();
    let text = SignedCheckpoint::sign(checkpoint(), &key)
        .unwrap()
        .to_text();
    let root = BASE64.encode(checkpoint().root.0);
    let cases: Vec<(String, usize)> = vec![
        (text.replacen("1042", "01042", 1), 2),
        (text.replacen("1042", "-1", 1), 2),
        (text.replacen(&root, root.trim_end_matches('='), 1), 3),
        (text.replacen(&root, &BASE64.encode([1u8; 31]), 1), 3),
        (text.replacen(".123Z", ".123+00:00", 1), 4),
        (text.replacen(".123Z", "Z", 1), 4),
        (text.replacen("time ", "at ", 1), 4),
        (text.replacen("\n\n", "\nx\n", 1), 5),
        (text.replacen("— ", "- ", 1), 6),
        (text.trim_end().to_owned(), 6),
        (format!("{text}extra\n"), 6),
        (String::new(), 1),
    ];
    for (bad, line) in cases {
        match SignedCheckpoint::parse(&bad) {
            Err(CheckpointError::Malformed { line: got, reason }) => {
                assert_eq!(got, line, "{bad:?}: {reason}")
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn a_bad_origin_cannot_be_signed() {
    for origin in ["", " padded", "two\nlines"] {
        let checkpoint = Checkpoint {
            origin: origin.into(),
            ..checkpoint()
        };
        let result = SignedCheckpoint::sign(checkpoint, &key());
        assert_eq!(result, Err(CheckpointError::BadOrigin(origin.into())));
    }
}

/// The signed-note example of golang.org/x/mod/sumdb/note (PeterNeumann):
/// our key id and verifier key text match C2SP, and a note signature is
/// Ed25519 over the body text — the same rule our checkpoints use.
#[test]
fn key_id_and_signature_follow_c2sp_signed_notes() {
    let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let typed_key = BASE64.decode(vkey.rsplit('+').next().unwrap()).unwrap();
    let public = VerifyingKey::try_from(&typed_key[1..]).unwrap();
    assert_eq!(verifier_key("PeterNeumann", &public), vkey);

    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    let blob = BASE64
        .decode("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")
        .unwrap();
    assert_eq!(hex::encode(&blob[..4]), "c74f20a3");
    let signature = Signature::from_slice(&blob[4..]).unwrap();
    assert!(public.verify_strict(text.as_bytes(), &signature).is_ok());
}
