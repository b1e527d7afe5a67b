//! Ledger entries: what happened, in a canonical encoding, with personal values only as
//! keyed HMACs.
//!
//! An entry records who (`actor`) did what (`action`) to which objects (request, subject,
//! decision ids) with what `outcome`, at what time. Personal values — a TIN, a name — never
//! appear: only `HMAC-SHA256(key, field ‖ 0x1F ‖ value)`, as HashiCorp Vault's audit devices
//! do, so an auditor holding the key can find every entry about a known TIN while the
//! ledger itself reveals nothing. The encoding is JSON with a fixed field order and sorted
//! maps; [`Entry::decode`] refuses any byte string that does not re-encode identically.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Format version written in every entry.
pub const VERSION: u32 = 1;

/// One event in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Encoding version.
    pub v: u32,
    /// Position in the ledger, from 0; equals the Merkle leaf index.
    pub seq: u64,
    /// Milliseconds since the Unix epoch, from the caller's clock.
    pub time_ms: i64,
    /// Who acted: a user or system identifier (never a taxpayer).
    pub actor: String,
    /// What happened (`request.received`, `gate.rejected`, `release.disclosed`, …).
    pub action: String,
    /// Object references by kind (`request`, `subject`, `decision`, `release`).
    pub objects: BTreeMap<String, String>,
    /// How it ended (`ok`, a reason code, …).
    pub outcome: String,
    /// Personal values as hex HMACs by field (`tin`, `name`).
    pub personal: BTreeMap<String, String>,
}

/// Why bytes are not an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON of the entry's shape (the message never quotes the bytes).
    #[error("not a ledger entry (line {line}, column {column})")]
    Shape {
        /// Line of the JSON error.
        line: usize,
        /// Column of the JSON error.
        column: usize,
    },
    /// Valid JSON but not the canonical encoding of its content.
    #[error("not in canonical form")]
    NotCanonical,
    /// A version this build does not read.
    #[error("entry version {0} is not supported")]
    Version(u32),
}

impl Entry {
    /// The canonical bytes of this entry: the leaf of the Merkle tree.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an entry of strings and integers always serialises")
    }

    /// Parses canonical bytes.
    pub fn decode(bytes: &[u8]) -> Result<Entry, DecodeError> {
        let entry: Entry = serde_json::from_slice(bytes).map_err(|e| DecodeError::Shape {
            line: e.line(),
            column: e.column(),
        })?;
        if entry.v != VERSION {
            return Err(DecodeError::Version(entry.v));
        }
        if entry.encode() != bytes {
            return Err(DecodeError::NotCanonical);
        }
        Ok(entry)
    }
}

/// The key personal values are HMACed with. Its `Debug` never shows it.
#[derive(Clone)]
pub struct PersonalKey(Vec<u8>);

impl PersonalKey {
    /// A key from its bytes (at least 32 recommended; read from a file or the environment).
    pub fn new(bytes: impl Into<Vec<u8>>) -> PersonalKey {
        PersonalKey(bytes.into())
    }

    /// The hex HMAC of `value` in `field`: what an entry stores and an auditor searches for.
    pub fn mac(&self, field: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes keys of any length");
        mac.update(field.as_bytes());
        mac.update(&[0x1f]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for PersonalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalKey([redacted])")
    }
}

/// An entry being written: everything but its sequence number, with personal values in
/// clear until [`Draft::seal`] replaces them by HMACs.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Who acted.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// Object references.
    pub objects: BTreeMap<String, String>,
    /// Outcome.
    pub outcome: String,
    /// Personal values in clear, by field; only their HMACs are written.
    pub personal: BTreeMap<String, String>,
}

impl Draft {
    /// The entry at position `seq`, time `time_ms`, personal values HMACed with `key`.
    pub fn seal(self, seq: u64, time_ms: i64, key: &PersonalKey) -> Entry {
        Entry {
            v: VERSION,
            seq,
            time_ms,
            actor: self.actor,
            action: self.action,
            objects: self.objects,
            outcome: self.outcome,
            personal: self
                .personal
                .iter()
                .map(|(f, v)| (f.clone(), key.mac(f, v)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn draft() -> Draft {
        Draft {
            actor: "reviewer:17".into(),
            action: "review.confirmed".into(),
            objects: [
                ("request".to_owned(), "R-1".to_owned()),
                ("subject".to_owned(), "S-9".to_owned()),
            ]
            .into(),
            outcome: "ok".into(),
            personal: [
                ("tin".to_owned(), "123456789".to_owned()),
                ("name".to_owned(), "ANA GARCIA".to_owned()),
            ]
            .into(),
        }
    }

    #[test]
    fn personal_values_are_stored_only_as_hmacs_an_auditor_can_reproduce() {
        let key = PersonalKey::new(*b"0123456789abcdef0123456789abcdef");
        let e = draft().seal(7, 1_700_000_000_000, &key);
        let bytes = String::from_utf8(e.encode()).unwrap();
        assert!(
            !bytes.contains("123456789\"") && !bytes.contains("GARCIA"),
            "{bytes}"
        );
        assert_eq!(e.personal["tin"], key.mac("tin", "123456789"));
        assert_ne!(
            e.personal["tin"],
            PersonalKey::new(*b"another key").mac("tin", "123456789")
        );
        assert_ne!(
            key.mac("tin", "123456789"),
            key.mac("name", "123456789"),
            "field is bound"
        );
        assert!(!format!("{key:?}").contains("0123"));
    }

    #[test]
    fn encoding_is_canonical_and_round_trips() {
        let e = draft().seal(7, 1_700_000_000_000, &PersonalKey::new(b"k".to_vec()));
        let bytes = e.encode();
        assert_eq!(Entry::decode(&bytes).unwrap(), e);
        let spaced = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen(':', ": ", 1);
        assert_eq!(
            Entry::decode(spaced.as_bytes()),
            Err(DecodeError::NotCanonical)
        );
        let extra = String::from_utf8(bytes)
            .unwrap()
            .replacen('{', "{\"x\":1,", 1);
        assert!(matches!(
            Entry::decode(extra.as_bytes()),
            Err(DecodeError::Shape { .. })
        ));
        let mut v2 = e.clone();
        v2.v = 2;
        assert_eq!(Entry::decode(&v2.encode()), Err(DecodeError::Version(2)));
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Entry::decode(&bytes);
        }
    }
}
