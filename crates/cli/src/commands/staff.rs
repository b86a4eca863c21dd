//! `vantay staff add|list`: the centre's staff accounts, each with its
//! signed confidentiality agreement.

use std::process::ExitCode;

use chrono::{Days, NaiveDate, Utc};
use vantay_domain::Role;
use vantay_store::NewStaff;

use crate::context::Location;

/// `vantay staff …`.
#[derive(clap::Subcommand)]
pub enum StaffCommand {
    /// Create an account; prints a one-time password to change at first login.
    Add {
        /// The login name (lower-case letters, digits, '.', '-', '_').
        username: String,
        /// scanner, admin, counsellor or auditor.
        #[arg(long)]
        role: Role,
        /// The version of the confidentiality agreement's text they signed, e.g. NDA-2026-01.
        #[arg(long, value_name = "VERSION")]
        agreement_version: String,
        /// The day they signed it (YYYY-MM-DD); nobody gets an account without one.
        #[arg(long, value_name = "DATE")]
        agreement_signed: NaiveDate,
        /// Its last valid day (YYYY-MM-DD); default: one year after signing.
        #[arg(long, value_name = "DATE")]
        agreement_expires: Option<NaiveDate>,
        /// The admin creating it.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// List the accounts, their roles and agreements.
    List,
}

/// Runs a staff command.
pub async fn run(location: &Location, command: StaffCommand) -> anyhow::Result<ExitCode> {
    match command {
        StaffCommand::Add {
            username,
            role,
            agreement_version,
            agreement_signed,
            agreement_expires,
            as_user,
        } => {
            let centre = location.centre().await?;
            let admin = centre.store().staff_by_username(&as_user).await?;
            let expires = agreement_expires
                .or_else(|| agreement_signed.checked_add_days(Days::new(365)))
                .unwrap_or(agreement_signed);
            let new = NewStaff {
                username: &username,
                role,
                agreement_version: &agreement_version,
                agreement_signed_on: agreement_signed,
                agreement_expires_on: expires,
            };
            let (staff, password) = centre.add_staff(&admin, &new, Utc::now()).await?;
            println!("{}", serde_json::to_string(&staff)?);
            println!("Mật khẩu dùng một lần / One-time password: {password}");
            eprintln!(
                "Trao mật khẩu này trực tiếp; phải đổi khi đăng nhập lần đầu / Hand it over in person; it must be changed at first login."
            );
        }
        StaffCommand::List => {
            let store = location.store().await?;
            for staff in store.staff_list().await? {
                println!("{}", serde_json::to_string(&staff)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
