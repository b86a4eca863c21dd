//! The server's TLS certificate.
//!
//! A centre and its analysis centre know each other already (each pinned
//! the other's identity), so they need no public certificate authority:
//! on first start the server makes a private CA, signs one server
//! certificate with it and throws the CA's key away, so nobody can mint a
//! second certificate under it. The CA certificate (`tls/ca.pem`) is what
//! the partner is given, with the identity line, to trust this server. An
//! operator with a certificate of their own passes it instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use axum_server::tls_rustls::RustlsConfig;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where a server's certificate lives.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The server's certificate chain (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM, mode 0600).
    pub key: PathBuf,
    /// The CA certificate to hand to partners (PEM); absent when the
    /// operator brought their own certificate.
    pub ca: Option<PathBuf>,
}

impl TlsFiles {
    /// The certificate kept in `data_dir/tls/`, made on first use for the
    /// host names (and IP addresses) in `names`.
    pub fn in_data_dir(data_dir: &Path, names: &[String]) -> anyhow::Result<TlsFiles> {
        let dir = data_dir.join("tls");
        let files = TlsFiles {
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
            ca: Some(dir.join("ca.pem")),
        };
        if !files.cert.exists() {
            make_self_issued(&dir, &files, names)?;
        }
        Ok(files)
    }

    /// The rustls configuration for serving with these files.
    pub fn server_config(&self) -> anyhow::Result<RustlsConfig> {
        let certs = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("cannot read the certificate {}", self.cert.display()))?;
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .with_context(|| format!("cannot read the private key {}", self.key.display()))?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and the private key do not belong together")?;
        Ok(RustlsConfig::from_config(Arc::new(config)))
    }
}

fn make_self_issued(dir: &Path, files: &TlsFiles, names: &[String]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut names = names.to_vec();
    for default in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|n| n == default) {
            names.push(default.to_owned());
        }
    }
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Vantay server CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;

    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "Vantay server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca, &ca_key)?;

    write_private(&files.key, key.serialize_pem().as_bytes())?;
    std::fs::write(&files.cert, format!("{}{}", cert.pem(), ca.pem()))?;
    if let Some(ca_path) = &files.ca {
        std::fs::write(ca_path, ca.pem())?;
    }
    Ok(())
}

/// Writes a file only its owner can read, refusing to overwrite one.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
