//! Taxpayer identification numbers: SSN, ITIN and ATIN shape rules.
//!
//! The rules are those of `RULES.md` ("Identifiers" and rule 15): an SSN never has area 000,
//! 666 or 900–999, group 00 or serial 0000; an ITIN starts with 9 and has 4th–5th digits in
//! 50–65, 70–88, 90–92 or 94–99; an ATIN starts with 9 and has 93. A valid shape says nothing
//! about issuance: since 2011 SSNs are random.

use std::fmt;

/// Which kind of taxpayer identification number a [`Tin`] is, decided by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TinKind {
    /// Social Security number.
    Ssn,
    /// Individual taxpayer identification number (issued to people who cannot get an SSN).
    Itin,
    /// Adoption taxpayer identification number.
    Atin,
}

/// A syntactically valid taxpayer identification number, held as its nine digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tin([u8; 9]);

/// Why a string is not a valid TIN. The messages name the defect, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TinError {
    /// Not nine digits once dashes and spaces are removed.
    #[error("a TIN has 9 digits (dashes allowed)")]
    Length,
    /// A character other than a digit, dash or space.
    #[error("a TIN holds only digits, dashes and spaces")]
    Character,
    /// SSN area (first three digits) 000 or 666.
    #[error("SSN area 000 and 666 are never issued")]
    SsnArea,
    /// SSN group (digits 4–5) 00.
    #[error("SSN group 00 is never issued")]
    SsnGroup,
    /// SSN serial (digits 6–9) 0000.
    #[error("SSN serial 0000 is never issued")]
    SsnSerial,
    /// Starts with 9 but the middle digits are in no ITIN or ATIN range.
    #[error(
        "a TIN starting with 9 must have ITIN (50-65, 70-88, 90-92, 94-99) or ATIN (93) middle digits"
    )]
    NineRange,
}

impl Tin {
    /// Parses a TIN, accepting dashes and spaces between digits (`123-45-6789`).
    pub fn parse(s: &str) -> Result<Tin, TinError> {
        let mut digits = [0u8; 9];
        let mut n = 0usize;
        for c in s.trim().chars() {
            match c {
                '0'..='9' => {
                    if n == 9 {
                        return Err(TinError::Length);
                    }
                    digits[n] = c as u8 - b'0';
                    n += 1;
                }
                '-' | ' ' => {}
                _ => return Err(TinError::Character),
            }
        }
        if n != 9 {
            return Err(TinError::Length);
        }
        let tin = Tin(digits);
        tin.check()?;
        Ok(tin)
    }

    /// Builds a TIN from its number (0..1_000_000_000), checking the shape rules.
    pub fn from_u32(value: u32) -> Result<Tin, TinError> {
        if value >= 1_000_000_000 {
            return Err(TinError::Length);
        }
        let mut digits = [0u8; 9];
        let mut v = value;
        for d in digits.iter_mut().rev() {
            *d = (v % 10) as u8;
            v /= 10;
        }
        let tin = Tin(digits);
        tin.check()?;
        Ok(tin)
    }

    fn part(&self, range: std::ops::Range<usize>) -> u32 {
        self.0[range]
            .iter()
            .fold(0, |acc, &d| acc * 10 + u32::from(d))
    }

    fn check(&self) -> Result<(), TinError> {
        let area = self.part(0..3);
        let group = self.part(3..5);
        let serial = self.part(5..9);
        if self.0[0] == 9 {
            return match group {
                93 | 50..=65 | 70..=88 | 90..=92 | 94..=99 => Ok(()),
                _ => Err(TinError::NineRange),
            };
        }
        if area == 0 || area == 666 {
            return Err(TinError::SsnArea);
        }
        if group == 0 {
            return Err(TinError::SsnGroup);
        }
        if serial == 0 {
            return Err(TinError::SsnSerial);
        }
        Ok(())
    }

    /// The kind of number, by shape.
    pub fn kind(&self) -> TinKind {
        if self.0[0] != 9 {
            TinKind::Ssn
        } else if self.part(3..5) == 93 {
            TinKind::Atin
        } else {
            TinKind::Itin
        }
    }

    /// The number as an integer (handy as a compact key).
    pub fn as_u32(&self) -> u32 {
        self.part(0..9)
    }

    /// The nine digits as ASCII bytes, without allocating.
    pub fn ascii_digits(&self) -> [u8; 9] {
        self.0.map(|d| b'0' + d)
    }

    /// The nine digits without dashes (`123456789`), the canonical form in output files.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl fmt::Display for Tin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{}-{}-{}", &d[0..3], &d[3..5], &d[5..9])
    }
}

/// A TIN is personal data: its `Debug` form never shows the number.
impl fmt::Debug for Tin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tin({:?}, [redacted])", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_ssn_with_and_without_dashes_is_accepted() {
        let a = Tin::parse("123-45-6789").unwrap();
        let b = Tin::parse("123456789").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.kind(), TinKind::Ssn);
        assert_eq!(a.to_string(), "123-45-6789");
        assert_eq!(a.digits(), "123456789");
    }

    #[test]
    fn never_issued_ssn_parts_are_rejected() {
        assert_eq!(Tin::parse("000-12-3456"), Err(TinError::SsnArea));
        assert_eq!(Tin::parse("666-12-3456"), Err(TinError::SsnArea));
        assert_eq!(Tin::parse("123-00-4567"), Err(TinError::SsnGroup));
        assert_eq!(Tin::parse("123-45-0000"), Err(TinError::SsnSerial));
    }

    #[test]
    fn itin_and_atin_ranges_are_recognised() {
        for g in [50, 65, 70, 88, 90, 92, 94, 99] {
            let t = Tin::parse(&format!("912-{g:02}-3456")).unwrap();
            assert_eq!(t.kind(), TinKind::Itin, "group {g}");
        }
        assert_eq!(Tin::parse("912-93-3456").unwrap().kind(), TinKind::Atin);
        for g in [0, 12, 49, 66, 69, 89] {
            assert_eq!(
                Tin::parse(&format!("912-{g:02}-3456")),
                Err(TinError::NineRange),
                "{g}"
            );
        }
    }

    #[test]
    fn malformed_strings_are_rejected() {
        assert_eq!(Tin::parse(""), Err(TinError::Length));
        assert_eq!(Tin::parse("12345678"), Err(TinError::Length));
        assert_eq!(Tin::parse("1234567890"), Err(TinError::Length));
        assert_eq!(Tin::parse("12345678X"), Err(TinError::Character));
    }

    #[test]
    fn debug_never_shows_the_number() {
        let t = Tin::parse("123-45-6789").unwrap();
        assert!(!format!("{t:?}").contains("6789"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Tin::parse(&s);
        }

        #[test]
        fn display_round_trips(v in 0u32..1_000_000_000) {
            if let Ok(t) = Tin::from_u32(v) {
                prop_assert_eq!(Tin::parse(&t.to_string()), Ok(t));
                prop_assert_eq!(t.as_u32(), v);
            }
        }
    }
}
