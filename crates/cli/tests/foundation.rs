//! The `vantay` binary end to end on the embedded defaults: init, intake
//! (directory and .zip), seal, verify, checkpoint, export, erase, recover.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{sd14, FINGERS};

struct Centre {
    dir: tempfile::TempDir,
}

impl Centre {
    fn new() -> Centre {
        Centre {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("keys").join("master.key")
    }

    fn vantay(&self, args: &[&str]) -> Output {
        common::vantay(&self.data(), &self.key(), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        common::succeeded(self.vantay(args), &format!("vantay {args:?}"))
    }
}

/// A bundle directory with ten real SD14 prints.
fn bundle(root: &Path, name: &str, manifest: serde_json::Value) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let data = sd14().unwrap();
    for (i, finger) in FINGERS.iter().enumerate() {
        std::fs::copy(
            data.join(format!("s00243{:02}.wsq", i + 11)),
            dir.join(format!("{finger}.wsq")),
        )
        .unwrap();
    }
    std::fs::write(dir.join("capture.json"), manifest.to_string()).unwrap();
    dir
}

fn manifest() -> serde_json::Value {
    serde_json::json!({
        "customer": { "full_name": "Lê Thị Ánh Tuyết", "date_of_birth": "1990-05-01", "sex": "F",
                      "phone": "0912 345 678" },
        "consent": { "analysis": true, "text_version": "2026-01", "signed_by": ["customer"],
                     "signed_at": "2026-11-28T09:30:00+07:00" },
        "prints": FINGERS.iter().map(|f| (f.to_string(), serde_json::Value::from(format!("{f}.wsq")))).collect::<serde_json::Map<_, _>>(),
        "device": { "model": "Futronic FS88", "dpi": 500 }
    })
}

fn receipt(stdout: &str) -> (String, String) {
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    (
        json["case"].as_str().unwrap().to_owned(),
        json["customer"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn a_case_goes_from_bundle_to_sealed_and_verifies() {
    if sd14().is_none() {
        return;
    }
    let centre = Centre::new();
    let init = centre.ok(&["init", "--name", "test-centre"]);
    assert!(init.contains("one-time password"), "{init}");
    let mode = std::fs::metadata(centre.key()).unwrap();
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    let dir = bundle(centre.dir.path(), "bundle", manifest());
    let (case, _customer) = receipt(&centre.ok(&["intake", dir.to_str().unwrap()]));
    let sealed = centre.ok(&["case", "seal", &case]);
    assert!(sealed.contains("\"state\":\"sealed\""), "{sealed}");
    let shown = centre.ok(&["case", "show", &case]);
    assert!(
        shown.contains("case.seal") && !shown.contains("Tuyết"),
        "case show carries no personal data: {shown}"
    );

    let checkpoint = centre.dir.path().join("outside.txt");
    std::fs::write(&checkpoint, centre.ok(&["checkpoint"])).unwrap();
    centre.ok(&["verify", "--checkpoint", checkpoint.to_str().unwrap()]);
}

#[test]
fn a_zipped_bundle_is_taken_too() {
    if sd14().is_none() {
        return;
    }
    let centre = Centre::new();
    centre.ok(&["init"]);
    let dir = bundle(centre.dir.path(), "zipped", manifest());
    let zip_path = centre.dir.path().join("bundle.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = format!(
            "capture-0001/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, &std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let (case, _) = receipt(&centre.ok(&["intake", zip_path.to_str().unwrap()]));
    assert_eq!(case.len(), 36);
}

#[test]
fn a_bad_bundle_is_refused_with_every_problem_and_nothing_is_stored() {
    if sd14().is_none() {
        return;
    }
    let centre = Centre::new();
    centre.ok(&["init"]);
    let mut bad = manifest();
    bad["customer"]["phone"] = "12".into();
    bad["prints"].as_object_mut().unwrap().remove("L2");
    bad["prints"]["R4"] = "R4.pgm".into();
    let dir = bundle(centre.dir.path(), "bad", bad);
    std::fs::write(dir.join("R3.wsq"), b"not an image at all").unwrap();
    // A scan of the empty glass: a well-formed image with no ridges on it.
    let mut blank = b"P5\n600 600\n255\n".to_vec();
    blank.resize(blank.len() + 600 * 600, 250);
    std::fs::write(dir.join("R4.pgm"), blank).unwrap();
    let out = centre.vantay(&["intake", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "customer.phone",
        "prints.L2",
        "prints.R3",
        "R3.wsq",
        "prints.R4",
        "no fingerprint found",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected} in:\n{stderr}"
        );
    }
    assert_eq!(centre.ok(&["case", "list"]), "", "nothing was stored");
    assert!(
        !centre.data().join("blobs").exists()
            || std::fs::read_dir(centre.data().join("blobs"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn a_customer_is_found_and_corrected_from_the_command_line() {
    if sd14().is_none() {
        return;
    }
    let centre = Centre::new();
    centre.ok(&["init"]);
    let dir = bundle(centre.dir.path(), "bundle", manifest());
    let (case, customer) = receipt(&centre.ok(&["intake", dir.to_str().unwrap()]));

    let found = centre.ok(&["customer", "find", "--phone", "+84 912 345 678"]);
    let line: serde_json::Value = serde_json::from_str(found.trim()).unwrap();
    assert_eq!(line["customer"], customer.as_str());
    assert_eq!(line["cases"][0]["case"], case.as_str());
    assert!(
        !found.contains("Tuyết"),
        "a look-up decrypts nothing: {found}"
    );
    let by_name = centre.ok(&["customer", "find", "--name", "le thi anh tuyet"]);
    assert_eq!(by_name, found);

    let corrected = centre.ok(&[
        "customer",
        "correct",
        &customer,
        "--phone",
        "0987 000 111",
        "--date-of-birth",
        "1990-05-02",
    ]);
    let receipt_json: serde_json::Value = serde_json::from_str(corrected.trim()).unwrap();
    assert_eq!(
        receipt_json["corrected"],
        serde_json::json!(["date_of_birth", "phone"])
    );
    assert_eq!(
        centre.ok(&["customer", "find", "--phone", "0912 345 678"]),
        "",
        "the old number finds no one"
    );
    let export_path = centre.dir.path().join("copy.json");
    centre.ok(&["export", &customer, "--out", export_path.to_str().unwrap()]);
    let export = std::fs::read_to_string(&export_path).unwrap();
    assert!(export.contains("+84987000111") && export.contains("1990-05-02"));

    // A bad correction names what is wrong and changes nothing.
    let out = centre.vantay(&[
        "customer",
        "correct",
        &customer,
        "--date-of-birth",
        "2999-01-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("customer.date_of_birth") && stderr.contains("in the future"),
        "{stderr}"
    );
    let out = centre.vantay(&["customer", "find"]);
    assert_eq!(out.status.code(), Some(2), "--phone or --name is needed");
    // The customer may ask who touched their data: the look-ups, the
    // correction and the copy are each there, with who and when.
    let history = centre.ok(&["customer", "history", &customer]);
    let actions: Vec<String> = history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["action"].to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "\"customer.find\"",
            "\"customer.find\"",
            "\"customer.correct\"",
            "\"customer.export\""
        ],
        "{history}"
    );
    centre.ok(&["verify"]);
}

#[test]
fn tampering_makes_verify_fail_and_erasure_keeps_it_passing() {
    if sd14().is_none() {
        return;
    }
    let centre = Centre::new();
    centre.ok(&["init"]);
    let dir = bundle(centre.dir.path(), "bundle", manifest());
    let (_, customer) = receipt(&centre.ok(&["intake", dir.to_str().unwrap()]));
    let (_, erased) = receipt(&centre.ok(&["intake", dir.to_str().unwrap()]));

    let export_path = centre.dir.path().join("copy.json");
    centre.ok(&["export", &customer, "--out", export_path.to_str().unwrap()]);
    let export = std::fs::read_to_string(&export_path).unwrap();
    assert!(export.contains("Lê Thị Ánh Tuyết") && export.contains("+84912345678"));

    let certificate = centre.ok(&["erase", &erased]);
    assert!(
        certificate.contains("vantay-erasure-certificate-v1") && certificate.contains("signature")
    );
    let refused = centre.vantay(&["export", &erased, "--out", "/dev/null"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("was erased on"));
    centre.ok(&["verify"]);

    // Erasure leaves empty shard folders: take the first folder with a blob.
    let blob = std::fs::read_dir(centre.data().join("blobs"))
        .unwrap()
        .filter_map(|shard| std::fs::read_dir(shard.unwrap().path()).unwrap().next())
        .next()
        .expect("the kept customer's blobs remain")
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[64] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let out = centre.vantay(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let lines = String::from_utf8(out.stdout).unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(
        lines.contains(blob.file_name().unwrap().to_str().unwrap()),
        "{lines}"
    );
}

#[test]
fn the_key_file_is_rebuilt_from_recovery_shares() {
    let centre = Centre::new();
    let init = centre.ok(&["init", "--shares", "2/3"]);
    let shares: Vec<&str> = init
        .lines()
        .filter(|l| l.starts_with("vantay-share-"))
        .collect();
    assert_eq!(shares.len(), 3, "{init}");
    std::fs::remove_file(centre.key()).unwrap();
    let shares_file = centre.dir.path().join("two-shares.txt");
    std::fs::write(&shares_file, format!("{}\n{}\n", shares[0], shares[2])).unwrap();
    centre.ok(&["recover", "--shares-file", shares_file.to_str().unwrap()]);
    centre.ok(&["rotate-keys"]);
    centre.ok(&["verify"]);

    std::fs::write(&shares_file, format!("{}\n", shares[1])).unwrap();
    std::fs::remove_file(centre.key()).unwrap();
    let out = centre.vantay(&["recover", "--shares-file", shares_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "one share is not enough");
    assert!(!centre.key().exists());
}

#[test]
fn a_key_file_inside_the_data_directory_is_refused() {
    let centre = Centre::new();
    let inside = centre.data().join("master.key");
    let out = Command::new(env!("CARGO_BIN_EXE_vantay"))
        .args([
            "--data",
            centre.data().to_str().unwrap(),
            "--key-file",
            inside.to_str().unwrap(),
            "init",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the data directory"));
    assert!(!inside.exists());
}
