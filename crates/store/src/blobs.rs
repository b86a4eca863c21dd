//! Encrypted blobs on disk, addressed by the SHA-256 of their ciphertext.
//!
//! A blob's name is the hash of its bytes, so any server instance can write
//! one, a retry is harmless, and `verify` checks a blob by hashing it. Writes
//! go to a temporary name, are fsynced, then renamed, so a crash never
//! leaves half a blob under a real name.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The hex SHA-256 of a blob's stored bytes: its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobName(String);

impl BlobName {
    /// The name of `bytes`.
    pub fn of(bytes: &[u8]) -> BlobName {
        BlobName(hex::encode(Sha256::digest(bytes)))
    }

    /// Accepts a stored name if it is 64 lower-case hex digits.
    pub fn parse(text: &str) -> Option<BlobName> {
        let ok = text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| BlobName(text.to_owned()))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The raw 32 bytes of the hash.
    pub fn digest(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&self.0, &mut out).expect("a BlobName is 64 hex digits");
        out
    }
}

/// The blob directory (`DATA/blobs/ab/abcdef…`).
#[derive(Clone, Debug)]
pub(crate) struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> BlobStore {
        BlobStore {
            root: data_dir.join("blobs"),
        }
    }

    fn path(&self, name: &BlobName) -> PathBuf {
        self.root.join(&name.0[..2]).join(&name.0)
    }

    /// Writes the bytes under their hash: temp file, fsync, rename, fsync
    /// of the directory. Returns the name.
    pub fn put(&self, bytes: &[u8]) -> io::Result<BlobName> {
        let name = BlobName::of(bytes);
        let path = self.path(&name);
        if path.exists() {
            return Ok(name);
        }
        let dir = path.parent().expect("blob paths have a parent");
        fs::create_dir_all(dir)?;
        let temp = dir.join(format!(".{}.{}.tmp", name.0, std::process::id()));
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &path)?;
        File::open(dir)?.sync_all()?;
        Ok(name)
    }

    /// Reads a blob; `NotFound` when absent.
    pub fn get(&self, name: &BlobName) -> io::Result<Vec<u8>> {
        fs::read(self.path(name))
    }

    /// Removes a blob (erasure, or undoing a failed intake). Absent is fine.
    pub fn remove(&self, name: &BlobName) -> io::Result<()> {
        match fs::remove_file(self.path(name)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Every file in the blob directory: `(file name, path)`, names not
    /// checked, so that `verify` can report stray files too.
    pub fn list(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut out = Vec::new();
        let Ok(shards) = fs::read_dir(&self.root) else {
            return Ok(out);
        };
        for shard in shards {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                out.push((
                    shard.file_name().to_string_lossy().into_owned(),
                    shard.path(),
                ));
                continue;
            }
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                out.push((
                    entry.file_name().to_string_lossy().into_owned(),
                    entry.path(),
                ));
            }
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_hash_and_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let name = blobs.put(b"ciphertext").unwrap();
        assert_eq!(name, BlobName::of(b"ciphertext"));
        assert_eq!(blobs.put(b"ciphertext").unwrap(), name);
        assert_eq!(blobs.get(&name).unwrap(), b"ciphertext");
        let listed = blobs.list().unwrap();
        assert_eq!(listed.len(), 1, "no temporary file is left: {listed:?}");
        blobs.remove(&name).unwrap();
        blobs.remove(&name).unwrap();
        assert!(blobs.get(&name).is_err());
        assert!(BlobName::parse(name.as_str()).is_some());
        assert!(BlobName::parse("../../etc/passwd").is_none());
    }
}
