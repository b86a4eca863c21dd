//! `vantay print analyze`.

use std::process::ExitCode;

/// Arguments of `vantay print analyze`.
#[derive(clap::Args)]
pub struct AnalyzeArgs {}

/// Runs the command.
pub fn run(_args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
