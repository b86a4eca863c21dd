//! `vantay staff add|renew|disable|enable|recover|list`: the centre's staff
//! accounts, each with its signed confidentiality agreement, renewed when it
//! runs out and disabled when its holder leaves; `recover` is the way back
//! in when no admin can act any more.

use std::process::ExitCode;

use chrono::{Days, NaiveDate, Utc};
use vantay_domain::{Role, Staff};
use vantay_store::{NewAgreement, NewStaff};

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
        #[command(flatten)]
        agreement: AgreementArgs,
        /// The admin creating it.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// Record a renewed confidentiality agreement for an account.
    Renew {
        /// The account's login name.
        username: String,
        #[command(flatten)]
        agreement: AgreementArgs,
        /// The admin recording it.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// When no admin can act any more (every admin's agreement ran out, or
    /// every admin is disabled): renew an admin's agreement and enable the
    /// account with the key file alone. Refused while any admin could do it.
    Recover {
        /// The admin account's login name.
        username: String,
        #[command(flatten)]
        agreement: AgreementArgs,
    },
    /// Disable an account (its holder left): it is refused everything from now on.
    Disable {
        /// The account's login name.
        username: String,
        /// The admin disabling it (not their own account).
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account's login name.
        username: String,
        /// The admin enabling it.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// List the accounts, their roles, agreements and status (active,
    /// disabled or agreement_expired).
    List,
}

/// The signed confidentiality agreement, as `staff add` and `staff renew` take it.
#[derive(clap::Args)]
pub struct AgreementArgs {
    /// The version of the confidentiality agreement's text they signed, e.g. NDA-2026-01.
    #[arg(long, value_name = "VERSION", alias = "document-version")]
    agreement_version: String,
    /// The day they signed it (YYYY-MM-DD); no account works without a signed agreement.
    #[arg(long, value_name = "DATE", alias = "signed-on")]
    agreement_signed: NaiveDate,
    /// Its last valid day (YYYY-MM-DD); default: one year after signing.
    #[arg(long, value_name = "DATE", alias = "expires-on")]
    agreement_expires: Option<NaiveDate>,
}

impl AgreementArgs {
    /// The last valid day given, or one year after signing.
    fn expires(&self) -> NaiveDate {
        self.agreement_expires
            .or_else(|| self.agreement_signed.checked_add_days(Days::new(365)))
            .unwrap_or(self.agreement_signed)
    }

    /// The agreement as `staff renew` and `staff recover` record it.
    fn renewal(&self) -> NewAgreement<'_> {
        NewAgreement {
            version: &self.agreement_version,
            signed_on: self.agreement_signed,
            expires_on: self.expires(),
        }
    }
}

/// Runs a staff command.
pub async fn run(location: &Location, command: StaffCommand) -> anyhow::Result<ExitCode> {
    match command {
        StaffCommand::Add {
            username,
            role,
            agreement,
            as_user,
        } => {
            let centre = location.centre().await?;
            let admin = centre.store().staff_by_username(&as_user).await?;
            let new = NewStaff {
                username: &username,
                role,
                agreement_version: &agreement.agreement_version,
                agreement_signed_on: agreement.agreement_signed,
                agreement_expires_on: agreement.expires(),
            };
            let (staff, password) = centre.add_staff(&admin, &new, Utc::now()).await?;
            println!("{}", serde_json::to_string(&staff)?);
            println!("Mật khẩu dùng một lần / One-time password: {password}");
            eprintln!(
                "Trao mật khẩu này trực tiếp; phải đổi khi đăng nhập lần đầu / Hand it over in person; it must be changed at first login."
            );
        }
        StaffCommand::Renew {
            username,
            agreement,
            as_user,
        } => {
            let centre = location.centre().await?;
            let admin = centre.store().staff_by_username(&as_user).await?;
            let renewal = agreement.renewal();
            let now = Utc::now();
            let staff = centre
                .renew_agreement(&admin, &username, &renewal, now)
                .await?;
            println!("{}", listed(&staff, now.date_naive())?);
        }
        StaffCommand::Disable { username, as_user } => {
            let centre = location.centre().await?;
            let admin = centre.store().staff_by_username(&as_user).await?;
            let now = Utc::now();
            let staff = centre.disable_staff(&admin, &username, now).await?;
            println!("{}", listed(&staff, now.date_naive())?);
            eprintln!(
                "Đã vô hiệu hoá tài khoản {username}: mọi thao tác của tài khoản này bị từ chối / Account {username} disabled: it is refused everything."
            );
        }
        StaffCommand::Enable { username, as_user } => {
            let centre = location.centre().await?;
            let admin = centre.store().staff_by_username(&as_user).await?;
            let now = Utc::now();
            let staff = centre.enable_staff(&admin, &username, now).await?;
            println!("{}", listed(&staff, now.date_naive())?);
        }
        StaffCommand::Recover {
            username,
            agreement,
        } => {
            let centre = location.centre().await?;
            let renewal = agreement.renewal();
            let now = Utc::now();
            let staff = centre.recover_admin(&username, &renewal, now).await?;
            println!("{}", listed(&staff, now.date_naive())?);
            eprintln!(
                "Đã khôi phục quyền quản trị cho {username}; sự việc được ghi vào sổ cái / Admin {username} recovered; the ledger records it."
            );
        }
        StaffCommand::List => {
            let store = location.store().await?;
            let today = Utc::now().date_naive();
            for staff in store.staff_list().await? {
                println!("{}", listed(&staff, today)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An account as one JSON line: its stored fields plus `status` today.
fn listed(staff: &Staff, today: NaiveDate) -> anyhow::Result<String> {
    let mut json = serde_json::to_value(staff)?;
    json["status"] = staff.status(today).as_str().into();
    Ok(serde_json::to_string(&json)?)
}
