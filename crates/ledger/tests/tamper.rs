//! Tampering with a stored ledger is detected, and the first bad entry named exactly.
//! covers: RELIABILITY.md A4 (T0: 100 mutations of a 10,000-entry ledger), A6 (canaries).

use crosscheck_ledger::checkpoint::{Checkpoint, Ed25519Signer, Signer};
use crosscheck_ledger::entry::{Draft, Entry, PersonalKey};
use crosscheck_ledger::ledger::{Ledger, Stored, Tamper, verify};
use crosscheck_ledger::merkle::{leaf_hash, verify_inclusion};

const ENTRIES: u64 = 10_000;
const EVERY: u64 = 1_000;

fn draft(i: u64) -> Draft {
    Draft {
        actor: format!("system:{}", i % 7),
        action: [
            "request.received",
            "gate.passed",
            "match.review",
            "review.confirmed",
        ][i as usize % 4]
            .into(),
        objects: [("request".to_owned(), format!("R-{}", i / 10))].into(),
        outcome: "ok".into(),
        personal: [("tin".to_owned(), format!("{:09}", 100_000_000 + i))].into(),
    }
}

/// A ledger of 10,000 entries with a checkpoint every 1,000 (the last one at the end), and
/// the head an auditor retained.
fn ledger() -> (Ledger, Checkpoint) {
    let mut l = Ledger::new(
        Box::new(Ed25519Signer::from_seed([7; 32])),
        PersonalKey::new(*b"personal-data-key-for-tests-only"),
    );
    for i in 0..ENTRIES {
        l.append(draft(i), 1_700_000_000_000 + i as i64);
        if (i + 1) % EVERY == 0 {
            l.checkpoint(1_700_000_000_000 + i as i64);
        }
    }
    let head = l
        .checkpoints()
        .last()
        .cloned()
        .expect("checkpoints were issued");
    (l, head)
}

/// SplitMix64, seeded: the campaign is the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A valid, canonical entry that says something else than entry `i` did.
fn forged(stored: &Stored) -> Vec<u8> {
    let mut e = Entry::decode(&stored.bytes).unwrap();
    e.outcome = "released".into();
    e.encode()
}

#[test]
fn a_clean_ledger_verifies_and_proofs_check_out() {
    let (l, head) = ledger();
    let key = l.public_key();
    for _ in 0..3 {
        let v = verify(l.entries(), l.checkpoints(), Some(&head), &key).expect("no false alarm");
        assert_eq!(v.entries, ENTRIES);
    }
    // An entry's inclusion under the retained head, checked with hashes only.
    let root: [u8; 32] = head.root_hash().unwrap();
    let proof = l.inclusion_proof(4321, head.size).unwrap();
    assert!(verify_inclusion(
        &leaf_hash(&l.entries()[4321].bytes),
        4321,
        head.size,
        &proof,
        &root
    ));
}

#[test]
fn one_hundred_random_mutations_are_all_detected() {
    let (l, head) = ledger();
    let key = l.public_key();
    let foreign = Ed25519Signer::from_seed([9; 32]);
    let mut rng = Rng(2026);
    let mut detected = 0;
    for round in 0..100 {
        let mut entries = l.entries().to_vec();
        let mut checkpoints = l.checkpoints().to_vec();
        let i = rng.below(ENTRIES);
        // (what was done, the verdict expected)
        let kind = rng.below(8);
        let expected: Box<dyn Fn(&Tamper) -> bool> = match kind {
            0 => {
                // Flip one byte anywhere in the entry.
                let b = rng.below(entries[i as usize].bytes.len() as u64) as usize;
                entries[i as usize].bytes[b] ^= 1 << rng.below(8);
                Box::new(move |t| {
                    *t == Tamper::Entry {
                        index: i,
                        reason: t_reason(t),
                    }
                })
            }
            1 => {
                // A plausible edit: canonical, same sequence number, original receipt.
                entries[i as usize].bytes = forged(&entries[i as usize]);
                Box::new(move |t| matches!(t, Tamper::Entry { index, .. } if *index == i))
            }
            2 => {
                // The same edit with a receipt signed by another key.
                entries[i as usize].bytes = forged(&entries[i as usize]);
                let leaf = leaf_hash(&entries[i as usize].bytes);
                entries[i as usize].receipt =
                    foreign.sign(&crosscheck_ledger::checkpoint::receipt_message(i, &leaf));
                Box::new(move |t| matches!(t, Tamper::Entry { index, .. } if *index == i))
            }
            3 => {
                entries.remove(i as usize);
                if i == ENTRIES - 1 {
                    Box::new(|t| matches!(t, Tamper::Truncated { .. }))
                } else {
                    Box::new(move |t| matches!(t, Tamper::Entry { index, .. } if *index == i))
                }
            }
            4 => {
                let j = (i + 1 + rng.below(ENTRIES - 1)) % ENTRIES;
                entries.swap(i as usize, j as usize);
                let first = i.min(j);
                Box::new(move |t| matches!(t, Tamper::Entry { index, .. } if *index == first))
            }
            5 => {
                // Insert a forged entry claiming position i.
                let fake = Stored {
                    bytes: forged(&entries[i as usize]),
                    receipt: entries[i as usize].receipt,
                };
                entries.insert(i as usize, fake);
                Box::new(move |t| matches!(t, Tamper::Entry { index, .. } if *index == i))
            }
            6 => {
                // Cut the tail, or roll back to an older copy (entries and checkpoints).
                let keep = rng.below(ENTRIES) as usize;
                entries.truncate(keep);
                if rng.below(2) == 0 {
                    checkpoints.retain(|c| c.size <= keep as u64);
                }
                Box::new(|t| matches!(t, Tamper::Truncated { .. }))
            }
            _ => {
                // A checkpoint re-signed with a foreign key.
                let j = rng.below(checkpoints.len() as u64) as usize;
                let c = &checkpoints[j];
                checkpoints[j] =
                    Checkpoint::sign(c.size, &c.root_hash().unwrap(), c.time_ms, &foreign);
                Box::new(
                    move |t| matches!(t, Tamper::Checkpoint { index, reason } if *index == j && reason.contains("signature")),
                )
            }
        };
        let verdict = verify(&entries, &checkpoints, Some(&head), &key);
        let Err(t) = verdict else {
            panic!("round {round}: mutation not detected")
        };
        assert!(
            expected(&t),
            "round {round}: mutation {kind} at {i}: wrong verdict {t}"
        );
        detected += 1;
    }
    assert_eq!(detected, 100);
}

/// A byte flip may break the JSON (reason: not canonical) or keep it valid (reason:
/// sequence or receipt); either way the index must be exact.
fn t_reason(t: &Tamper) -> &'static str {
    match t {
        Tamper::Entry { reason, .. } => reason,
        _ => "",
    }
}

#[test]
fn canaries_in_personal_fields_never_appear_in_the_ledger_or_its_errors() {
    let mut l = Ledger::new(
        Box::new(Ed25519Signer::from_seed([3; 32])),
        PersonalKey::new(b"k".to_vec()),
    );
    let canaries: Vec<String> = (0..100).map(|i| format!("CANARY{i:04}QX")).collect();
    for (i, c) in canaries.iter().enumerate() {
        let mut d = draft(i as u64);
        d.personal = [
            ("tin".to_owned(), c.clone()),
            ("name".to_owned(), format!("{c} NAME")),
        ]
        .into();
        l.append(d, i as i64);
    }
    l.checkpoint(100);
    let mut text = String::new();
    for e in l.entries() {
        text.push_str(&String::from_utf8_lossy(&e.bytes));
    }
    text.push_str(&serde_json::to_string(l.checkpoints()).unwrap());
    // Errors from a tampered copy, too.
    let mut entries = l.entries().to_vec();
    entries[50].bytes[10] ^= 4;
    text.push_str(
        &verify(&entries, l.checkpoints(), None, &l.public_key())
            .unwrap_err()
            .to_string(),
    );
    for c in &canaries {
        assert!(!text.contains(c.as_str()), "{c} leaked");
    }
}
