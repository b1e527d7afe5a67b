//! Every rate the generator uses, in one place; `docs/synth.md` explains each and the tests
//! check the subject-side ones against generated data. [`Rates::from_json`] reads another
//! population's rates (any subset of them) from a file, so a matcher can be tried on
//! populations this generator's defaults do not describe.

use serde::{Deserialize, Serialize};

use crate::names::Origin;

/// Default share of the population by name origin (sums to 1): roughly a large US metro
/// area's mix. [`Rates::origins`] holds the shares in use.
pub const ORIGIN_SHARES: [(Origin, f64); 9] = [
    (Origin::Anglo, 0.40),
    (Origin::Hispanic, 0.25),
    (Origin::Chinese, 0.05),
    (Origin::Vietnamese, 0.04),
    (Origin::Korean, 0.03),
    (Origin::SouthAsian, 0.06),
    (Origin::Arabic, 0.05),
    (Origin::WestAfrican, 0.05),
    (Origin::Slavic, 0.07),
];

/// Zipf exponent of given-name frequencies within an origin.
pub const GIVEN_SKEW: f64 = 0.9;

/// Share of people of `origin` who first file under an ITIN.
pub fn itin_share(origin: Origin) -> f64 {
    match origin {
        Origin::Anglo => 0.0,
        Origin::Hispanic => 0.15,
        Origin::WestAfrican => 0.10,
        Origin::Arabic => 0.08,
        Origin::Chinese | Origin::SouthAsian => 0.06,
        Origin::Slavic => 0.05,
        Origin::Vietnamese | Origin::Korean => 0.04,
    }
}

/// Custodian-side clerical noise, per return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Clerical {
    /// One-character error in the given name.
    pub typo_given: f64,
    /// One-character error in the family name.
    pub typo_family: f64,
    /// Middle name left out.
    pub middle_missing: f64,
    /// Middle name written as its initial (when not left out).
    pub middle_initial: f64,
    /// Date of birth missing from the return.
    pub dob_missing: f64,
    /// Two surnames written in another style than the person's usual one.
    pub other_style: f64,
    /// Suffix and directional spelled out (`NORTH MAIN STREET`).
    pub spelled_out: f64,
    /// Unit written `#4` rather than `APT 4`.
    pub unit_hash: f64,
    /// ZIP+4 written.
    pub zip_plus4: f64,
}

/// Requester-side distortions of subjects, each applied independently when it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Distortions {
    /// One-character error in the given name.
    pub typo_given: f64,
    /// One-character error in the family name.
    pub typo_family: f64,
    /// Given name replaced by a nickname (when the name has one).
    pub nickname: f64,
    /// Given or family name in another transliteration (when one exists).
    pub translit: f64,
    /// Accents added (`JOSÉ MUÑOZ`; Hispanic names with an accentable letter).
    pub accents: f64,
    /// Only one of two surnames given.
    pub one_surname: f64,
    /// Given and family names swapped.
    pub swap_names: f64,
    /// Middle name used as the given name (when there is one).
    pub middle_as_given: f64,
    /// Date of birth missing.
    pub dob_missing: f64,
    /// Day and month swapped (when the day is 1–12 and differs from the month).
    pub dob_swap: f64,
    /// One digit of the date of birth wrong.
    pub dob_digit: f64,
    /// Year of birth off by one.
    pub dob_year: f64,
    /// Date written `MM/DD/YYYY` (a format, not an error).
    pub dob_us_format: f64,
    /// An older address the custodian has (when the person moved).
    pub address_old: f64,
    /// An address the custodian never saw.
    pub address_unknown: f64,
    /// Suffix and directional spelled out.
    pub address_spelled: f64,
    /// Unit left out (when there is one).
    pub unit_missing: f64,
    /// Unit written `#4` (when there is one and it is given).
    pub unit_hash: f64,
    /// One ZIP digit wrong.
    pub zip_typo: f64,
    /// Delivery line missing.
    pub street_missing: f64,
    /// A TIN is supplied.
    pub tin: f64,
    /// The supplied TIN has one wrong digit.
    pub tin_typo: f64,
    /// Written in title case (`Maria Garcia`).
    pub case_title: f64,
    /// Written in lower case.
    pub case_lower: f64,
}

/// Every rate of the generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rates {
    /// Share of the population by name origin (weights; need not sum to 1). A population
    /// dominated by one origin concentrates names: fewer surnames carry more people.
    #[serde(with = "origins_text")]
    pub origins: Vec<(Origin, f64)>,
    /// Household size weights for sizes 1, 2, … 7.
    pub household_sizes: [f64; 7],
    /// Share of multi-person households with a partner.
    pub partner_share: f64,
    /// Share of Hispanic adults with two surnames.
    pub hispanic_two_surnames: f64,
    /// How two surnames are written: space, hyphen, paternal only.
    pub surname_style: [f64; 3],
    /// Share of partners (in origins with that custom) taking the head's surname.
    pub married_name: f64,
    /// Chance a child is the twin of the previous child.
    pub twin_share: f64,
    /// Chance the first son of a father carries the father's given and middle names.
    pub junior_share: f64,
    /// Chance an adult child has left home by the last year.
    pub leave_home: f64,
    /// Share of household heads who file.
    pub files_head: f64,
    /// Share of partners who file.
    pub files_partner: f64,
    /// Share of children who file once adults.
    pub files_child: f64,
    /// Chance a filer files in a given year.
    pub file_per_year: f64,
    /// Chance a household moves in a year.
    pub move_per_year: f64,
    /// Share of addresses with a unit.
    pub unit_share: f64,
    /// Share of ITIN holders who later file under an SSN.
    pub itin_to_ssn: f64,
    /// Custodian-side noise.
    pub clerical: Clerical,
    /// Subject kinds: filer, non-filer, namesake, relative (sums to 1).
    pub subject_kinds: [f64; 4],
    /// Requester-side distortions.
    pub distortions: Distortions,
}

impl Default for Rates {
    fn default() -> Rates {
        Rates {
            origins: ORIGIN_SHARES.to_vec(),
            household_sizes: [0.28, 0.33, 0.15, 0.13, 0.06, 0.03, 0.02],
            partner_share: 0.75,
            hispanic_two_surnames: 0.85,
            surname_style: [0.65, 0.15, 0.20],
            married_name: 0.7,
            twin_share: 0.03,
            junior_share: 0.15,
            leave_home: 0.4,
            files_head: 0.92,
            files_partner: 0.75,
            files_child: 0.6,
            file_per_year: 0.9,
            move_per_year: 0.12,
            unit_share: 0.3,
            itin_to_ssn: 0.4,
            clerical: Clerical::default(),
            subject_kinds: [0.60, 0.15, 0.10, 0.15],
            distortions: Distortions::default(),
        }
    }
}

impl Default for Clerical {
    fn default() -> Clerical {
        Clerical {
            typo_given: 0.01,
            typo_family: 0.01,
            middle_missing: 0.1,
            middle_initial: 0.3,
            dob_missing: 0.08,
            other_style: 0.1,
            spelled_out: 0.08,
            unit_hash: 0.1,
            zip_plus4: 0.2,
        }
    }
}

impl Default for Distortions {
    fn default() -> Distortions {
        Distortions {
            typo_given: 0.08,
            typo_family: 0.08,
            nickname: 0.15,
            translit: 0.30,
            accents: 0.30,
            one_surname: 0.30,
            swap_names: 0.05,
            middle_as_given: 0.05,
            dob_missing: 0.10,
            dob_swap: 0.05,
            dob_digit: 0.03,
            dob_year: 0.03,
            dob_us_format: 0.30,
            address_old: 0.15,
            address_unknown: 0.05,
            address_spelled: 0.20,
            unit_missing: 0.30,
            unit_hash: 0.20,
            zip_typo: 0.04,
            street_missing: 0.03,
            tin: 0.15,
            tin_typo: 0.10,
            case_title: 0.30,
            case_lower: 0.10,
        }
    }
}

/// Why an origin mix cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginsError {
    /// Not `origin=weight`.
    #[error("`{0}` is not origin=weight (e.g. vietnamese=0.6)")]
    Shape(String),
    /// An origin this generator has no names for.
    #[error("unknown origin `{0}` (known: {known})", known = known_origins())]
    Unknown(String),
    /// A weight that is not a non-negative number, or no positive weight at all.
    #[error("weights must be non-negative numbers with at least one above zero (`{0}`)")]
    Weight(String),
}

fn known_origins() -> String {
    Origin::ALL.map(Origin::as_str).join(", ")
}

/// Parses an origin mix written `vietnamese=0.6,hispanic=0.3,anglo=0.1`; origins left out
/// get no one.
pub fn parse_origins(text: &str) -> Result<Vec<(Origin, f64)>, OriginsError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| OriginsError::Shape(part.to_owned()))?;
        let origin = Origin::ALL
            .into_iter()
            .find(|o| o.as_str() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| OriginsError::Unknown(name.trim().to_owned()))?;
        let w: f64 = weight
            .trim()
            .parse()
            .ok()
            .filter(|w: &f64| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| OriginsError::Weight(part.to_owned()))?;
        out.push((origin, w));
    }
    if !out.iter().any(|(_, w)| *w > 0.0) {
        return Err(OriginsError::Weight(text.to_owned()));
    }
    Ok(out)
}

/// The origin mix in files as `--origins` writes it: `"anglo=0.4,hispanic=0.25"`.
mod origins_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::names::Origin;

    pub fn serialize<S: Serializer>(origins: &[(Origin, f64)], s: S) -> Result<S::Ok, S::Error> {
        let text: Vec<String> = origins
            .iter()
            .map(|(o, w)| format!("{}={w}", o.as_str()))
            .collect();
        s.serialize_str(&text.join(","))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Origin, f64)>, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_origins(&text).map_err(D::Error::custom)
    }
}

/// Why a rates file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RatesError {
    /// An unknown rate or a value of the wrong type (the error names where), or not JSON.
    #[error(transparent)]
    Json(#[from] serde_path_to_error::Error<serde_json::Error>),
    /// Something after the JSON object.
    #[error("after the rates: {0}")]
    Trailing(serde_json::Error),
    /// A rate outside what it can be.
    #[error("`{field}` is {value}: {why}")]
    Invalid {
        /// Where the rate sits, e.g. `distortions.typo_given` or `household_sizes[2]`.
        field: String,
        /// The value given.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
}

impl Rates {
    /// Rates read from JSON: any subset of [`Rates`]' fields (nested for `clerical` and
    /// `distortions`, `origins` written as for `--origins`); the rest keep their defaults.
    /// Unknown names and impossible values are refused, naming the field.
    pub fn from_json(text: &str) -> Result<Rates, RatesError> {
        let mut json = serde_json::Deserializer::from_str(text);
        let rates: Rates = serde_path_to_error::deserialize(&mut json)?;
        json.end().map_err(RatesError::Trailing)?;
        rates.validate()?;
        Ok(rates)
    }

    /// Every rate as JSON, the form [`Rates::from_json`] reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("rates are plain numbers and text")
    }

    /// Checks every rate: chances within 0…1, weight lists non-negative with some weight,
    /// the surname styles' shares summing to 1. Walks the rates' JSON form, so a rate added
    /// later is checked without being listed here.
    pub fn validate(&self) -> Result<(), RatesError> {
        let serde_json::Value::Object(fields) =
            serde_json::to_value(self).expect("rates are plain numbers and text")
        else {
            unreachable!("rates serialise to an object")
        };
        // Weight lists: any non-negative numbers with at least one above zero.
        let weight_lists = [
            ("household_sizes", &self.household_sizes[..]),
            ("subject_kinds", &self.subject_kinds[..]),
        ];
        for (name, v) in &fields {
            check(name, v, weight_lists.iter().any(|(list, _)| list == name))?;
        }
        let invalid = |field: &str, value: f64, why| RatesError::Invalid {
            field: field.to_owned(),
            value,
            why,
        };
        for (list, weights) in weight_lists {
            let sum: f64 = weights.iter().sum();
            if sum <= 0.0 {
                return Err(invalid(list, sum, "the weights must not all be zero"));
            }
        }
        let styles: f64 = self.surname_style.iter().sum();
        if (styles - 1.0).abs() > 1e-6 {
            return Err(invalid(
                "surname_style",
                styles,
                "the three shares (space, hyphen, paternal only) must sum to 1",
            ));
        }
        Ok(())
    }
}

/// Every number under `path`: a weight (`weights`) or a chance.
fn check(path: &str, v: &serde_json::Value, weights: bool) -> Result<(), RatesError> {
    match v {
        serde_json::Value::Number(n) => {
            let value = n.as_f64().unwrap_or(f64::NAN);
            let (ok, why) = if weights {
                (value >= 0.0, "a weight must be a number of at least 0")
            } else {
                (
                    (0.0..=1.0).contains(&value),
                    "a chance must be between 0 and 1",
                )
            };
            if ok {
                Ok(())
            } else {
                Err(RatesError::Invalid {
                    field: path.to_owned(),
                    value,
                    why,
                })
            }
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check(&format!("{path}[{i}]"), item, weights)),
        serde_json::Value::Object(fields) => fields
            .iter()
            .try_for_each(|(name, item)| check(&format!("{path}.{name}"), item, weights)),
        // A rate that is not a finite number (JSON has no NaN: it becomes null).
        serde_json::Value::Null => Err(RatesError::Invalid {
            field: path.to_owned(),
            value: f64::NAN,
            why: "a rate must be a finite number",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_survive_a_round_trip_through_json() {
        let rates = Rates::default();
        rates.validate().expect("defaults are valid");
        assert_eq!(Rates::from_json(&rates.to_json()).expect("reads"), rates);
    }

    #[test]
    fn a_file_sets_only_the_rates_it_names() {
        let rates = Rates::from_json(
            r#"{"junior_share": 0.5, "distortions": {"typo_given": 0.25},
                "origins": "vietnamese=0.7,korean=0.3"}"#,
        )
        .expect("reads");
        let default = Rates::default();
        assert_eq!(rates.junior_share, 0.5);
        assert_eq!(rates.distortions.typo_given, 0.25);
        assert_eq!(
            rates.distortions.typo_family,
            default.distortions.typo_family
        );
        assert_eq!(rates.clerical, default.clerical);
        assert_eq!(
            rates.origins,
            vec![(Origin::Vietnamese, 0.7), (Origin::Korean, 0.3)]
        );
    }

    #[test]
    fn impossible_rates_are_refused_naming_the_field() {
        let error = |text: &str| Rates::from_json(text).expect_err(text).to_string();
        assert!(
            error(r#"{"distortions": {"typo_given": 1.5}}"#).contains("distortions.typo_given")
        );
        assert!(error(r#"{"twin_share": -0.1}"#).contains("twin_share"));
        assert!(
            error(r#"{"household_sizes": [1, 1, -1, 0, 0, 0, 0]}"#).contains("household_sizes[2]")
        );
        assert!(error(r#"{"subject_kinds": [0, 0, 0, 0]}"#).contains("subject_kinds"));
        assert!(error(r#"{"surname_style": [0.5, 0.5, 0.5]}"#).contains("surname_style"));
        // Unknown names (a misspelt rate would otherwise be silently ignored) and wrong types.
        assert!(error(r#"{"distortions": {"typo_givn": 0.1}}"#).contains("typo_givn"));
        assert!(
            error(r#"{"junior_share": "half"}"#).contains("junior_share")
                || error(r#"{"junior_share": "half"}"#).contains("invalid type")
        );
        assert!(error(r#"{"origins": "martian=1"}"#).contains("martian"));
        assert!(error("not json").contains("line 1"));
        let nan = Rates {
            twin_share: f64::NAN,
            ..Rates::default()
        };
        assert!(
            nan.validate()
                .expect_err("NaN")
                .to_string()
                .contains("twin_share")
        );
        assert!(error(r#"{"twin_share": 0.1} {"twin_share": 0.2}"#).contains("after the rates"));
    }
}
