//! The HTTPS transport between a centre and its analysis centre: a real
//! TLS server on 127.0.0.1, the real client, both installations on SQLite
//! files, real SD14 prints.

use std::sync::Arc;

use chrono::Utc;
use reqwest::StatusCode;
use vantay_domain::CaseState;
use vantay_server::client::{deliver, pull, CentreConnection};
use vantay_server::tls::TlsFiles;
use vantay_server::{centre_api, RunningServer};
use vantay_store::Actor;
use vantay_testkit::{review_where_an_analyst_is_needed, World, LAB};
use vantay_vault::request::{RequestAuth, RequestTarget};
use vantay_vault::CentreKeys;

/// A world with the centre's API served over TLS.
struct Served {
    world: World,
    server: RunningServer,
    ca: std::path::PathBuf,
}

impl Served {
    async fn start() -> Option<Served> {
        let world = World::new().await?;
        let tls = TlsFiles::in_data_dir(&world.dir.path().join("centre"), &[]).unwrap();
        let server = RunningServer::start(
            centre_api::router(Arc::clone(&world.centre)),
            "127.0.0.1:0".parse().unwrap(),
            tls.server_config().unwrap(),
        )
        .await
        .unwrap();
        let ca = tls.ca.clone().unwrap();
        Some(Served { world, server, ca })
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.server.addr.port())
    }

    fn connection(&self) -> CentreConnection {
        let centre = self.world.centre.public_identity().fingerprint();
        CentreConnection::new(&self.url(), &self.ca, centre).unwrap()
    }

    /// A plain HTTPS client trusting the centre's CA, for hand-made requests.
    fn raw_client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile_certs(&pem) {
            roots.add(cert).unwrap();
        }
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .unwrap()
    }

    /// Sends a request with `auth`'s headers (or unsigned); returns the
    /// status and the refusal's `reason`.
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &[u8],
        auth: Option<&RequestAuth>,
    ) -> (StatusCode, String) {
        let mut request = self
            .raw_client()
            .request(method, format!("{}{path}", self.url()))
            .body(body.to_vec());
        for (name, value) in auth.map(RequestAuth::headers).into_iter().flatten() {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let reason = json["reason"].as_str().map_or(text.clone(), str::to_owned);
        (status, reason)
    }

    fn target<'a>(&self, method: &'a str, path: &'a str, body: &'a [u8]) -> RequestTarget<'a> {
        RequestTarget {
            audience: self.world.centre.public_identity().fingerprint(),
            method,
            path,
            body,
        }
    }
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_are_pulled_and_results_pushed_over_https() {
    let Some(served) = Served::start().await else {
        return;
    };
    let w = &served.world;
    let case = w.sealed_case(1).await;
    let package = w
        .centre
        .dispatch_for_pull(&Actor::cli(), case, LAB, Utc::now())
        .await
        .unwrap();

    let centre = served.connection();
    let pulled = pull(&w.lab, &centre).await.unwrap();
    assert_eq!(pulled.received, vec![package.id]);
    // Pulling again fetches nothing twice.
    let again = pull(&w.lab, &centre).await.unwrap();
    assert!(again.received.is_empty());
    assert_eq!(again.already_here, vec![package.id]);

    review_where_an_analyst_is_needed(&w.lab, package.id, "analyst-1").await;
    let (summary, _) = w
        .lab
        .answer(package.id, "analyst-1", true, Utc::now())
        .await
        .unwrap();
    let delivered = deliver(&w.lab, &centre).await.unwrap();
    assert_eq!(delivered.delivered, vec![package.id]);
    assert!(delivered.refused.is_empty());
    let state = w.centre.store().case_summary(case).await.unwrap().state;
    let expected = if summary.rescan.is_empty() {
        CaseState::Analysed
    } else {
        CaseState::Captured
    };
    assert_eq!(state, expected);
    // Nothing is left to deliver, and the answered package is no longer listed.
    assert_eq!(deliver(&w.lab, &centre).await.unwrap(), Default::default());
    let listed = pull(&w.lab, &centre).await.unwrap();
    assert!(listed.received.is_empty() && listed.already_here.is_empty());
    served.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_forged_and_replayed_requests_are_refused() {
    let Some(served) = Served::start().await else {
        return;
    };
    let w = &served.world;
    let path = "/api/v1/packages";
    let get = reqwest::Method::GET;
    let refused = (StatusCode::UNAUTHORIZED, "unauthenticated".to_owned());

    // No signature at all.
    assert_eq!(served.request(get.clone(), path, b"", None).await, refused);

    // A key the centre never pinned.
    let stranger = CentreKeys::generate("stranger").unwrap();
    let auth = RequestAuth::sign(&stranger, &served.target("GET", path, b""), Utc::now());
    assert_eq!(
        served.request(get.clone(), path, b"", Some(&auth)).await,
        refused
    );

    // The pinned lab, but signed for another path, or for another server.
    let auth = w
        .lab
        .sign_request(&served.target("GET", "/api/v1/other", b""), Utc::now());
    assert_eq!(
        served.request(get.clone(), path, b"", Some(&auth)).await,
        refused
    );
    let mut elsewhere = served.target("GET", path, b"");
    elsewhere.audience = stranger.public().fingerprint();
    let auth = w.lab.sign_request(&elsewhere, Utc::now());
    assert_eq!(
        served.request(get.clone(), path, b"", Some(&auth)).await,
        refused
    );

    // Signed too long ago.
    let old = Utc::now() - chrono::Duration::minutes(10);
    let auth = w.lab.sign_request(&served.target("GET", path, b""), old);
    assert_eq!(
        served.request(get.clone(), path, b"", Some(&auth)).await,
        refused
    );

    // A good request works once; the same headers again are a replay.
    let auth = w
        .lab
        .sign_request(&served.target("GET", path, b""), Utc::now());
    let (status, _) = served.request(get.clone(), path, b"", Some(&auth)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        served.request(get.clone(), path, b"", Some(&auth)).await,
        refused
    );

    // A body swapped under a valid signature.
    let results = "/api/v1/results";
    let auth = w
        .lab
        .sign_request(&served.target("POST", results, b"one body"), Utc::now());
    assert_eq!(
        served
            .request(reqwest::Method::POST, results, b"another body", Some(&auth))
            .await,
        refused
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sees_only_its_packages_and_bad_results_are_refused_with_a_reason() {
    let Some(served) = Served::start().await else {
        return;
    };
    let w = &served.world;
    let case = w.sealed_case(11).await;
    let package = w
        .centre
        .dispatch_for_pull(&Actor::cli(), case, LAB, Utc::now())
        .await
        .unwrap();

    // A second pinned analysis centre neither lists nor fetches the first one's package.
    let other = CentreKeys::generate("lab-2").unwrap();
    w.centre
        .add_partner(&Actor::cli(), "lab-2", &other.public())
        .await
        .unwrap();
    let list = "/api/v1/packages";
    let auth = RequestAuth::sign(&other, &served.target("GET", list, b""), Utc::now());
    assert_eq!(
        served
            .request(reqwest::Method::GET, list, b"", Some(&auth))
            .await,
        (StatusCode::OK, "[]".to_owned())
    );
    let fetch = format!("/api/v1/packages/{}", package.id);
    let auth = RequestAuth::sign(&other, &served.target("GET", &fetch, b""), Utc::now());
    assert_eq!(
        served
            .request(reqwest::Method::GET, &fetch, b"", Some(&auth))
            .await,
        (StatusCode::NOT_FOUND, "unknown-package".to_owned())
    );

    // The lab answers; its result with a flipped byte is refused, with a reason.
    pull(&w.lab, &served.connection()).await.unwrap();
    review_where_an_analyst_is_needed(&w.lab, package.id, "analyst-1").await;
    let (_, mut result) = w
        .lab
        .answer(package.id, "analyst-1", true, Utc::now())
        .await
        .unwrap();
    let results = "/api/v1/results";
    let middle = result.len() / 2;
    result[middle] ^= 0x01;
    let auth = w
        .lab
        .sign_request(&served.target("POST", results, &result), Utc::now());
    let (status, reason) = served
        .request(reqwest::Method::POST, results, &result, Some(&auth))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        ["unreadable", "bad-signature"].contains(&reason.as_str()),
        "{reason}"
    );
    result[middle] ^= 0x01;

    // The intact result is taken once; sent again it is a replay (409),
    // which the client counts as delivered.
    let auth = w
        .lab
        .sign_request(&served.target("POST", results, &result), Utc::now());
    let (status, _) = served
        .request(reqwest::Method::POST, results, &result, Some(&auth))
        .await;
    assert_eq!(status, StatusCode::OK);
    let auth = w
        .lab
        .sign_request(&served.target("POST", results, &result), Utc::now());
    assert_eq!(
        served
            .request(reqwest::Method::POST, results, &result, Some(&auth))
            .await,
        (StatusCode::CONFLICT, "replayed".to_owned())
    );
    let delivered = deliver(&w.lab, &served.connection()).await.unwrap();
    assert_eq!(delivered.delivered, vec![package.id]);
}
