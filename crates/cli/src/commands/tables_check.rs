//! `vantay tables check FILE`: validate an interpretation table before the
//! centre puts it into use.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `vantay tables check`.
#[derive(clap::Args)]
pub struct TablesCheckArgs {
    /// The interpretation table to check (TOML).
    pub file: PathBuf,
}

/// Runs the command: exit 0 and a one-line summary when the table is valid,
/// exit 1 and the reason (naming the field) when it is not.
pub fn run(args: TablesCheckArgs) -> anyhow::Result<ExitCode> {
    let path = args.file.display();
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read the table {path}"))?;
    match vantay_report::parse_table(&text) {
        Ok(table) => {
            println!(
                "{path}: ok — version {}, sha256 {}",
                table.version(),
                table.sha256_hex()
            );
            if table.is_example() {
                println!(
                    "{path}: note — this table is marked as example content \
                     (example = true); replace its content before use"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("{path}: {err}");
            Ok(ExitCode::FAILURE)
        }
    }
}
