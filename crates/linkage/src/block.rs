//! Blocking: which taxpayers are worth comparing with a subject at all?
//!
//! Several keys are unioned, so one distorted field never hides a person: TIN; phonetic
//! family name (any surname, or a given name in case of a swap) with birth year, and with
//! birth month and day (a mistyped year); given name
//! (or its nickname group) with full date of birth; family name with ZIP; house number,
//! street and ZIP; phonetic family with phonetic given name. A key shared by more than
//! [`MAX_BLOCK`] taxpayers (a common name with no other field) is skipped for that subject:
//! such a key alone could never support an automatic match, and other keys still apply.

use std::hash::{Hash, Hasher};

use crosscheck_contract::Date;

use crate::compare::Prepared;
use crate::equivalence;
use crate::normalise::{Address, Name};

/// Largest block a subject is compared against in full.
pub const MAX_BLOCK: usize = 2_000;

/// Up to this many candidates a subject is compared with all of them; beyond it, with the
/// members of its most selective blocks and with taxpayers found by two or more keys (see
/// [`crate::index::Index::candidates`]).
pub const FEW_CANDIDATES: usize = 64;

/// Beyond [`FEW_CANDIDATES`], a subject's smallest blocks are still compared in full while
/// their sizes add up to at most this many: a key that few taxpayers share (one house, one
/// full date of birth) is selective on its own.
pub const SELECTIVE_BLOCKS: usize = 16;

/// A subject's smallest block is compared in full up to this size even when it alone exceeds
/// [`FEW_CANDIDATES`]: a subject with one usable key (a name and nothing that agrees) would
/// otherwise have no candidate at all.
pub const SOLE_BLOCK: usize = 256;

/// American Soundex of a folded name (`ROBERT` → `R163`), enough to survive a typo.
pub fn soundex(s: &str) -> String {
    let code = |c: char| match c {
        'B' | 'F' | 'P' | 'V' => '1',
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => '2',
        'D' | 'T' => '3',
        'L' => '4',
        'M' | 'N' => '5',
        'R' => '6',
        'H' | 'W' => '-',
        _ => '0',
    };
    let mut chars = s.chars().filter(char::is_ascii_alphabetic);
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out = String::from(first);
    let mut last = code(first);
    for c in chars {
        let d = code(c);
        if d == '-' {
            continue;
        }
        if d != '0' && d != last {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        last = d;
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

fn key(tag: u8, parts: &[&str]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    tag.hash(&mut h);
    parts.hash(&mut h);
    h.finish()
}

/// Keys a person is filed (or looked up) under: the union over every combination of their
/// names, dates of birth and addresses, each key computed once.
pub fn person_keys(
    names: &[&Name],
    dobs: &[Date],
    addresses: &[&Address],
    tins: &[&str],
    out: &mut Vec<u64>,
) {
    for t in tins {
        out.push(key(0, &[t]));
    }
    let mut years: Vec<String> = dobs.iter().map(|d| d.year().to_string()).collect();
    years.sort_unstable();
    years.dedup();
    let days: Vec<String> = dobs.iter().map(|d| d.to_string()).collect();
    // Month and day without the year: a mistyped year digit (1951 for 1954) leaves them
    // intact, and with the family name they still pick out few people.
    let mut month_days: Vec<String> = dobs
        .iter()
        .map(|d| format!("{:02}{:02}", d.month(), d.day()))
        .collect();
    month_days.sort_unstable();
    month_days.dedup();
    let zips: Vec<&str> = addresses.iter().filter_map(|a| a.zip.as_deref()).collect();
    for name in names {
        let given_sx = name.given_first.as_deref().map(soundex);
        for alt in &name.family_alts {
            let sx = soundex(alt);
            for y in &years {
                out.push(key(1, &[&sx, y]));
            }
            for md in &month_days {
                out.push(key(6, &[&sx, md]));
            }
            for z in &zips {
                out.push(key(3, &[alt, z]));
            }
            if let Some(g) = &given_sx {
                out.push(key(5, &[&sx, g]));
            }
        }
        if days.is_empty() {
            continue;
        }
        for g in name
            .given
            .iter()
            .chain(&name.given_first)
            .chain(&name.middle)
        {
            let groups: Vec<String> = equivalence::groups(g)
                .iter()
                .map(|group| format!("#{group}"))
                .collect();
            for d in &days {
                out.push(key(2, &[g, d]));
                for group in &groups {
                    out.push(key(2, &[group, d]));
                }
            }
        }
    }
    for a in addresses {
        if let (Some(n), Some(s), Some(z)) = (&a.number, &a.street, &a.zip) {
            out.push(key(4, &[n, s, z]));
        }
    }
}

/// Keys to look a subject up under: the taxpayer keys of every reading of the subject
/// (names swapped, birth year ±1, day and month swapped).
pub fn subject_keys(s: &Prepared, swapped: &Name) -> Vec<u64> {
    let mut out = Vec::new();
    let mut dobs = vec![s.dob];
    if let Some(d) = s.dob {
        for y in [d.year().wrapping_sub(1), d.year() + 1] {
            dobs.push(Date::new(y, d.month(), d.day()).ok());
        }
        dobs.push(Date::new(d.year(), d.day(), d.month()).ok());
    }
    let tin: Option<String> = s
        .tin
        .as_ref()
        .map(|t| t.chars().filter(char::is_ascii_digit).collect());
    let dobs: Vec<Date> = dobs.into_iter().flatten().collect();
    person_keys(
        &[&s.name, swapped],
        &dobs,
        &[&s.address],
        &tin.iter().map(String::as_str).collect::<Vec<_>>(),
        &mut out,
    );
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soundex_survives_common_typos() {
        assert_eq!(soundex("ROBERT"), "R163");
        assert_eq!(soundex("RUPERT"), "R163");
        assert_eq!(soundex("NGUYEN"), soundex("NGUYN"));
        assert_eq!(soundex("ASHCRAFT"), "A261");
        assert_eq!(soundex(""), "");
    }
}
