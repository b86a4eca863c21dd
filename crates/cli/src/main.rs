//! The `vantay` command. It parses arguments and calls the library crates;
//! the logic lives there.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// Vantay: a fingerprint-biometrics centre's server and tools.
#[derive(Parser)]
#[command(name = "vantay", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fingerprint image tools: analysis and format conversion.
    #[command(subcommand)]
    Print(PrintCommand),
}

#[derive(Subcommand)]
enum PrintCommand {
    /// Analyse fingerprint images; one JSON line per file.
    Analyze(commands::print_analyze::AnalyzeArgs),
    /// Convert between WSQ, PNG, PGM and raw 8-bit grey.
    Convert(commands::print_convert::ConvertArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Print(PrintCommand::Analyze(args)) => commands::print_analyze::run(args),
        Command::Print(PrintCommand::Convert(args)) => commands::print_convert::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vantay: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
