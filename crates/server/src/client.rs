//! The analysis centre's side of [`crate::centre_api`]: pull the packages
//! waiting for it, push the results it has answered.
//!
//! Each request is signed with the analysis centre's key for the centre it
//! is addressed to (its pinned identity's fingerprint is the audience), and
//! the connection trusts only the CA certificate the centre handed over.
//! Both operations can be repeated safely: a package already received is
//! not fetched again, and a result the centre already holds counts as
//! delivered.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use chrono::Utc;
use reqwest::{Method, StatusCode, Url};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vantay_analysis::AnalysisCentre;
use vantay_vault::request::RequestTarget;
use vantay_vault::Fingerprint;

use crate::centre_api::paths;

/// How long one request may take before it is given up.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A connection to one centre's API.
pub struct CentreConnection {
    base: Url,
    http: reqwest::Client,
    /// The centre's identity fingerprint: the audience of every request.
    audience: Fingerprint,
}

/// A package the centre lists as waiting.
#[derive(Clone, Debug, Deserialize)]
struct Waiting {
    id: Uuid,
}

/// What [`pull`] did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PullReport {
    /// Packages fetched and received now.
    pub received: Vec<Uuid>,
    /// Packages listed that were received before.
    pub already_here: Vec<Uuid>,
}

/// What [`deliver`] did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Packages whose result the centre now holds.
    pub delivered: Vec<Uuid>,
    /// Packages whose result the centre refused, with its reason.
    pub refused: Vec<(Uuid, String)>,
}

impl CentreConnection {
    /// Connects to `base_url` (`https://host:port`), trusting the CA
    /// certificate in `ca_pem` (the centre's `tls/ca.pem`), for the centre
    /// whose identity has fingerprint `centre`.
    pub fn new(base_url: &str, ca_pem: &Path, centre: Fingerprint) -> anyhow::Result<Self> {
        let base = Url::parse(base_url)
            .with_context(|| format!("'{base_url}' is not a URL such as https://host:8443"))?;
        if base.scheme() != "https" {
            bail!("'{base_url}' is not an https:// URL: the API is served over TLS only");
        }
        let mut roots = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(ca_pem)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("cannot read the CA certificate {}", ca_pem.display()))?;
        if certs.is_empty() {
            bail!("{} holds no certificate", ca_pem.display());
        }
        for cert in certs {
            roots
                .add(cert)
                .with_context(|| format!("{} is not a usable CA certificate", ca_pem.display()))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("cannot set up the HTTPS client")?;
        Ok(CentreConnection {
            base,
            http,
            audience: centre,
        })
    }

    /// Sends one signed request; returns the status and the body.
    async fn send(
        &self,
        lab: &AnalysisCentre,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<(StatusCode, Vec<u8>)> {
        let url = self.base.join(path)?;
        let signed_path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let target = RequestTarget {
            audience: self.audience,
            method: method.as_str(),
            path: &signed_path,
            body: &body,
        };
        let auth = lab.sign_request(&target, Utc::now());
        let mut request = self.http.request(method, url.clone()).body(body);
        for (name, value) in auth.headers() {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("the answer from {url} was cut off"))?;
        Ok((status, bytes.to_vec()))
    }

    /// The ids of the packages waiting for us.
    async fn waiting(&self, lab: &AnalysisCentre) -> anyhow::Result<Vec<Waiting>> {
        let (status, body) = self
            .send(lab, Method::GET, paths::PACKAGES, Vec::new())
            .await?;
        if status != StatusCode::OK {
            bail!(
                "the centre refused the list of packages: {}",
                refusal(status, &body)
            );
        }
        serde_json::from_slice(&body).context("the centre's list of packages is not valid JSON")
    }

    /// One sealed package.
    async fn fetch(&self, lab: &AnalysisCentre, id: Uuid) -> anyhow::Result<Vec<u8>> {
        let path = format!("{}/{id}", paths::PACKAGES);
        let (status, body) = self.send(lab, Method::GET, &path, Vec::new()).await?;
        if status != StatusCode::OK {
            bail!(
                "the centre refused package {id}: {}",
                refusal(status, &body)
            );
        }
        Ok(body)
    }
}

/// Fetches every package waiting for us that we do not hold yet, and
/// receives it (each is checked as a file would be: addressed to us,
/// signed by this pinned centre, intact, unexpired).
pub async fn pull(lab: &AnalysisCentre, centre: &CentreConnection) -> anyhow::Result<PullReport> {
    let held: Vec<Uuid> = lab.packages().await?.iter().map(|p| p.id).collect();
    let mut report = PullReport::default();
    for waiting in centre.waiting(lab).await? {
        if held.contains(&waiting.id) {
            report.already_here.push(waiting.id);
            continue;
        }
        let sealed = centre.fetch(lab, waiting.id).await?;
        let received = lab
            .receive(&sealed, Utc::now())
            .await
            .with_context(|| format!("package {} from the centre", waiting.id))?;
        report.received.push(received.header.id);
    }
    Ok(report)
}

/// Pushes every answered result of this centre that it does not hold yet.
/// A refusal is reported and the result stays undelivered, so it can be
/// looked into; a result the centre already holds counts as delivered.
pub async fn deliver(
    lab: &AnalysisCentre,
    centre: &CentreConnection,
) -> anyhow::Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    for pending in lab
        .undelivered_results(&centre.audience.to_string())
        .await?
    {
        let (status, body) = centre
            .send(lab, Method::POST, paths::RESULTS, pending.sealed)
            .await?;
        // 409: the package is answered already. Only we can answer our
        // packages, and we answer once, so the answer it holds is ours.
        if status == StatusCode::OK || status == StatusCode::CONFLICT {
            lab.mark_delivered(pending.package, Utc::now()).await?;
            report.delivered.push(pending.package);
        } else if status == StatusCode::UNPROCESSABLE_ENTITY {
            report
                .refused
                .push((pending.package, refusal(status, &body)));
        } else {
            bail!(
                "the centre did not take the result of package {}: {}",
                pending.package,
                refusal(status, &body)
            );
        }
    }
    Ok(report)
}

/// The centre's reason, from its JSON refusal, or the bare status.
fn refusal(status: StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {status}"))
}
