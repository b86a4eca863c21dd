//! The RFC 6962 test vectors of transparency-dev/merkle (in
//! `/work/shared/data/merkle-vectors`, see its README): roots for every size
//! 0–8, and inclusion and consistency cases of which the `wantErr` ones must
//! be rejected.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::Value;
use vantay_ledger::{
    consistency_proof, inclusion_proof, leaf_hash, root_of, verify_consistency, verify_inclusion,
    Frontier, Hash,
};

fn vectors_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/merkle-vectors"
    ));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        eprintln!("skipped: RFC 6962 vectors not found at {}", dir.display());
        None
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The 8 leaf hashes and the root for each size 0–8.
fn tree(dir: &Path) -> (Vec<Hash>, Vec<Hash>) {
    let json = read_json(&dir.join("leaves-and-roots.json"));
    let hex_list = |key: &str| -> Vec<Vec<u8>> {
        json[key]
            .as_array()
            .expect(key)
            .iter()
            .map(|v| hex::decode(v.as_str().unwrap()).unwrap())
            .collect()
    };
    let leaves = hex_list("leaf_inputs_hex")
        .iter()
        .map(|data| leaf_hash(data))
        .collect();
    let roots = hex_list("root_by_size_hex")
        .iter()
        .map(|r| Hash::from_slice(r).unwrap())
        .collect();
    (leaves, roots)
}

/// A hash field of a case, or `Err` with its length when it is not 32
/// bytes: our API types a hash as 32 bytes, so such a value is refused
/// where it is read, before any proof is checked.
fn hash_field(value: &Value) -> Result<Hash, usize> {
    let bytes = BASE64
        .decode(value.as_str().expect("base64 string"))
        .expect("valid base64");
    Hash::from_slice(&bytes).map_err(|_| bytes.len())
}

fn proof_field(value: &Value) -> Result<Vec<Hash>, usize> {
    value
        .as_array()
        .map(|list| list.iter().map(hash_field).collect())
        .unwrap_or(Ok(vec![]))
}

/// The one valid case whose hashes are not 32 bytes: with equal sizes the
/// roots need only be equal, so the vectors use short "don't care" strings.
/// We check the same statement with 32-byte roots instead.
const SHORT_ROOTS_BUT_VALID: &str = "sizes-are-equal-one-and-proof-is-empty.json";

fn is_short_roots_case(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == SHORT_ROOTS_BUT_VALID)
}

fn cases(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|sub| std::fs::read_dir(sub.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| (path.clone(), read_json(&path)))
        .collect()
}

#[test]
fn roots_for_every_size_match() {
    let Some(dir) = vectors_dir() else { return };
    let (leaves, roots) = tree(&dir);
    assert_eq!(roots.len(), leaves.len() + 1);
    let mut frontier = Frontier::new();
    for (size, want) in roots.iter().enumerate() {
        assert_eq!(root_of(&leaves[..size]), *want, "root_of, size {size}");
        assert_eq!(frontier.root(), *want, "frontier, size {size}");
        assert_eq!(
            super::reference_root(&leaves[..size]),
            *want,
            "reference, size {size}"
        );
        if let Some(leaf) = leaves.get(size) {
            frontier.push(*leaf);
        }
    }
}

#[test]
fn inclusion_cases_verify_or_are_rejected_as_labelled() {
    let Some(dir) = vectors_dir() else { return };
    let (leaves, _) = tree(&dir);
    let (mut accepted, mut rejected, mut rebuilt) = (0, 0, 0);
    for (path, case) in cases(&dir.join("inclusion")) {
        let index = case["leafIdx"].as_u64().unwrap();
        let size = case["treeSize"].as_u64().unwrap();
        let fields = (
            hash_field(&case["leafHash"]),
            hash_field(&case["root"]),
            proof_field(&case["proof"]),
        );
        let (Ok(leaf), Ok(root), Ok(proof)) = fields else {
            assert!(
                case["wantErr"].as_bool().unwrap(),
                "{}: hash not 32 bytes",
                path.display()
            );
            rejected += 1;
            continue;
        };
        let result = verify_inclusion(&leaf, index, size, &proof, &root);
        if case["wantErr"].as_bool().unwrap() {
            assert!(result.is_err(), "{} was accepted", path.display());
            rejected += 1;
            continue;
        }
        assert_eq!(result, Ok(()), "{}", path.display());
        accepted += 1;
        // Where the case is about the test tree, our proof must be the same.
        if size <= leaves.len() as u64 && root == root_of(&leaves[..size as usize]) {
            assert_eq!(
                inclusion_proof(&leaves, index, size).unwrap(),
                proof,
                "{}",
                path.display()
            );
            rebuilt += 1;
        }
    }
    eprintln!("inclusion vectors: {accepted} valid verified ({rebuilt} rebuilt), {rejected} broken rejected");
    assert!(accepted > 0 && rejected > 0 && rebuilt > 0);
}

#[test]
fn consistency_cases_verify_or_are_rejected_as_labelled() {
    let Some(dir) = vectors_dir() else { return };
    let (leaves, _) = tree(&dir);
    let (mut accepted, mut rejected, mut rebuilt) = (0, 0, 0);
    for (path, case) in cases(&dir.join("consistency")) {
        let (old_size, new_size) = (
            case["size1"].as_u64().unwrap(),
            case["size2"].as_u64().unwrap(),
        );
        let fields = (
            hash_field(&case["root1"]),
            hash_field(&case["root2"]),
            proof_field(&case["proof"]),
        );
        let (Ok(old_root), Ok(new_root), Ok(proof)) = fields else {
            if is_short_roots_case(&path) {
                let root = Hash::of(b"any 32 bytes");
                assert_eq!(
                    verify_consistency(old_size, new_size, &root, &root, &[]),
                    Ok(())
                );
                accepted += 1;
                continue;
            }
            assert!(
                case["wantErr"].as_bool().unwrap(),
                "{}: hash not 32 bytes",
                path.display()
            );
            rejected += 1;
            continue;
        };
        let result = verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
        if case["wantErr"].as_bool().unwrap() {
            assert!(result.is_err(), "{} was accepted", path.display());
            rejected += 1;
            continue;
        }
        assert_eq!(result, Ok(()), "{}", path.display());
        accepted += 1;
        if new_size <= leaves.len() as u64 && new_root == root_of(&leaves[..new_size as usize]) {
            let ours = consistency_proof(&leaves, old_size, new_size).unwrap();
            assert_eq!(ours, proof, "{}", path.display());
            rebuilt += 1;
        }
    }
    eprintln!("consistency vectors: {accepted} valid verified ({rebuilt} rebuilt), {rejected} broken rejected");
    assert!(accepted > 0 && rejected > 0 && rebuilt > 0);
}
