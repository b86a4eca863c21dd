//! The master key file: one line, readable by its owner only, never
//! overwritten.
//!
//! ```text
//! vantay-master-key-v1 <base64 key> <check value, hex>
//! ```
//!
//! The check value ([`MasterKey::check_value`]) catches a damaged or mistyped
//! file at once.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{MasterKey, KEY_LEN};

const MAGIC: &str = "vantay-master-key-v1";

/// Why the key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file could not be opened or read.
    #[error("cannot read key file {path}: {source}; pass the right file with --key-file or VANTAY_KEY_FILE")]
    Read {
        /// The key file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Group or others may read the file.
    #[error("key file {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}` and try again")]
    Readable {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a vantay key file or was damaged.
    #[error("key file {path} is not a valid vantay master key file ({why}); restore it from a backup or rebuild it from recovery shares with `vantay recover`")]
    Damaged {
        /// The key file.
        path: PathBuf,
        /// What was wrong.
        why: &'static str,
    },
    /// A file already lies at the path.
    #[error("key file {0} already exists: vantay never overwrites a key; move it away first if you really mean to replace it")]
    AlreadyExists(PathBuf),
    /// The file could not be written.
    #[error("cannot write key file {path}: {source}")]
    Write {
        /// The key file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// No config directory is known for this user.
    #[error("no configuration directory is known for this user; pass --key-file")]
    NoConfigDir,
}

/// The default key file: `<config dir>/vantay/master.key`
/// (`~/.config/vantay/master.key` on Linux).
pub fn default_key_file() -> Result<PathBuf, KeyFileError> {
    dirs::config_dir()
        .map(|dir| dir.join("vantay").join("master.key"))
        .ok_or(KeyFileError::NoConfigDir)
}

fn damaged(path: &Path, why: &'static str) -> KeyFileError {
    KeyFileError::Damaged {
        path: path.to_owned(),
        why,
    }
}

#[cfg(unix)]
fn check_private(path: &Path, file: &fs::File) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = file.metadata().map_err(|source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Readable {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _file: &fs::File) -> Result<(), KeyFileError> {
    Ok(())
}

fn encode(key: &MasterKey) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{MAGIC} {} {}\n",
        STANDARD.encode(key.expose()),
        hex::encode(key.check_value())
    ))
}

fn decode(path: &Path, text: &str) -> Result<MasterKey, KeyFileError> {
    let mut parts = text.split_ascii_whitespace();
    if parts.next() != Some(MAGIC) {
        return Err(damaged(path, "it does not start with vantay-master-key-v1"));
    }
    let key_b64 = parts
        .next()
        .ok_or_else(|| damaged(path, "the key is missing"))?;
    let check = parts
        .next()
        .ok_or_else(|| damaged(path, "the check value is missing"))?;
    if parts.next().is_some() {
        return Err(damaged(path, "it has extra text after the check value"));
    }
    let bytes = Zeroizing::new(
        STANDARD
            .decode(key_b64)
            .map_err(|_| damaged(path, "the key is not base64"))?,
    );
    let mut array: [u8; KEY_LEN] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| damaged(path, "the key is not 32 bytes"))?;
    let key = MasterKey::from_bytes(array);
    array.zeroize();
    let expected = hex::decode(check).map_err(|_| damaged(path, "the check value is not hex"))?;
    if !bool::from(key.check_value().ct_eq(expected.as_slice())) {
        return Err(damaged(path, "the key does not match its check value"));
    }
    Ok(key)
}

impl MasterKey {
    /// Read the master key from `path`. Refuses a file that group or others
    /// can read (on Unix) and a file whose check value does not match.
    pub fn read_file(path: &Path) -> Result<MasterKey, KeyFileError> {
        let read_err = |source| KeyFileError::Read {
            path: path.to_owned(),
            source,
        };
        let mut file = fs::File::open(path).map_err(read_err)?;
        check_private(path, &file)?;
        let mut text = Zeroizing::new(String::new());
        io::Read::read_to_string(&mut file, &mut text).map_err(read_err)?;
        decode(path, &text)
    }

    /// Write this key to a new file at `path` (mode 0600; parent directories
    /// created with mode 0700). Atomic: the key is written and synced under a
    /// temporary name, then linked into place, which fails if `path` exists,
    /// so an existing key is never overwritten and no half-written file is
    /// left behind.
    pub fn write_new_file(&self, path: &Path) -> Result<(), KeyFileError> {
        let write_err = |source| KeyFileError::Write {
            path: path.to_owned(),
            source,
        };
        if path.exists() {
            return Err(KeyFileError::AlreadyExists(path.to_owned()));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        create_private_dir(dir).map_err(write_err)?;
        // tempfile creates the file with mode 0600 on Unix.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
        tmp.write_all(encode(self).as_bytes()).map_err(write_err)?;
        tmp.as_file().sync_all().map_err(write_err)?;
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                KeyFileError::AlreadyExists(path.to_owned())
            } else {
                write_err(e.error)
            }
        })?;
        sync_dir(dir).map_err(write_err)
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// Make the new directory entry durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/vantay/master.key");
        let key = MasterKey::generate();
        key.write_new_file(&path).unwrap();
        let back = MasterKey::read_file(&path).unwrap();
        assert_eq!(back.expose(), key.expose());
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private_and_readable_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::generate().write_new_file(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = MasterKey::read_file(&path).unwrap_err();
        assert!(
            matches!(err, KeyFileError::Readable { mode: 0o640, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let first = MasterKey::generate();
        first.write_new_file(&path).unwrap();
        let err = MasterKey::generate().write_new_file(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::AlreadyExists(_)), "{err}");
        assert_eq!(
            MasterKey::read_file(&path).unwrap().expose(),
            first.expose()
        );
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn damaged_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::generate().write_new_file(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        // Change one character of the key: the check value no longer matches.
        let mut chars: Vec<char> = text.chars().collect();
        let at = MAGIC.len() + 3;
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        let err = decode(&path, &chars.iter().collect::<String>()).unwrap_err();
        assert!(
            matches!(err, KeyFileError::Damaged { why, .. } if why.contains("check value")),
            "{err}"
        );
        assert!(matches!(
            decode(&path, "hello"),
            Err(KeyFileError::Damaged { .. })
        ));
    }

    #[test]
    fn missing_file_names_the_option() {
        let err = MasterKey::read_file(Path::new("/nonexistent/vantay.key")).unwrap_err();
        assert!(err.to_string().contains("--key-file"), "{err}");
    }

    #[test]
    fn default_path_is_under_config_dir() {
        if let Ok(path) = default_key_file() {
            assert!(path.ends_with("vantay/master.key"));
        }
    }
}
