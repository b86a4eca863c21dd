//! `vantay case show|seal|review|list`.

use std::process::ExitCode;

use chrono::Utc;
use vantay_domain::CaseId;
use vantay_store::Actor;

use crate::context::Location;

/// `vantay case …`.
#[derive(clap::Subcommand)]
pub enum CaseCommand {
    /// Show a case, its state, its prints and its history (no personal data).
    Show {
        /// The case id.
        id: CaseId,
    },
    /// Seal a captured case (step 2): its capture can no longer change.
    Seal {
        /// The case id.
        id: CaseId,
    },
    /// Mark an analysed case reviewed (step 5), once its report is rendered
    /// and checked; then it can be scheduled.
    Review {
        /// The case id.
        id: CaseId,
        /// The admin reviewing it.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// List every case, newest first.
    List,
}

/// Runs a case command.
pub async fn run(location: &Location, command: CaseCommand) -> anyhow::Result<ExitCode> {
    match command {
        CaseCommand::Show { id } => {
            let store = location.store().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&store.case_view(id).await?)?
            );
        }
        CaseCommand::Seal { id } => {
            let centre = location.centre().await?;
            let summary = centre.seal_case(&Actor::cli(), id).await?;
            println!("{}", serde_json::to_string(&summary)?);
        }
        CaseCommand::Review { id, as_user } => {
            let centre = location.centre().await?;
            let admin = centre.store().staff_by_username(&as_user).await?;
            let summary = centre.review_case(&admin, id, Utc::now()).await?;
            println!("{}", serde_json::to_string(&summary)?);
        }
        CaseCommand::List => {
            let store = location.store().await?;
            for case in store.list_cases().await? {
                println!("{}", serde_json::to_string(&case)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
