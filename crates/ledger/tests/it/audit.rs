//! The ledger half of `vantay verify`: an intact ledger has no problems;
//! altered, dropped or rolled-back entries and bad checkpoints are each
//! reported on their own line.

use ed25519_dalek::SigningKey;
use vantay_ledger::{
    leaf_hash, verify_ledger, Checkpoint, CheckpointSource, Event, Frontier, Hash, LedgerAudit,
    Problem, SignedCheckpoint,
};

const ORIGIN: &str = "vantay.example/centre-hanoi";

struct Ledger {
    key: SigningKey,
    entries: Vec<Vec<u8>>,
}

impl Ledger {
    fn new(count: u64) -> Ledger {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let entries = (0..count).map(|seq| event(seq).to_leaf_bytes()).collect();
        Ledger { key, entries }
    }

    fn checkpoint(&self, size: usize) -> SignedCheckpoint {
        let mut frontier = Frontier::new();
        frontier.extend(self.entries[..size].iter().map(|bytes| leaf_hash(bytes)));
        let checkpoint = Checkpoint {
            origin: ORIGIN.into(),
            size: size as u64,
            root: frontier.root(),
            time: 1_795_000_000_000 + size as i64,
        };
        SignedCheckpoint::sign(checkpoint, &self.key).unwrap()
    }

    fn verify(
        &self,
        stored: &[SignedCheckpoint],
        external: Option<&SignedCheckpoint>,
    ) -> Vec<Problem> {
        verify_ledger(
            &self.entries,
            &self.key.verifying_key(),
            ORIGIN,
            stored,
            external,
        )
    }
}

fn event(seq: u64) -> Event {
    Event {
        seq,
        at: 1_795_000_000_000 + seq as i64,
        actor: "staff:0193a4b2-0000-7000-8000-00000000002a".into(),
        action: if seq % 3 == 0 {
            "customer.read"
        } else {
            "customer.create"
        }
        .into(),
        object: format!("customer/0193a4b2-0000-7000-8000-{seq:012x}"),
        digests: vec![(
            format!("customers/{seq}/full_name/v1"),
            Hash::of(&seq.to_be_bytes()),
        )],
    }
}

fn lines(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn an_intact_ledger_has_no_problems() {
    let ledger = Ledger::new(100);
    let stored: Vec<_> = [0, 1, 37, 64, 100]
        .map(|size| ledger.checkpoint(size))
        .into();
    assert_eq!(
        lines(&ledger.verify(&stored, Some(&ledger.checkpoint(50)))),
        Vec::<String>::new()
    );

    // Streaming gives the events back and ends at the stored head.
    let mut audit = LedgerAudit::new(&ledger.key.verifying_key(), ORIGIN, &stored, None);
    for (seq, bytes) in ledger.entries.iter().enumerate() {
        assert_eq!(audit.push_entry(bytes), Some(event(seq as u64)));
    }
    assert_eq!(audit.frontier().root(), stored[4].unverified().root);
    assert!(audit.finish().is_empty());
}

#[test]
fn an_altered_entry_breaks_every_later_checkpoint() {
    let mut ledger = Ledger::new(100);
    let stored: Vec<_> = [30, 60, 100].map(|size| ledger.checkpoint(size)).into();
    let mut altered = event(40);
    altered.digests[0].1 = Hash::of(b"swapped ciphertext");
    ledger.entries[40] = altered.to_leaf_bytes();

    let problems = ledger.verify(&stored, None);
    assert_eq!(problems.len(), 2, "{:#?}", lines(&problems));
    for (problem, size) in problems.iter().zip([60, 100]) {
        assert!(matches!(problem, Problem::CheckpointRootMismatch { size: s, .. } if *s == size));
        assert!(
            problem.to_string().contains("entries were altered"),
            "{problem}"
        );
    }
}

#[test]
fn dropped_and_garbled_entries_are_named() {
    let mut ledger = Ledger::new(20);
    ledger.entries.remove(5);
    ledger.entries[10].truncate(12);
    let problems = ledger.verify(&[], None);
    assert_eq!(
        problems[0],
        Problem::EntryOutOfSequence { index: 5, seq: 6 }
    );
    assert!(problems
        .iter()
        .any(|p| matches!(p, Problem::EntryUnreadable { index: 10, .. })));
    // Entries 5..=18 now sit one place early: 13 out of sequence plus the
    // unreadable one, one line each.
    assert_eq!(problems.len(), 14, "{:#?}", lines(&problems));
}

#[test]
fn an_older_copy_fails_against_a_newer_external_checkpoint() {
    let ledger = Ledger::new(100);
    let kept_outside = SignedCheckpoint::parse(&ledger.checkpoint(100).to_text()).unwrap();
    let older = Ledger {
        key: ledger.key.clone(),
        entries: ledger.entries[..80].to_vec(),
    };
    let problems = older.verify(&[older.checkpoint(80)], Some(&kept_outside));
    assert_eq!(
        problems,
        vec![Problem::CheckpointBeyondLedger {
            source: CheckpointSource::External,
            size: 100,
            ledger_size: 80
        }]
    );
    let line = problems[0].to_string();
    assert!(
        line.contains("100") && line.contains("80") && line.contains("rollback"),
        "{line}"
    );
}

#[test]
fn a_rewritten_history_fails_against_an_older_external_checkpoint() {
    let ledger = Ledger::new(50);
    let kept_outside = ledger.checkpoint(30);
    // Someone with the signing key rewrote entry 10 and re-signed the head:
    // the stored checkpoint is fine, the one kept outside is not.
    let mut rewritten = Ledger {
        key: ledger.key.clone(),
        entries: ledger.entries.clone(),
    };
    let mut event = event(10);
    event.actor = "staff:someone-else".into();
    rewritten.entries[10] = event.to_leaf_bytes();
    let problems = rewritten.verify(&[rewritten.checkpoint(50)], Some(&kept_outside));
    assert_eq!(problems.len(), 1, "{:#?}", lines(&problems));
    let line = problems[0].to_string();
    assert!(line.starts_with("external checkpoint of size 30"), "{line}");
    assert!(line.contains("does not extend"), "{line}");
}

#[test]
fn untrusted_and_foreign_checkpoints_are_reported_not_used() {
    let ledger = Ledger::new(10);
    let stranger = Ledger::new(10);
    let forged = stranger.checkpoint(10);
    let foreign = {
        let mut checkpoint = ledger.checkpoint(10).unverified().clone();
        checkpoint.origin = "vantay.example/other-centre".into();
        SignedCheckpoint::sign(checkpoint, &ledger.key).unwrap()
    };
    let problems = ledger.verify(&[forged, foreign], None);
    assert_eq!(problems.len(), 2, "{:#?}", lines(&problems));
    assert!(matches!(
        problems[0],
        Problem::CheckpointUntrusted { size: 10, .. }
    ));
    assert!(matches!(
        problems[1],
        Problem::CheckpointOrigin { size: 10, .. }
    ));
    for line in lines(&problems) {
        assert!(!line.contains('\n'), "{line}");
    }
}
