//! The whole key life of a centre through the public API, on real files:
//! `init` (key file, keyring, centre keys, recovery shares), a customer's
//! prints sealed as blobs, key rotation, recovery from shares, erasure, and
//! a work package to the analysis centre and its result back.
//!
//! Uses real NIST SD14 prints from `../shared/data` when present (skips those
//! parts with a printed reason otherwise).

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use uuid::Uuid;
use vantay_vault::{
    combine, open_blob, open_package, parse_shares, seal_blob, seal_package, split, Aad,
    CentreKeys, Domain, Keyring, KeyringError, MasterKey, OpenError, PackageError, PackageHeader,
    SealingKey,
};

fn nist_prints(count: usize) -> Option<Vec<(String, Vec<u8>)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sd14-dev");
    if !dir.is_dir() {
        eprintln!("skipping the NIST part: {} is absent", dir.display());
        return None;
    }
    let prints = (24301..)
        .take(count)
        .map(|n| {
            let name = format!("s00{n}.wsq");
            let bytes = std::fs::read(dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, bytes)
        })
        .collect();
    Some(prints)
}

fn synthetic_print() -> Vec<(String, Vec<u8>)> {
    vec![(
        "synthetic.raw".into(),
        (0..40_000u32).map(|i| (i * 7 % 256) as u8).collect(),
    )]
}

fn key_file(dir: &Path) -> PathBuf {
    dir.join("config/vantay/master.key")
}

#[test]
fn centre_key_life() {
    let home = tempfile::tempdir().unwrap();
    // init: master key in a file outside the data dir, keyring rows and
    // centre keys "in the database", three of five recovery shares.
    let master = MasterKey::generate();
    master.write_new_file(&key_file(home.path())).unwrap();
    let (ring, mut rows) = Keyring::create(&master);
    let centre_keys = CentreKeys::generate("centre-hanoi").unwrap().wrap(&ring);
    let share_lines: Vec<String> = split(&master, 3, 5)
        .unwrap()
        .iter()
        .map(|s| s.to_text().to_string())
        .collect();
    drop(master);

    // A customer with ten prints sealed under their data key.
    let customer = Uuid::new_v4();
    let (data_key, wrapped_data_key) = ring.new_data_key(customer).unwrap();
    let prints = nist_prints(10).unwrap_or_else(synthetic_print);
    let sealed: Vec<(Uuid, Vec<u8>)> = prints
        .iter()
        .map(|(_, bytes)| {
            let record = Uuid::new_v4();
            (
                record,
                seal_blob(&data_key, &place(customer, record, &data_key), bytes),
            )
        })
        .collect();
    drop(data_key);

    // rotate-keys: new versions for new writes, the data key re-wrapped.
    let mut ring = Keyring::open(
        &MasterKey::read_file(&key_file(home.path())).unwrap(),
        &rows,
    )
    .unwrap();
    rows.push(ring.rotate(Domain::PersonalData).unwrap());
    let wrapped_data_key = ring.rewrap_data_key(customer, &wrapped_data_key).unwrap();

    // The key file is lost: recover from shares 2, 4 and 5.
    let chosen: Vec<&str> = [1, 3, 4].iter().map(|&i| share_lines[i].as_str()).collect();
    let recovered = combine(&parse_shares(chosen).unwrap()).unwrap();
    let ring = Keyring::open(&recovered, &rows).unwrap();
    let centre = CentreKeys::unwrap(&ring, &centre_keys).unwrap();
    let data_key = ring.open_data_key(customer, &wrapped_data_key).unwrap();
    for ((_, original), (record, blob)) in prints.iter().zip(&sealed) {
        let opened = open_blob(&data_key, &place(customer, *record, &data_key), blob).unwrap();
        assert_eq!(opened.as_slice(), original.as_slice());
    }
    // A print moved to another record does not open.
    let moved = open_blob(
        &data_key,
        &place(customer, sealed[1].0, &data_key),
        &sealed[0].1,
    );
    assert_eq!(moved.unwrap_err(), OpenError::NotAuthentic);

    exchange_with_lab(&centre, &prints[0].1);

    // Erasure: the wrapped data key is deleted; nothing opens it any more, and
    // a data key of another customer cannot stand in for it.
    drop(data_key);
    drop(wrapped_data_key);
    let (imposter, _) = ring.new_data_key(Uuid::new_v4()).unwrap();
    let (record, blob) = &sealed[0];
    assert!(open_blob(&imposter, &place(customer, *record, &imposter), blob).is_err());
    assert!(matches!(
        Keyring::open(&MasterKey::generate(), &rows),
        Err(KeyringError::WrongMasterKey { .. })
    ));
}

fn place(customer: Uuid, record: Uuid, key: &impl SealingKey) -> Aad<'static> {
    Aad {
        table: "images",
        field: "print",
        customer,
        record,
        version: 1,
        key_id: key.id(),
    }
}

fn exchange_with_lab(centre: &CentreKeys, print: &[u8]) {
    let lab = CentreKeys::generate("lab-saigon").unwrap();
    // Each side pins the other's line, read back from text.
    let lab_pinned = vantay_vault::PublicIdentity::parse(&lab.public().to_line()).unwrap();
    let centre_pinned = vantay_vault::PublicIdentity::parse(&centre.public().to_line()).unwrap();
    let now = Utc::now();
    let header = PackageHeader::work(
        &centre.public(),
        &lab_pinned,
        "VT-0001",
        now,
        Duration::days(14),
    );
    let package = seal_package(&header, print, centre, &lab_pinned).unwrap();
    let work = open_package(&package, &lab, std::slice::from_ref(&centre_pinned), now).unwrap();
    assert_eq!(work.payload(), print);

    let reply = PackageHeader::result_for(work.header(), now, Duration::days(7));
    let result = seal_package(&reply, b"{\"class\":\"W\"}", &lab, &centre_pinned).unwrap();
    let back = open_package(&result, centre, std::slice::from_ref(&lab_pinned), now).unwrap();
    assert_eq!(back.header().answers, Some(header.id));
    // The work package itself is no result for the centre: it is not addressed to it.
    assert!(matches!(
        open_package(&package, centre, &[lab_pinned], now),
        Err(PackageError::NotForMe { .. })
    ));
}
