//! `vantay serve` and `vantay analysis-center serve|pull|push`: the HTTPS
//! side of both installations. The logic lives in `vantay-server`; this
//! file reads flags and prints what the operator needs to know.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use vantay_server::tls::TlsFiles;
use vantay_server::RunningServer;

use crate::context::Location;

/// How a server listens: address and certificate.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub bind: SocketAddr,
    /// A host name (or IP address) partners reach this server by, for the
    /// certificate made on first start; repeat for several.
    #[arg(long = "hostname", value_name = "NAME")]
    pub hostnames: Vec<String>,
    /// Your own certificate chain (PEM) instead of the one made in the data directory.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ServeArgs {
    fn tls_files(&self, data_dir: &Path) -> anyhow::Result<TlsFiles> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                ca: None,
            }),
            _ => TlsFiles::in_data_dir(data_dir, &self.hostnames),
        }
    }
}

/// How the analysis centre reaches a centre's API.
#[derive(clap::Args, Clone, Debug)]
pub struct RemoteArgs {
    /// The pinned centre, by the name given at `partner add`.
    #[arg(long, value_name = "NAME")]
    pub centre: String,
    /// Its API address, e.g. https://centre.example.vn:8443
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The CA certificate it handed over with its identity (its tls/ca.pem).
    #[arg(long, value_name = "PEM")]
    pub ca_cert: PathBuf,
}

/// Serves `router` until Ctrl-C.
pub async fn serve_until_interrupted(
    router: axum::Router,
    args: &ServeArgs,
    data_dir: &Path,
    what: &str,
) -> anyhow::Result<()> {
    let tls = args.tls_files(data_dir)?;
    let server = RunningServer::start(router, args.bind, tls.server_config()?).await?;
    println!("{what}: https://{}", server.addr);
    if let Some(ca) = &tls.ca {
        println!(
            "Chứng chỉ CA để trao cho đối tác / CA certificate to hand to partners: {}",
            ca.display()
        );
    }
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => {
            stopped.context("cannot wait for Ctrl-C")?;
            eprintln!("Đang dừng / stopping…");
            server.shutdown().await
        }
    }
}

/// How often `vantay serve` releases due reports to their counsellors
/// (step 7). A minute late at most; a quiet minute costs one read.
const RELEASE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `vantay serve`: the centre's API for its analysis centres, and the
/// automatic release of reports to counsellors.
pub async fn serve_centre(
    location: &Location,
    args: ServeArgs,
) -> anyhow::Result<std::process::ExitCode> {
    let centre = Arc::new(location.centre().await?);
    let releases = tokio::spawn(release_periodically(Arc::clone(&centre)));
    let router = vantay_server::centre_api::router(centre);
    let served = serve_until_interrupted(
        router,
        &args,
        &location.data_dir()?,
        "API cho trung tâm phân tích / API for analysis centres",
    )
    .await;
    releases.abort();
    served?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Step 7 without anyone acting on it: every [`RELEASE_EVERY`], the reports
/// whose appointment is three days away go to their counsellors. Several
/// server instances may all run this; the store releases each case once.
async fn release_periodically(centre: Arc<vantay_store::Centre>) {
    let mut ticks = tokio::time::interval(RELEASE_EVERY);
    loop {
        ticks.tick().await;
        match centre.release_due(chrono::Utc::now()).await {
            Ok(released) if !released.is_empty() => eprintln!(
                "Đã giao {} báo cáo cho tư vấn viên / released {} report(s) to counsellors",
                released.len(),
                released.len()
            ),
            Ok(_) => {}
            // A failed round is retried at the next tick.
            Err(err) => eprintln!("vantay: lỗi / error: releasing due reports: {err}"),
        }
    }
}
