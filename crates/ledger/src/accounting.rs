//! The accounting of disclosures (26 U.S.C. § 6103(p)(3)): everything concerning one
//! taxpayer, and per-agency, per-year totals.
//!
//! The gateway writes entries with the actions and object keys named here; this module only
//! reads them. A taxpayer is found through the HMAC of their TIN, so the ledger never needs
//! to hold the TIN itself.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::entry::{Entry, PersonalKey};

/// Action of an entry recording a request's arrival.
pub const REQUEST_RECEIVED: &str = "request.received";
/// Action of an entry recording a disclosure (a release of taxpayer information).
pub const DISCLOSURE: &str = "release.disclosed";
/// Object key naming the requesting agency.
pub const AGENCY: &str = "agency";
/// Object key naming the subject (one person in a request).
pub const SUBJECT: &str = "subject";
/// Object key naming the statute cited as purpose.
pub const STATUTE: &str = "statute";
/// Personal field holding the taxpayer's TIN (as an HMAC).
pub const TIN: &str = "tin";

/// Entries concerning the taxpayer with `tin` (nine digits), in ledger order.
pub fn for_taxpayer<'a>(entries: &'a [Entry], key: &PersonalKey, tin: &str) -> Vec<&'a Entry> {
    let mac = key.mac(TIN, tin);
    entries
        .iter()
        .filter(|e| e.personal.get(TIN) == Some(&mac))
        .collect()
}

/// Totals for one agency in one calendar year (UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Requests received.
    pub requests: u64,
    /// Distinct subjects named in any entry.
    pub subjects: u64,
    /// Disclosures made.
    pub disclosures: u64,
    /// Distinct taxpayers disclosed about.
    pub taxpayers: u64,
    /// Statutes cited, with how many requests cited each.
    pub purposes: BTreeMap<String, u64>,
}

/// The calendar year (UTC) of a time in milliseconds since the Unix epoch.
pub fn year_of(time_ms: i64) -> i32 {
    // Days since 1970-01-01, then Howard Hinnant's civil-from-days for the year.
    let z = time_ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    (yoe + era * 400 + i64::from(mp >= 10)) as i32
}

/// Per agency, per year totals (entries without an agency are counted under `(none)`).
pub fn per_agency_year(entries: &[Entry]) -> BTreeMap<(String, i32), Totals> {
    let mut subjects: BTreeMap<(String, i32), BTreeSet<&str>> = BTreeMap::new();
    let mut taxpayers: BTreeMap<(String, i32), BTreeSet<&str>> = BTreeMap::new();
    let mut out: BTreeMap<(String, i32), Totals> = BTreeMap::new();
    for e in entries {
        let agency = e
            .objects
            .get(AGENCY)
            .cloned()
            .unwrap_or_else(|| "(none)".to_owned());
        let k = (agency, year_of(e.time_ms));
        let t = out.entry(k.clone()).or_default();
        if e.action == REQUEST_RECEIVED {
            t.requests += 1;
            if let Some(s) = e.objects.get(STATUTE) {
                *t.purposes.entry(s.clone()).or_default() += 1;
            }
        }
        if e.action == DISCLOSURE {
            t.disclosures += 1;
            if let Some(m) = e.personal.get(TIN) {
                taxpayers.entry(k.clone()).or_default().insert(m);
            }
        }
        if let Some(s) = e.objects.get(SUBJECT) {
            subjects.entry(k).or_default().insert(s);
        }
    }
    for (k, t) in &mut out {
        t.subjects = subjects.get(k).map_or(0, |s| s.len() as u64);
        t.taxpayers = taxpayers.get(k).map_or(0, |s| s.len() as u64);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Draft;

    fn e(
        seq: u64,
        time_ms: i64,
        action: &str,
        agency: &str,
        subject: &str,
        tin: Option<&str>,
        key: &PersonalKey,
    ) -> Entry {
        Draft {
            actor: "gateway".into(),
            action: action.into(),
            objects: [
                (AGENCY.to_owned(), agency.to_owned()),
                (SUBJECT.to_owned(), subject.to_owned()),
                (STATUTE.to_owned(), "8 USC 1253".to_owned()),
            ]
            .into(),
            outcome: "ok".into(),
            personal: tin
                .map(|t| [(TIN.to_owned(), t.to_owned())].into())
                .unwrap_or_default(),
        }
        .seal(seq, time_ms, key)
    }

    #[test]
    fn years_are_calendar_years_in_utc() {
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(1_704_067_199_999), 2023); // 2023-12-31T23:59:59.999Z
        assert_eq!(year_of(1_704_067_200_000), 2024);
        assert_eq!(year_of(-1), 1969);
    }

    #[test]
    fn accounting_finds_a_taxpayer_by_tin_and_totals_per_agency_and_year() {
        let key = PersonalKey::new(b"audit key".to_vec());
        let y2025 = 1_750_000_000_000; // mid-2025
        let y2026 = 1_780_000_000_000; // mid-2026
        let entries = vec![
            e(0, y2025, REQUEST_RECEIVED, "ICE", "S-1", None, &key),
            e(1, y2025, DISCLOSURE, "ICE", "S-1", Some("123456789"), &key),
            e(2, y2025, REQUEST_RECEIVED, "ICE", "S-2", None, &key),
            e(3, y2025, DISCLOSURE, "ICE", "S-2", Some("987654321"), &key),
            e(4, y2026, REQUEST_RECEIVED, "FBI", "S-3", None, &key),
            e(5, y2026, DISCLOSURE, "FBI", "S-3", Some("123456789"), &key),
        ];
        let about = for_taxpayer(&entries, &key, "123456789");
        assert_eq!(about.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 5]);
        assert!(
            for_taxpayer(&entries, &PersonalKey::new(b"other".to_vec()), "123456789").is_empty()
        );
        let totals = per_agency_year(&entries);
        let ice = &totals[&("ICE".to_owned(), 2025)];
        assert_eq!(
            (ice.requests, ice.subjects, ice.disclosures, ice.taxpayers),
            (2, 2, 2, 2)
        );
        assert_eq!(ice.purposes["8 USC 1253"], 2);
        let fbi = &totals[&("FBI".to_owned(), 2026)];
        assert_eq!((fbi.requests, fbi.disclosures, fbi.taxpayers), (1, 1, 1));
    }
}
