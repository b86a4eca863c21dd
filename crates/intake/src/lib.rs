//! Capture bundles (DESIGN §5): a directory, or a `.zip` of one, holding
//! `capture.json` and the image files it names.
//!
//! [`read_bundle`] reads one without trusting it (sizes capped, names looked
//! up, never extracted to disk); [`prepare`] checks every field and decodes
//! every image, and returns everything wrong at once, so the clerk fixes the
//! bundle in one go. Only a bundle that passes reaches the store.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use vantay_domain::{CaptureError, CaptureManifest, PrintEntry, ValidCapture};
use vantay_print::input::{self, Limits};
use vantay_print::presence;
use vantay_store::CapturedImage;

/// Largest `capture.json` accepted.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// Largest image file accepted (a 500 ppi rolled print is well under this).
pub const MAX_IMAGE_BYTES: u64 = 16 * 1024 * 1024;

/// A bundle's manifest and the bytes of the files it names.
#[derive(Debug)]
pub struct Bundle {
    /// Where it was read from.
    pub source: PathBuf,
    /// `capture.json`, parsed.
    pub manifest: CaptureManifest,
    /// File name → bytes, for every file the manifest names that exists.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Why a bundle was refused. Nothing is stored when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// The bundle itself could not be read.
    #[error("cannot read the capture bundle {path}: {why}")]
    Unreadable {
        /// The bundle.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The manifest or the images break the rules; every problem is listed.
    #[error(transparent)]
    Invalid(#[from] CaptureError),
}

/// Reads a bundle directory or `.zip`.
pub fn read_bundle(path: &Path) -> Result<Bundle, IntakeError> {
    let unreadable = |why: String| IntakeError::Unreadable {
        path: path.to_owned(),
        why,
    };
    let mut source: Box<dyn BundleSource> = if path.is_dir() {
        Box::new(DirSource(path.to_owned()))
    } else {
        let file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let archive = zip::ZipArchive::new(file).map_err(|e| {
            unreadable(format!(
                "it is neither a directory nor a readable .zip ({e})"
            ))
        })?;
        Box::new(ZipSource::new(archive))
    };
    let manifest_bytes = source
        .read("capture.json", MAX_MANIFEST_BYTES)
        .map_err(|why| unreadable(format!("capture.json: {why}")))?;
    let text = String::from_utf8(manifest_bytes)
        .map_err(|_| unreadable("capture.json is not UTF-8 text".into()))?;
    let manifest = CaptureManifest::from_json(&text)?;
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    for (finger, entry) in &manifest.prints {
        if let PrintEntry::File(name) = entry {
            match source.read(name, MAX_IMAGE_BYTES) {
                Ok(bytes) => {
                    files.insert(name.clone(), bytes);
                }
                Err(why) => problems.push((format!("prints.{finger}"), format!("'{name}': {why}"))),
            }
        }
    }
    if !problems.is_empty() {
        return Err(CaptureError { problems }.into());
    }
    Ok(Bundle {
        source: path.to_owned(),
        manifest,
        files,
    })
}

/// Checks the manifest's rules and decodes every image; returns the
/// validated capture and the images ready for [`vantay_store::Centre::intake`].
pub fn prepare(
    bundle: &Bundle,
    now: DateTime<Utc>,
) -> Result<(ValidCapture, Vec<CapturedImage>), IntakeError> {
    let manifest_result = bundle.manifest.validate(now);
    let mut problems = match &manifest_result {
        Err(err) => err.problems.clone(),
        Ok(_) => Vec::new(),
    };
    let mut images = Vec::new();
    for (code, entry) in &bundle.manifest.prints {
        let (PrintEntry::File(name), Ok(finger)) = (entry, code.parse()) else {
            continue;
        };
        let Some(bytes) = bundle.files.get(name) else {
            continue;
        };
        match check_image(bytes, bundle.manifest.device.dpi) {
            Ok((format, width, height, ppi)) => images.push(CapturedImage {
                finger,
                bytes: bytes.clone(),
                format,
                width,
                height,
                ppi,
            }),
            Err(why) => problems.push((format!("prints.{code}"), format!("'{name}' {why}"))),
        }
    }
    match manifest_result {
        Ok(capture) if problems.is_empty() => Ok((capture, images)),
        _ => Err(CaptureError { problems }.into()),
    }
}

/// Decodes the image fully (so a damaged file is caught now, not at the
/// analysis centre), checks that it shows a fingerprint, and returns its
/// format, size and resolution.
fn check_image(bytes: &[u8], device_dpi: u16) -> Result<(String, u32, u32, u16), String> {
    let decoded = input::decode(bytes, &Limits::default())
        .map_err(|err| format!("cannot be read as an image: {err}"))?;
    let (width, height) = decoded.image.dimensions();
    if width < 64 || height < 64 {
        return Err(format!(
            "is only {width}×{height} pixels; a fingerprint image needs at least 64×64"
        ));
    }
    let ppi = decoded.ppi.unwrap_or(device_dpi);
    // A blank or failed scan is caught while the customer is still at the
    // desk, not days later at the analysis centre.
    presence::check(&decoded.image, ppi).map_err(|err| format!("cannot be used: {err}"))?;
    Ok((decoded.format.to_string(), width, height, ppi))
}

/// Where the bundle's files come from.
trait BundleSource {
    /// The bytes of `name`, at most `limit` of them.
    fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String>;
}

struct DirSource(PathBuf);

impl BundleSource for DirSource {
    fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        let root = self.0.canonicalize().map_err(|e| e.to_string())?;
        let path = root
            .join(name)
            .canonicalize()
            .map_err(|_| "is not in the bundle".to_string())?;
        // A symbolic link may point outside the bundle: refuse it.
        if !path.starts_with(&root) {
            return Err("points outside the bundle".into());
        }
        let file = File::open(&path).map_err(|e| e.to_string())?;
        read_capped(file, limit)
    }
}

struct ZipSource {
    archive: zip::ZipArchive<File>,
    /// The bundle's folder inside the archive, when it was zipped as one.
    prefix: String,
}

impl ZipSource {
    fn new(archive: zip::ZipArchive<File>) -> ZipSource {
        let prefix = archive
            .file_names()
            .find(|n| n.ends_with("capture.json"))
            .map(|n| n.trim_end_matches("capture.json").to_owned())
            .unwrap_or_default();
        ZipSource { archive, prefix }
    }
}

impl BundleSource for ZipSource {
    fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        let full = format!("{}{name}", self.prefix);
        let entry = self
            .archive
            .by_name(&full)
            .map_err(|_| "is not in the bundle".to_string())?;
        if entry.size() > limit {
            return Err(format!(
                "is {} bytes, more than the {limit} allowed",
                entry.size()
            ));
        }
        read_capped(entry, limit)
    }
}

/// Reads at most `limit` bytes, and fails rather than truncating.
fn read_capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("is larger than the {limit} bytes allowed"));
    }
    Ok(bytes)
}
