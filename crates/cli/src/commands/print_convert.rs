//! `vantay print convert`.

use std::process::ExitCode;

/// Arguments of `vantay print convert`.
#[derive(clap::Args)]
pub struct ConvertArgs {}

/// Runs the command.
pub fn run(_args: ConvertArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
