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

/// American Soundex of a folded name (`ROBERT` → `R163`), enough to survive a typo; four
/// zero bytes for a name without letters.
pub fn soundex(s: &str) -> [u8; 4] {
    let code = |c: u8| match c {
        b'B' | b'F' | b'P' | b'V' => b'1',
        b'C' | b'G' | b'J' | b'K' | b'Q' | b'S' | b'X' | b'Z' => b'2',
        b'D' | b'T' => b'3',
        b'L' => b'4',
        b'M' | b'N' => b'5',
        b'R' => b'6',
        b'H' | b'W' => b'-',
        _ => b'0',
    };
    let mut letters = s.bytes().filter(u8::is_ascii_alphabetic);
    let Some(first) = letters.next() else {
        return [0; 4];
    };
    let mut out = [first, b'0', b'0', b'0'];
    let mut len = 1;
    let mut last = code(first);
    for c in letters {
        let d = code(c);
        if d == b'-' {
            continue;
        }
        if d != b'0' && d != last {
            out[len] = d;
            len += 1;
            if len == 4 {
                break;
            }
        }
        last = d;
    }
    out
}

/// What a blocking key is made of.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Kind {
    Tin,
    FamilyYear,
    GivenDob,
    FamilyZip,
    House,
    FamilyGiven,
    FamilyMonthDay,
    GroupDob,
}

fn key(kind: Kind, parts: impl Hash) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    (kind as u8).hash(&mut h);
    parts.hash(&mut h);
    h.finish()
}

/// Every blocking key of a person (a taxpayer, or one reading of a subject), unsorted and
/// possibly repeated. Built without allocating: keys hash the parts directly.
pub fn person_keys(
    names: &[&Name],
    dobs: &[Date],
    addresses: &[&Address],
    tins: &[&str],
    out: &mut Vec<u64>,
) {
    for t in tins {
        out.push(key(Kind::Tin, t));
    }
    let days = || dobs.iter().map(|d| (d.year(), d.month(), d.day()));
    for name in names {
        let given_sx = name.given_first().map(|g| soundex(g));
        for alt in name.family_alts() {
            let sx = soundex(alt);
            for (y, m, d) in days() {
                out.push(key(Kind::FamilyYear, (sx, y)));
                // Month and day without the year: a mistyped year digit (1951 for 1954)
                // leaves them intact, and with the family name they still pick out few
                // people.
                out.push(key(Kind::FamilyMonthDay, (sx, m, d)));
            }
            for a in addresses {
                if let Some(z) = a.zip.as_deref() {
                    out.push(key(Kind::FamilyZip, (&**alt, z)));
                }
            }
            if let Some(g) = given_sx {
                out.push(key(Kind::FamilyGiven, (sx, g)));
            }
        }
        for g in name
            .given()
            .into_iter()
            .chain(name.given_first())
            .chain(name.middle())
        {
            let groups = equivalence::groups(g);
            for day in days() {
                out.push(key(Kind::GivenDob, (&**g, day)));
                for group in groups {
                    out.push(key(Kind::GroupDob, (group, day)));
                }
            }
        }
    }
    for a in addresses {
        if let (Some(n), Some(s), Some(z)) = (&a.number, &a.street, &a.zip) {
            out.push(key(Kind::House, (&**n, &**s, &**z)));
        }
    }
}

/// Keys to look a subject up under: the taxpayer keys of every reading of the subject
/// (names swapped, birth year ±1, day and month swapped).
pub fn subject_keys(s: &Prepared) -> Vec<u64> {
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
        &[&s.name, &s.swapped],
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
        assert_eq!(&soundex("ROBERT"), b"R163");
        assert_eq!(&soundex("RUPERT"), b"R163");
        assert_eq!(soundex("NGUYEN"), soundex("NGUYN"));
        assert_eq!(&soundex("ASHCRAFT"), b"A261");
        assert_eq!(&soundex("LEE"), b"L000");
        assert_eq!(soundex("-"), [0; 4]);
    }
}
