//! `vantay intake BUNDLE`.

use std::path::PathBuf;
use std::process::ExitCode;

use vantay_store::Actor;

use crate::context::Location;

/// Arguments of `vantay intake`.
#[derive(clap::Args)]
pub struct IntakeArgs {
    /// A capture bundle: a directory with capture.json, or a .zip of one.
    pub bundle: PathBuf,
}

/// Imports a capture bundle as a new `captured` case; prints `{"case", "customer"}`.
pub async fn run(location: &Location, args: IntakeArgs) -> anyhow::Result<ExitCode> {
    let bundle = vantay_intake::read_bundle(&args.bundle)?;
    let (capture, images) = vantay_intake::prepare(&bundle, chrono::Utc::now())?;
    let centre = location.centre().await?;
    let receipt = centre.intake(&Actor::cli(), &capture, images).await?;
    println!("{}", serde_json::to_string(&receipt)?);
    Ok(ExitCode::SUCCESS)
}
