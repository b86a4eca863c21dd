//! `vantay staff` at the command line, on the embedded defaults: accounts
//! made, an agreement renewed, an account disabled (off-boarding) and
//! enabled again, each refused to a non-admin with the reason in Vietnamese
//! then English, and the ledger intact afterwards.

#[allow(dead_code)] // the SD14 helpers serve the other test binaries
mod common;

use std::path::PathBuf;
use std::process::Output;

struct Centre {
    dir: tempfile::TempDir,
}

impl Centre {
    fn new() -> Centre {
        let centre = Centre {
            dir: tempfile::tempdir().unwrap(),
        };
        centre.ok(&["init"]);
        centre
    }

    fn run(&self, args: &[&str]) -> Output {
        let data: PathBuf = self.dir.path().join("data");
        common::vantay(&data, &self.dir.path().join("keys/master.key"), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        common::succeeded(self.run(args), &format!("vantay {args:?}"))
    }

    /// Runs a command that must fail with status 2; returns its message.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(2), "vantay {args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }

    /// `staff list` as (username, status).
    fn statuses(&self) -> Vec<(String, String)> {
        self.ok(&["staff", "list"])
            .lines()
            .map(|line| {
                let account: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = |key: &str| account[key].as_str().unwrap().to_owned();
                (text("username"), text("status"))
            })
            .collect()
    }
}

fn strs(owned: &[String]) -> Vec<&str> {
    owned.iter().map(String::as_str).collect()
}

#[test]
fn staff_agreements_are_renewed_and_accounts_disabled_and_enabled() {
    let centre = Centre::new();
    let today = chrono::Utc::now().date_naive();
    let day = |n: u64| (today + chrono::Days::new(n)).to_string();
    for (name, role) in [("tuvan.lan", "counsellor"), ("tuvan.ngan", "counsellor")] {
        centre.ok(&[
            "staff",
            "add",
            name,
            "--role",
            role,
            "--agreement-version",
            "NDA-2026-01",
            "--agreement-signed",
            &today.to_string(),
            "--agreement-expires",
            &day(5),
        ]);
    }

    let renew = |who: &str, expires: &str| -> Vec<String> {
        let today = today.to_string();
        [
            "staff",
            "renew",
            "tuvan.lan",
            "--agreement-version",
            "NDA-2027-01",
            "--agreement-signed",
            &today,
            "--agreement-expires",
            expires,
            "--as",
            who,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let why = centre.refused(&strs(&renew("tuvan.ngan", &day(365))));
    assert!(
        why.contains("chỉ quản trị viên")
            && why.contains("only an admin reviews cases, books appointments and manages staff"),
        "{why}"
    );
    let yesterday = today.pred_opt().unwrap().to_string();
    let why = centre.refused(&strs(&renew("admin", &yesterday)));
    assert!(why.contains("cannot end"), "{why}");
    let renewed: serde_json::Value =
        serde_json::from_str(&centre.ok(&strs(&renew("admin", &day(365))))).unwrap();
    assert_eq!(renewed["agreement"]["document_version"], "NDA-2027-01");
    assert_eq!(renewed["agreement"]["expires_on"], day(365));
    assert_eq!(renewed["status"], "active");

    let why = centre.refused(&["staff", "disable", "tuvan.lan", "--as", "tuvan.ngan"]);
    assert!(why.contains("manages staff"), "{why}");
    let why = centre.refused(&["staff", "disable", "admin"]);
    assert!(why.contains("cannot disable their own account"), "{why}");
    centre.ok(&["staff", "disable", "tuvan.lan"]);
    let why = centre.refused(&["staff", "disable", "tuvan.lan"]);
    assert!(why.contains("already disabled"), "{why}");
    assert_eq!(
        centre.statuses(),
        [
            ("admin".to_owned(), "active".to_owned()),
            ("tuvan.lan".to_owned(), "disabled".to_owned()),
            ("tuvan.ngan".to_owned(), "active".to_owned()),
        ]
    );
    // A disabled account does nothing, even what only needs an agreement.
    let why = centre.refused(&["staff", "enable", "tuvan.ngan", "--as", "tuvan.lan"]);
    assert!(
        why.contains("tài khoản đã bị vô hiệu hoá — the account is disabled"),
        "{why}"
    );
    let enabled: serde_json::Value =
        serde_json::from_str(&centre.ok(&["staff", "enable", "tuvan.lan", "--as", "admin"]))
            .unwrap();
    assert_eq!(enabled["status"], "active");
    assert_eq!(enabled["disabled"], false);
    // The key file's way back in is closed while an admin can act.
    let why = centre.refused(&[
        "staff",
        "recover",
        "admin",
        "--agreement-version",
        "NDA-2027-01",
        "--agreement-signed",
        &day(0),
    ]);
    assert!(why.contains("can still do this: ask them"), "{why}");
    centre.ok(&["verify"]);
}
