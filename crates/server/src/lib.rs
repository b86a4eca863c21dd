//! Vantay over HTTP.
//!
//! - [`centre_api`]: the centre's HTTPS API for its analysis centres: they
//!   pull the work packages dispatched to them and push their results back.
//!   Every request is signed by the caller's pinned Ed25519 key
//!   ([`vantay_vault::request`]); an unsigned or unknown caller is refused.
//! - [`client`]: the analysis centre's side of that API.
//! - [`analyst`]: the analysis centre's web pages for its analysts
//!   (Vietnamese first, English second), with login.
//! - [`tls`]: the server certificate, made once and kept in the data
//!   directory unless the operator brings their own.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analyst;
pub mod centre_api;
pub mod client;
pub mod tls;

use std::net::SocketAddr;

use anyhow::Context as _;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;

/// A server running in the background of this process.
pub struct RunningServer {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    handle: Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Serves `router` over TLS on `bind`; returns once it listens.
    pub async fn start(
        router: axum::Router,
        bind: SocketAddr,
        tls: RustlsConfig,
    ) -> anyhow::Result<RunningServer> {
        let handle = Handle::new();
        let server = axum_server::bind_rustls(bind, tls).handle(handle.clone());
        let task = tokio::spawn(server.serve(router.into_make_service()));
        let addr = match handle.listening().await {
            Some(addr) => addr,
            None => {
                let failure = task.await.context("the server task failed")?;
                failure.with_context(|| format!("cannot listen on {bind}"))?;
                anyhow::bail!("the server stopped before it listened on {bind}");
            }
        };
        Ok(RunningServer { addr, handle, task })
    }

    /// Runs until the server stops (it stops on its own only on error).
    pub async fn wait(self) -> anyhow::Result<()> {
        Ok(self.task.await.context("the server task failed")??)
    }

    /// Stops taking connections and lets open requests finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(5)));
        self.wait().await
    }
}
