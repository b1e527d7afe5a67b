//! Which taxpayer, if any, is this subject? Explainable probabilistic record linkage.
//!
//! The pipeline follows the stages of a Fellegi–Sunter linker, one module each:
//! [`normalise`] (free text to standard forms), [`block`] (which taxpayers to compare),
//! [`compare`] (graded agreement per field), [`model`] (m, u, λ and their unsupervised
//! training), [`link`] (score, decide, explain) and [`index`] (the custodian side in memory,
//! answering one subject in milliseconds). [`evaluate`] scores results against truth.
//!
//! The crate is pure and deterministic: it reads and writes nothing; the caller hands it
//! records. Work is spread over all cores with rayon, and results keep input order.
//!
//! ```
//! use crosscheck_contract::{Subject, TaxReturn, Tin};
//! use crosscheck_linkage::{index::{Index, prepare}, link};
//!
//! let r = |id: &str, tin: &str, given: &str, dob: &str| TaxReturn {
//!     return_id: id.into(), tin: Tin::parse(tin).unwrap(), tax_year: 2024,
//!     given_name: given.into(), middle_name: None, family_name: "Garcia Lopez".into(),
//!     dob: crosscheck_contract::Date::parse_iso(dob).ok(), street: "12 N Main St".into(),
//!     unit: None, city: "Austin".into(), state: "TX".into(), zip: "78701".into(), employer_name: None,
//! };
//! let index = Index::build(&[r("1", "123-45-6789", "Ana", "1980-03-07"), r("2", "123-45-6790", "Luis", "1978-01-02")]);
//! let subject = prepare(&Subject { subject_id: "S1".into(), given_name: Some("Ana".into()),
//!     family_name: Some("García".into()), dob: Some("03/07/1980".into()), zip: Some("78701".into()),
//!     ..Subject::default() });
//! let compared = link::compare_all(&index, std::slice::from_ref(&subject), &|_| {});
//! let model = crosscheck_linkage::model::Model::initial();
//! let decision = link::decide(&model, &index, &subject, &compared[0]);
//! let best = decision.best.unwrap();
//! assert_eq!(index.taxpayers[best.taxpayer as usize].tin().digits(), "123456789");
//! ```

pub mod block;
pub mod compare;
pub mod equivalence;
pub mod evaluate;
pub mod index;
pub mod link;
pub mod model;
pub mod normalise;
pub mod similarity;

/// SplitMix64: a small, seeded, portable generator for sampling pairs, so the crate needs no
/// RNG dependency and results never change with one.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
