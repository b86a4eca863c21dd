//! The exchange end to end through files, with two installations of the
//! `vantay` binary: a centre and an analysis centre, each with its own data
//! directory and key file. Real SD14 prints; one finger captured as PNG, so
//! the package's WSQ compression is exercised too.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{sd14, FINGERS};
const NAME: &str = "Phạm Thị Thuỳ Dương";
const PHONE: &str = "0912 876 543";
const GUARDIAN: &str = "Phạm Văn Bảohộ";
const BORN: &str = "2014-07-23";

/// One installation: a data directory and a key file of its own.
struct Install {
    root: PathBuf,
    name: &'static str,
    lab: bool,
}

impl Install {
    fn new(root: &Path, name: &'static str, lab: bool) -> Install {
        Install {
            root: root.to_owned(),
            name,
            lab,
        }
    }

    fn data(&self) -> PathBuf {
        self.root.join(self.name).join("data")
    }

    fn key(&self) -> PathBuf {
        self.root.join(self.name).join("keys/master.key")
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = Vec::new();
        if self.lab {
            all.push("analysis-center");
        }
        all.extend(args);
        common::vantay(&self.data(), &self.key(), &all)
    }

    fn ok(&self, args: &[&str]) -> String {
        common::succeeded(self.run(args), &format!("{} {args:?}", self.name))
    }

    /// Runs a command that must fail; returns its message.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{} {args:?} should fail",
            self.name
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn identity(&self) -> String {
        self.ok(&["identity"]).trim().to_owned()
    }

    /// At the analysis centre: runs the engine, then plays the analyst for
    /// the fingers `show` says need one, as `answer --auto` asks: it counts
    /// the ridges where the engine found no delta (`needs_count`) and
    /// confirms the readings the engine is unsure of (`unsure`). Returns
    /// those fingers.
    fn review_where_an_analyst_is_needed(&self, package: &str) -> Vec<String> {
        self.ok(&["work"]);
        let fingers: Vec<serde_json::Value> =
            self.ok(&["show", package]).lines().map(json).collect();
        let flagged = |flag: &str| -> Vec<String> {
            fingers
                .iter()
                .filter(|finger| finger[flag] == true)
                .map(|finger| finger["finger"].as_str().unwrap().to_owned())
                .collect()
        };
        let uncounted = flagged("needs_count");
        let unsure: Vec<String> = flagged("unsure")
            .into_iter()
            .filter(|code| !uncounted.contains(code))
            .collect();
        if !uncounted.is_empty() || !unsure.is_empty() {
            // One refusal names every finger to review, and how.
            let why = self.refused(&["answer", package, "--auto"]);
            if !uncounted.is_empty() {
                assert!(why.contains("--ridge-counts"), "{why}");
            }
            if !unsure.is_empty() {
                assert!(why.contains("unsure"), "{why}");
            }
            for code in uncounted.iter().chain(&unsure) {
                assert!(why.contains(code.as_str()), "{why}");
            }
        }
        for code in &uncounted {
            self.ok(&["review", package, code, "--ridge-counts", "12"]);
        }
        for code in &unsure {
            self.ok(&["review", package, code]);
        }
        uncounted.into_iter().chain(unsure).collect()
    }
}

/// A capture bundle: nine WSQ prints and R1 converted to PNG (SD14 prints
/// 61–70, among which the engine cannot count one loop and is unsure of
/// five more, so `answer --auto` asks for an analyst first).
fn bundle(centre: &Install, root: &Path) -> PathBuf {
    let dir = root.join("bundle");
    std::fs::create_dir_all(&dir).unwrap();
    let data = sd14().unwrap();
    let mut prints = serde_json::Map::new();
    for (i, finger) in FINGERS.iter().enumerate() {
        let source = data.join(format!("s00243{:02}.wsq", i + 61));
        let file = if *finger == "R1" {
            let png = dir.join("R1.png");
            centre.ok(&[
                "print",
                "convert",
                source.to_str().unwrap(),
                png.to_str().unwrap(),
            ]);
            "R1.png".to_owned()
        } else {
            std::fs::copy(&source, dir.join(format!("{finger}.wsq"))).unwrap();
            format!("{finger}.wsq")
        };
        prints.insert(finger.to_string(), file.into());
    }
    let manifest = serde_json::json!({
        "customer": { "full_name": NAME, "date_of_birth": BORN, "sex": "F",
                      "phone": PHONE, "guardian_name": GUARDIAN },
        "consent": { "analysis": true, "text_version": "2026-01", "signed_by": ["customer", "guardian"],
                     "signed_at": "2026-11-28T09:30:00+07:00" },
        "prints": prints,
        "device": { "model": "Futronic FS88", "dpi": 500 }
    });
    std::fs::write(dir.join("capture.json"), manifest.to_string()).unwrap();
    dir
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// Pins both ways; returns the fingerprints each side showed.
fn pin(centre: &Install, lab: &Install) {
    let lab_line = lab.identity();
    let centre_line = centre.identity();
    let pinned = centre.ok(&["partner", "add", "lab", &lab_line]);
    let lab_fingerprint = lab.run(&["identity"]);
    let shown = String::from_utf8(lab_fingerprint.stderr).unwrap();
    let fingerprint = shown.trim().trim_start_matches("fingerprint: ");
    assert!(pinned.contains(fingerprint), "{pinned} shows {fingerprint}");
    // The identity line as four separate words works too.
    let words: Vec<&str> = centre_line.split_whitespace().collect();
    let mut args = vec!["partner", "add", "hanoi"];
    args.extend(&words);
    lab.ok(&args);
}

/// A centre and an analysis centre pinned to each other, under `root`, and
/// a sealed case at the centre.
fn sealed_case_between_two_installs(root: &Path) -> (Install, Install, String) {
    let centre = Install::new(root, "centre", false);
    let lab = Install::new(root, "lab", true);
    centre.ok(&["init"]);
    lab.ok(&["init"]);
    pin(&centre, &lab);
    let case = json(&centre.ok(&["intake", bundle(&centre, root).to_str().unwrap()]))["case"]
        .as_str()
        .unwrap()
        .to_owned();
    centre.ok(&["case", "seal", &case]);
    (centre, lab, case)
}

#[test]
fn file_round_trip_with_refusals() {
    if sd14().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let centre = Install::new(root, "centre", false);
    let lab = Install::new(root, "lab", true);
    centre.ok(&["init", "--name", "centre-hanoi"]);
    lab.ok(&["init", "--name", "lab-1"]);
    pin(&centre, &lab);

    let receipt = json(&centre.ok(&["intake", bundle(&centre, root).to_str().unwrap()]));
    let case = receipt["case"].as_str().unwrap().to_owned();
    let package = root.join("case.vtpkg");
    // Only a sealed case goes out.
    let early = centre.refused(&[
        "dispatch",
        &case,
        "--to",
        "lab",
        "--out",
        package.to_str().unwrap(),
    ]);
    assert!(early.contains("captured"), "{early}");
    centre.ok(&["case", "seal", &case]);
    let sent = json(&centre.ok(&[
        "dispatch",
        &case,
        "--to",
        "lab",
        "--out",
        package.to_str().unwrap(),
    ]));
    assert_eq!(sent["fingers"].as_array().unwrap().len(), 10);
    let shown = centre.ok(&["case", "show", &case]);
    assert!(
        shown.contains("\"state\": \"dispatched\"") && shown.contains("case.dispatch"),
        "{shown}"
    );

    // A damaged package, and one opened by another analysis centre.
    let bytes = std::fs::read(&package).unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    let damaged = root.join("damaged.vtpkg");
    std::fs::write(&damaged, &flipped).unwrap();
    let why = lab.refused(&[
        "open",
        damaged.to_str().unwrap(),
        "--out",
        root.join("x").to_str().unwrap(),
    ]);
    assert!(why.contains("signature"), "{why}");
    let other = Install::new(root, "other", true);
    other.ok(&["init", "--name", "lab-2"]);
    other.ok(&["partner", "add", "hanoi", &centre.identity()]);
    let why = other.refused(&[
        "open",
        package.to_str().unwrap(),
        "--out",
        root.join("y").to_str().unwrap(),
    ]);
    assert!(why.contains("addressed to"), "{why}");

    // The analysis centre opens it: prints and a manifest, no personal data.
    let opened_dir = root.join("opened");
    let opened = json(&lab.ok(&[
        "open",
        package.to_str().unwrap(),
        "--out",
        opened_dir.to_str().unwrap(),
    ]));
    let id = opened["package"].as_str().unwrap().to_owned();
    let files = files_under(&opened_dir);
    assert_eq!(files.len(), 11, "ten prints and the manifest");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(opened_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["age_band"], "12-15");
    let r1 = std::fs::read(opened_dir.join("R1.wsq")).unwrap();
    assert_eq!(
        &r1[..2],
        &[0xff, 0xa0],
        "R1 was captured as PNG and travels as WSQ"
    );
    let markers = [
        NAME,
        PHONE,
        "912876543",
        "0912876543",
        GUARDIAN,
        BORN,
        "23/07/2014",
        "20140723",
        "Dương",
        "Bảohộ",
    ];
    let mut everything = vec![bytes.clone()];
    everything.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    for blob in &everything {
        for marker in markers {
            assert!(
                !contains(blob, marker.as_bytes()),
                "{marker:?} reached the analysis centre"
            );
        }
    }

    // Answer with the engine's readings, import at the centre.
    let result = root.join("case.vtres");
    let reviewed = lab.review_where_an_analyst_is_needed(&id);
    assert!(!reviewed.is_empty(), "prints 61–70 need an analyst");
    let answered = json(&lab.ok(&["answer", &id, "--auto", "--out", result.to_str().unwrap()]));
    assert_eq!(answered["package"], id.as_str());
    let mut flipped = std::fs::read(&result).unwrap();
    let last = flipped.len() - 10;
    flipped[last] ^= 1;
    let damaged = root.join("damaged.vtres");
    std::fs::write(&damaged, &flipped).unwrap();
    let why = centre.refused(&["import-result", damaged.to_str().unwrap()]);
    assert!(why.contains("signature"), "{why}");
    let imported = json(&centre.ok(&["import-result", result.to_str().unwrap()]));
    let state = imported["state"].as_str().unwrap();
    assert!(state == "analysed" || state == "captured", "{imported}");
    let why = centre.refused(&["import-result", result.to_str().unwrap()]);
    assert!(why.contains("accepted once"), "{why}");
    let shown = centre.ok(&["case", "show", &case]);
    assert!(shown.contains("result.refused.replayed"), "{shown}");
    centre.ok(&["verify"]);

    // Step 5: the admin renders the report from the accepted result.
    assert_eq!(
        state, "analysed",
        "every SD14 print is readable: {imported}"
    );
    let pdf = root.join("report.pdf");
    centre.ok(&["report", &case, "--out", pdf.to_str().unwrap()]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let shown = centre.ok(&["case", "show", &case]);
    assert!(
        shown.contains("report.render") && shown.contains("report.open"),
        "{shown}"
    );
    if let Some(text) = pdf_text(&pdf) {
        assert!(
            text.contains(NAME),
            "the report names the customer with diacritics"
        );
        assert!(
            text.contains("không phải là một bài trắc nghiệm tâm lý"),
            "the statement is printed"
        );
    }
    centre.ok(&["verify"]);
}

/// The text of a PDF with single spaces (lines wrap anywhere), or `None`
/// (and a note) where pdftotext is not installed.
fn pdf_text(pdf: &Path) -> Option<String> {
    match Command::new("pdftotext")
        .args(["-nodiag", pdf.to_str().unwrap(), "-"])
        .output()
    {
        Ok(text) if text.status.success() => Some(
            String::from_utf8_lossy(&text.stdout)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => {
            eprintln!("skipped the PDF text check: pdftotext is not installed");
            None
        }
    }
}

#[test]
fn reviewed_answer_through_the_command_line() {
    if sd14().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (centre, lab, case) = sealed_case_between_two_installs(root);
    let package = root.join("p.vtpkg");
    centre.ok(&[
        "dispatch",
        &case,
        "--to",
        "lab",
        "--out",
        package.to_str().unwrap(),
    ]);
    let id = json(&lab.ok(&[
        "open",
        package.to_str().unwrap(),
        "--out",
        root.join("o").to_str().unwrap(),
    ]))["package"]
        .as_str()
        .unwrap()
        .to_owned();
    let result = root.join("r.vtres");
    let why = lab.refused(&["answer", &id, "--out", result.to_str().unwrap()]);
    assert!(why.contains("--auto"), "{why}");
    let work = json(&lab.ok(&["work", "--worker", "w1"]));
    assert_eq!(
        work["done"].as_u64().unwrap() + work["failed"].as_u64().unwrap(),
        10
    );
    // A subtype must be a subtype, and one of the reading's class.
    let why = lab.refused(&["review", &id, "R2", "--subtype", "dl"]);
    assert!(why.contains("'dl' is not a subtype"), "{why}");
    let why = lab.refused(&[
        "review",
        &id,
        "R2",
        "--class",
        "L",
        "--subtype",
        "double_loop",
    ]);
    assert!(why.contains("double_loop is not one of class L"), "{why}");
    for finger in FINGERS {
        let mut args = vec!["review", id.as_str(), finger, "--analyst", "lan"];
        if finger == "L3" {
            args.extend(["--rescan", "vết bẩn / smudge"]);
        } else if finger == "R2" {
            args.extend(["--class", "T"]);
        }
        let out = lab.run(&args);
        if !out.status.success() {
            // The engine could not read it: the analyst asks for a rescan.
            lab.ok(&["review", &id, finger, "--rescan", "unreadable"]);
        }
    }
    // R2 corrected to a tented arch carries the tented arch's subtype,
    // whatever the engine's was.
    let r2 = lab
        .ok(&["show", &id])
        .lines()
        .map(json)
        .find(|line| line["finger"] == "R2")
        .expect("R2 shown");
    if r2["state"] == "analysed" {
        assert_eq!(r2["reading"]["class"], "T", "{r2}");
        assert_eq!(r2["reading"]["subtype"], "tented_arch", "{r2}");
    }
    lab.ok(&[
        "answer",
        &id,
        "--analyst",
        "lan",
        "--out",
        result.to_str().unwrap(),
    ]);
    let imported = json(&centre.ok(&["import-result", result.to_str().unwrap()]));
    assert_eq!(imported["state"], "captured", "L3 goes back to capture");
    assert!(
        imported["rescan"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "L3"),
        "{imported}"
    );
    let shown = centre.ok(&["case", "show", &case]);
    assert!(shown.contains("case.rescan"), "{shown}");

    // The analysis centre's own ledger holds all of it, and its checkpoint,
    // kept outside, is what `verify` checks the installation against.
    let kept = root.join("lab-checkpoint.txt");
    std::fs::write(&kept, lab.ok(&["checkpoint"])).unwrap();
    let out = lab.run(&["verify", "--checkpoint", kept.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("intact: "));

    // The review threshold is a setting of the installation.
    assert_eq!(json(&lab.ok(&["settings"]))["review_below"], 90);
    assert_eq!(
        json(&lab.ok(&["settings", "--review-below", "95"]))["review_below"],
        95
    );
    let why = lab.refused(&["settings", "--review-below", "30"]);
    assert!(why.contains("from 50 to 100"), "{why}");
    assert_eq!(json(&lab.ok(&["settings"]))["review_below"], 95);
}

/// Steps 5–8 at the command line, after a real exchange: the admin reviews
/// the rendered report, makes counsellor accounts and books the
/// appointment; the counsellor opens the report only in their window, and
/// records the hand-over.
#[test]
fn report_reaches_its_counsellor_and_the_customer_through_the_command_line() {
    if sd14().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let path = |name: &str| root.join(name).to_str().unwrap().to_owned();
    let (centre, lab, case) = sealed_case_between_two_installs(root);
    centre.ok(&["dispatch", &case, "--to", "lab", "--out", &path("p.vtpkg")]);
    let opened = json(&lab.ok(&["open", &path("p.vtpkg"), "--out", &path("o")]));
    let id = opened["package"].as_str().unwrap();
    lab.review_where_an_analyst_is_needed(id);
    lab.ok(&["answer", id, "--auto", "--out", &path("r.vtres")]);
    let imported = json(&centre.ok(&["import-result", &path("r.vtres")]));
    assert_eq!(imported["state"], "analysed", "{imported}");

    // Step 5: reviewed once a report is rendered.
    let why = centre.refused(&["case", "review", &case]);
    assert!(why.contains("no report yet"), "{why}");
    centre.ok(&["report", &case, "--out", &path("admin.pdf")]);
    assert_eq!(
        json(&centre.ok(&["case", "review", &case]))["state"],
        "reviewed"
    );

    // Counsellor accounts, each with a signed agreement.
    let today = chrono::Utc::now().date_naive();
    for name in ["tuvan.lan", "tuvan.ngan"] {
        let added = centre.ok(&[
            "staff",
            "add",
            name,
            "--role",
            "counsellor",
            "--agreement-version",
            "NDA-2026-01",
            "--agreement-signed",
            &today.to_string(),
        ]);
        assert!(
            added.contains("\"role\":\"counsellor\"") && added.contains("One-time password"),
            "{added}"
        );
    }
    let tomorrow = today.succ_opt().unwrap().to_string();
    let why = centre.refused(&[
        "staff",
        "add",
        "tuvan.minh",
        "--role",
        "counsellor",
        "--agreement-version",
        "NDA-2026-01",
        "--agreement-signed",
        &tomorrow,
    ]);
    assert!(why.contains("in the future"), "{why}");

    // Step 6: booked in ten days, with a counsellor only.
    let vietnam = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let in_days = |n: i64| {
        (chrono::Utc::now() + chrono::Duration::days(n))
            .with_timezone(&vietnam)
            .to_rfc3339()
    };
    let far = in_days(10);
    let why = centre.refused(&["schedule", &case, "--at", &far, "--counsellor", "admin"]);
    assert!(why.contains("not a counsellor"), "{why}");
    let booked = json(&centre.ok(&["schedule", &case, "--at", &far, "--counsellor", "tuvan.lan"]));
    assert_eq!(booked["state"], "scheduled", "{booked}");
    let released = json(&centre.ok(&["release-due"]));
    assert_eq!(released["released"], serde_json::json!([]));
    let copy = path("counsellor.pdf");
    let why = centre.refused(&["open-report", &case, "--as", "tuvan.lan", "--out", &copy]);
    assert!(why.contains("three days before"), "{why}");

    // Step 7: moved to two days from now, so the report is released at once.
    let moved = json(&centre.ok(&[
        "schedule",
        &case,
        "--at",
        &in_days(2),
        "--counsellor",
        "tuvan.lan",
    ]));
    assert_eq!(moved["state"], "released_to_counsellor", "{moved}");
    assert_eq!(moved["appointment"]["version"], 2);
    let why = centre.refused(&["open-report", &case, "--as", "tuvan.ngan", "--out", &copy]);
    assert!(why.contains("another counsellor"), "{why}");
    centre.ok(&["open-report", &case, "--as", "tuvan.lan", "--out", &copy]);
    // The first booking rendered the report again, naming its counsellor
    // (the counsellor line and the watermark); the admin's copy of step 5
    // was made before anyone was booked and names nobody.
    assert_ne!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(path("admin.pdf")).unwrap()
    );
    if let (Some(counsellor_copy), Some(admin_copy)) = (
        pdf_text(Path::new(&copy)),
        pdf_text(Path::new(&path("admin.pdf"))),
    ) {
        assert!(
            counsellor_copy.contains("Counsellor: tuvan.lan"),
            "{counsellor_copy}"
        );
        assert!(!admin_copy.contains("tuvan.lan"), "{admin_copy}");
    }

    // Before the appointment the customer has their name corrected: the
    // report the counsellor studies is rendered again with it.
    let customer = json(&centre.ok(&["case", "show", &case]))["customer"]
        .as_str()
        .unwrap()
        .to_owned();
    let corrected = json(&centre.ok(&[
        "customer",
        "correct",
        &customer,
        "--full-name",
        "Phạm Thị Hoaxinh",
    ]));
    assert_eq!(corrected["corrected"], serde_json::json!(["full_name"]));
    assert_eq!(corrected["reports_to_render"], serde_json::json!([case]));
    let corrected_copy = path("corrected.pdf");
    centre.ok(&[
        "open-report",
        &case,
        "--as",
        "tuvan.lan",
        "--out",
        &corrected_copy,
    ]);
    assert_ne!(
        std::fs::read(&corrected_copy).unwrap(),
        std::fs::read(&copy).unwrap()
    );
    if let Some(text) = pdf_text(Path::new(&corrected_copy)) {
        assert!(
            text.contains("Hoaxinh") && text.contains("Counsellor: tuvan.lan"),
            "{text}"
        );
    }

    // Step 8: the hand-over.
    let why = centre.refused(&["deliver", &case, "--as", "tuvan.ngan"]);
    assert!(why.contains("another counsellor"), "{why}");
    let delivered = json(&centre.ok(&["deliver", &case, "--as", "tuvan.lan"]));
    assert_eq!(delivered["state"], "delivered", "{delivered}");
    let shown = json(&centre.ok(&["case", "show", &case]));
    assert_eq!(shown["state"], "delivered");
    assert_eq!(shown["appointment"]["counsellor_username"], "tuvan.lan");
    assert!(shown["appointment"]["delivered_at"].is_string(), "{shown}");
    let actions: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    for wanted in [
        "case.review",
        "appointment.book",
        "appointment.reschedule",
        "case.release",
        "report.open.refused",
        "report.deliver",
    ] {
        assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
    }
    let staff = centre.ok(&["staff", "list"]);
    assert_eq!(staff.lines().count(), 3, "{staff}");
    centre.ok(&["verify"]);
}

/// `vantay serve` running as a process, stopped when dropped.
struct Serving {
    child: std::process::Child,
    url: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Install {
    /// Starts `serve` on a free port; returns once it prints its address.
    fn serve(&self) -> Serving {
        use std::io::BufRead as _;
        let mut child = Command::new(env!("CARGO_BIN_EXE_vantay"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("VANTAY_DATA", self.data())
            .env("VANTAY_KEY_FILE", self.key())
            .env_remove("VANTAY_DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map(Result::unwrap)
            .find_map(|line| Some(line[line.find("https://")?..].trim().to_owned()));
        // Keep reading what it prints, so that it never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Serving {
            child,
            url: url.expect("serve printed its address"),
        }
    }
}

#[test]
fn https_round_trip_through_the_command_line() {
    if sd14().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (centre, lab, case) = sealed_case_between_two_installs(root);
    let sent = json(&centre.ok(&["dispatch", &case, "--to", "lab"]));
    assert_eq!(sent["waits_for_pull"], true, "{sent}");

    let server = centre.serve();
    let ca = root.join("centre/data/tls/ca.pem");
    let remote = [
        "--centre",
        "hanoi",
        "--url",
        server.url.as_str(),
        "--ca-cert",
        ca.to_str().unwrap(),
    ];
    // The wrong CA certificate: the connection is refused before anything is sent.
    let wrong_ca = root.join("wrong-ca.pem");
    std::fs::write(
        &wrong_ca,
        std::fs::read_to_string(root.join("centre/data/tls/server.pem"))
            .unwrap()
            .split_inclusive("-----END CERTIFICATE-----")
            .next()
            .unwrap(),
    )
    .unwrap();
    let mut wrong = remote;
    wrong[5] = wrong_ca.to_str().unwrap();
    let why = lab.refused(&[&["pull"][..], &wrong].concat());
    assert!(why.contains("cannot reach"), "{why}");

    let pulled = json(&lab.ok(&[&["pull"][..], &remote].concat()));
    assert_eq!(pulled["received"][0], sent["package"], "{pulled}");
    let id = sent["package"].as_str().unwrap();
    lab.review_where_an_analyst_is_needed(id);
    lab.ok(&["answer", id, "--auto"]);
    let pushed = json(&lab.ok(&[&["push"][..], &remote].concat()));
    assert_eq!(pushed["delivered"][0], sent["package"], "{pushed}");
    // The kept result can still be written out (e.g. for the records).
    let copy = root.join("copy.vtres");
    lab.ok(&["result", id, "--out", copy.to_str().unwrap()]);
    drop(server);

    let shown = centre.ok(&["case", "show", &case]);
    assert!(
        shown.contains("\"state\": \"analysed\"") && shown.contains("package.fetch"),
        "{shown}"
    );
    // Once accepted over HTTPS, the same result as a file is a replay.
    let why = centre.refused(&["import-result", copy.to_str().unwrap()]);
    assert!(why.contains("accepted once"), "{why}");
    centre.ok(&["verify"]);
}
