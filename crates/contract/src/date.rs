//! Calendar dates as the contract writes them: `YYYY-MM-DD`, and on the requester side also
//! `MM/DD/YYYY`, `MM-DD-YYYY`, `YYYY/MM/DD` and `YYYYMMDD`.

use std::fmt;

/// A valid proleptic Gregorian calendar date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a string is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Not one of the accepted forms.
    #[error("a date is written YYYY-MM-DD (the requester may also write MM/DD/YYYY or YYYYMMDD)")]
    Format,
    /// The right shape but no such day (`2023-02-30`).
    #[error("no such calendar day")]
    NoSuchDay,
}

/// Days in `month` of `year`.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn number(s: &str, len: usize) -> Result<u16, DateError> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateError::Format);
    }
    s.parse().map_err(|_| DateError::Format)
}

impl Date {
    /// A date from its parts, if that day exists (years 1000–9999).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1000..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay);
        }
        Ok(Date { year, month, day })
    }

    /// Parses the custodian form `YYYY-MM-DD` only.
    pub fn parse_iso(s: &str) -> Result<Date, DateError> {
        let s = s.trim();
        let mut parts = s.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DateError::Format);
        };
        Date::new(number(y, 4)?, number(m, 2)? as u8, number(d, 2)? as u8)
    }

    /// Parses a requester's date: `YYYY-MM-DD` (also with `/`), the US form `MM/DD/YYYY`
    /// (also with `-`; one-digit month and day allowed), or the ISO 8601 basic form
    /// `YYYYMMDD`. The four-digit year's place tells the orders apart, so no form is
    /// ambiguous.
    pub fn parse_any(s: &str) -> Result<Date, DateError> {
        let s = s.trim();
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            let (y, md) = s.split_at(4);
            let (m, d) = md.split_at(2);
            return Date::new(number(y, 4)?, number(m, 2)? as u8, number(d, 2)? as u8);
        }
        let sep = if s.contains('/') { '/' } else { '-' };
        let mut parts = s.split(sep);
        let (Some(a), Some(b), Some(c), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DateError::Format);
        };
        let short = |v: &str| number(v, v.len().clamp(1, 2)).map(|n| n as u8);
        if a.len() == 4 {
            Date::new(number(a, 4)?, number(b, 2)? as u8, number(c, 2)? as u8)
        } else {
            Date::new(number(c, 4)?, short(a)?, short(b)?)
        }
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The US form `MM/DD/YYYY`.
    pub fn us(&self) -> String {
        format!("{:02}/{:02}/{:04}", self.month, self.day, self.year)
    }

    /// The date `days` days after 1970-01-01 (negative before), for Parquet `DATE` columns.
    pub fn from_unix_days(days: i32) -> Option<Date> {
        // Howard Hinnant's civil_from_days.
        let z = i64::from(days) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date::new(u16::try_from(year).ok()?, month as u8, day as u8).ok()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date of birth is personal data: `Debug` never shows it.
impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Date([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iso_and_us_forms_parse_to_the_same_day() {
        let iso = Date::parse_any("1984-07-04").unwrap();
        assert_eq!(Date::parse_any("07/04/1984").unwrap(), iso);
        assert_eq!(Date::parse_any("7/4/1984").unwrap(), iso);
        assert_eq!(Date::parse_any("07-04-1984").unwrap(), iso);
        assert_eq!(Date::parse_any("1984/07/04").unwrap(), iso);
        assert_eq!(Date::parse_any(" 19840704 ").unwrap(), iso);
        assert_eq!(Date::parse_any("19840231"), Err(DateError::NoSuchDay));
        for bad in [
            "1984704",
            "984-07-04",
            "07/04/84",
            "1984-07-04-01",
            "7/4",
            "",
            "x/y/1984",
        ] {
            assert_eq!(Date::parse_any(bad), Err(DateError::Format), "{bad}");
        }
        assert_eq!(iso.to_string(), "1984-07-04");
        assert_eq!(iso.us(), "07/04/1984");
    }

    #[test]
    fn impossible_days_are_rejected() {
        assert_eq!(Date::parse_iso("2023-02-29"), Err(DateError::NoSuchDay));
        assert!(Date::parse_iso("2024-02-29").is_ok());
        assert_eq!(Date::parse_iso("1900-02-29"), Err(DateError::NoSuchDay));
        assert_eq!(Date::parse_iso("2023-13-01"), Err(DateError::NoSuchDay));
        assert_eq!(Date::parse_iso("2023-04-31"), Err(DateError::NoSuchDay));
        assert_eq!(Date::parse_iso("07/04/1984"), Err(DateError::Format));
        assert_eq!(Date::parse_iso("1984-7-4"), Err(DateError::Format));
        assert_eq!(Date::parse_any("1984/7/4"), Err(DateError::Format));
    }

    #[test]
    fn unix_days_convert() {
        assert_eq!(Date::from_unix_days(0).unwrap().to_string(), "1970-01-01");
        assert_eq!(
            Date::from_unix_days(19_723).unwrap().to_string(),
            "2024-01-01"
        );
        assert_eq!(Date::from_unix_days(-1).unwrap().to_string(), "1969-12-31");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Date::parse_any(&s);
        }

        #[test]
        fn display_round_trips(y in 1000u16..=9999, m in 1u8..=12, d in 1u8..=31) {
            if let Ok(date) = Date::new(y, m, d) {
                prop_assert_eq!(Date::parse_iso(&date.to_string()), Ok(date));
                prop_assert_eq!(Date::parse_any(&date.us()), Ok(date));
                let basic = date.to_string().replace('-', "");
                prop_assert_eq!(Date::parse_any(&basic), Ok(date));
            }
        }
    }
}
