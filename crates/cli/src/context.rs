//! The options every command shares, and opening the centre with them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use vantay_store::{Centre, Store};
use vantay_vault::MasterKey;

/// `--data`, `--key-file`, `--database`: where the centre lives.
#[derive(clap::Args, Clone, Debug)]
pub struct Location {
    /// The data directory (database file, encrypted blobs).
    #[arg(long = "data", env = "VANTAY_DATA", global = true)]
    pub data: Option<PathBuf>,
    /// The master key file; never inside the data directory.
    #[arg(long = "key-file", env = "VANTAY_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// A PostgreSQL URL instead of the embedded SQLite file.
    #[arg(
        long = "database",
        env = "VANTAY_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database: Option<String>,
}

impl Location {
    /// The data directory: `--data`, else the user's data directory.
    pub fn data_dir(&self) -> anyhow::Result<PathBuf> {
        match &self.data {
            Some(dir) => Ok(dir.clone()),
            None => Ok(dirs::data_dir()
                .context("no --data given and no user data directory known; pass --data DIR")?
                .join("vantay")),
        }
    }

    /// The key file: `--key-file`, else the user's config directory.
    pub fn key_file(&self) -> anyhow::Result<PathBuf> {
        match &self.key_file {
            Some(path) => Ok(path.clone()),
            None => Ok(vantay_vault::default_key_file()?),
        }
    }

    /// Refuses a key file inside the data directory: a copy of the data
    /// would then carry its own key.
    pub fn check_key_outside_data(&self) -> anyhow::Result<()> {
        let data = absolute(&self.data_dir()?);
        let key = absolute(&self.key_file()?);
        if key.starts_with(&data) {
            bail!(
                "the key file {} lies inside the data directory {}: a copy of the data would carry its key. Put it elsewhere (--key-file)",
                key.display(),
                data.display()
            );
        }
        Ok(())
    }

    /// Opens the store without the key (verify, checkpoint).
    pub async fn store(&self) -> anyhow::Result<Store> {
        let dir = self.data_dir()?;
        Store::open(&dir, self.database.as_deref())
            .await
            .with_context(|| format!("cannot open the centre at {}", self.describe()))
    }

    /// Opens the store and unlocks it with the master key.
    pub async fn centre(&self) -> anyhow::Result<Centre> {
        self.check_key_outside_data()?;
        let master = self.master_key()?;
        let store = self.store().await?;
        Ok(Centre::unlock(store, &master).await?)
    }

    /// Reads the master key file.
    pub fn master_key(&self) -> anyhow::Result<MasterKey> {
        Ok(MasterKey::read_file(&self.key_file()?)?)
    }

    /// Where the centre is, for messages (no password).
    pub fn describe(&self) -> String {
        match (&self.database, self.data_dir()) {
            (Some(_), _) => "the --database server".into(),
            (None, Ok(dir)) => dir.display().to_string(),
            (None, Err(_)) => "the default data directory".into(),
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    // Canonicalise the longest existing ancestor, so symlinks cannot hide
    // the key inside the data directory.
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return joined,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_owned());
    out.extend(rest.iter().rev());
    out
}
