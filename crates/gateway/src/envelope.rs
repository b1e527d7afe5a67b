//! The signed request: what an agency sends, and the exact bytes it signs.
//!
//! A [`Request`] is an [`Envelope`] (who asks, on what legal basis, for which data, signed by
//! whom, for which named recipients) plus one [`SubjectEntry`] per person sought. The agency
//! signs [`Request::canonical_bytes`] with Ed25519 and sends a [`SignedRequest`]; the gateway
//! checks the signature with [`SignedRequest::verify`] against the signer's registered key.
//!
//! Every signed structure denies unknown fields: a field the gateway does not know would not
//! be covered by the canonical form, so it is refused at parse time rather than silently
//! dropped.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The domain-separation prefix of [`Request::canonical_bytes`]: a signature over a request
/// can never be mistaken for a signature over anything else.
pub const CANONICAL_PREFIX: &[u8] = b"crosscheck-request-v1\n";

/// The use attestation a request must carry (rule 14).
pub const CRIMINAL_USE_ONLY: &str = "criminal_investigation_only";

/// The data class a written (i)(2) request may ask for (rule 2).
pub const TAXPAYER_IDENTITY: &str = "taxpayer_identity";

/// The request-level part of a request: the legal form, the signer and the recipients.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The agency's own reference for this request; the key of its status and accounting.
    pub request_ref: String,
    /// The requesting agency's registry id; selects the agreement and safeguards that apply.
    pub agency: String,
    /// The legal path: `i2` (written request), `i1` or `i5` (ex parte court order). Rule 1.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// What is asked for: `taxpayer_identity`, or return content such as `return`, `income`,
    /// `employer`, which needs a court order. Rule 2.
    #[serde(default)]
    pub data_class: Option<String>,
    /// The designated federal criminal statute under investigation, e.g.
    /// `8 U.S.C. § 1253(a)(1)`. Rule 5.
    #[serde(default)]
    pub statute: Option<String>,
    /// The registry id of the official who signed; the signature is checked against that
    /// official's key. Rule 4.
    pub signer: String,
    /// The officers and employees who will receive the information. Rule 13.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Must be `criminal_investigation_only`. Rule 14.
    #[serde(default)]
    pub use_attestation: Option<String>,
    /// The specific tax years asked about, each a four-digit year. Rule 11.
    #[serde(default)]
    pub tax_years: Vec<String>,
    /// The order, on the (i)(1)/(i)(5) path. Rule 3.
    #[serde(default)]
    pub court_order: Option<CourtOrder>,
}

/// A named officer or employee to whom information would be disclosed (rule 13).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Recipient {
    /// Full name; the key of the per-official matter count (rule 13).
    pub name: String,
    /// Title, recorded in the accounting of disclosures.
    pub title: String,
    /// Office address, required by the accounting of disclosures (rule 28).
    pub office_address: String,
    /// The recipient attests personal and direct engagement in the matter (rule 13).
    pub attests_personal_engagement: bool,
}

/// An ex parte court order under § 6103(i)(1) or (i)(5) (rule 3). Missing elements
/// deserialise as empty so the gate can name exactly which one is missing.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CourtOrder {
    /// The reference of the attached order document.
    pub document_ref: String,
    /// The issuing judge.
    pub judge: String,
    /// `district` or `magistrate`: only a federal district or magistrate judge may issue one.
    pub court_kind: String,
    /// The agency the order names.
    pub agency: String,
    /// The taxable periods the order covers; the request may not go beyond them.
    pub tax_years: Vec<String>,
    /// The scope of disclosure the order allows.
    pub scope: String,
    /// The official listed in (i)(1)(B) who authorized the application.
    pub applicant_official: String,
}

/// One person sought. Each entry is its own request (rule 7). Its `Debug` form shows only the
/// subject id and which fields are present, never their values.
#[derive(Serialize, Deserialize, Clone, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectEntry {
    /// The requester's reference, unique in the request; responses are keyed by it.
    pub subject_id: String,
    /// Given name (rule 8).
    #[serde(default)]
    pub given_name: Option<String>,
    /// Middle name or initial.
    #[serde(default)]
    pub middle_name: Option<String>,
    /// Family name(s) (rule 8).
    #[serde(default)]
    pub family_name: Option<String>,
    /// Date of birth, `YYYY-MM-DD`, `MM/DD/YYYY`, `MM-DD-YYYY`, `YYYY/MM/DD` or `YYYYMMDD` (rule 16).
    #[serde(default)]
    pub dob: Option<String>,
    /// Delivery line: house number and street, PO box, rural route or military form (rule 9).
    #[serde(default)]
    pub street: Option<String>,
    /// Apartment, suite or unit.
    #[serde(default)]
    pub unit: Option<String>,
    /// City, or APO/FPO/DPO (rule 9).
    #[serde(default)]
    pub city: Option<String>,
    /// State or territory code or name, or AA/AE/AP (rule 9).
    #[serde(default)]
    pub state: Option<String>,
    /// ZIP code, 5 or 9 digits (rule 9).
    #[serde(default)]
    pub zip: Option<String>,
    /// A TIN, if the requester has one (rule 15).
    #[serde(default)]
    pub tin: Option<String>,
    /// What the requester claims the TIN is: `ssn`, `itin` or `atin` (rule 15 flags an
    /// "SSN" starting with 9).
    #[serde(default)]
    pub tin_kind: Option<String>,
    /// Why disclosure is or may be relevant for this person (rule 12).
    #[serde(default)]
    pub reason: Option<String>,
    /// The criminal investigation or proceeding identifier (rule 6).
    #[serde(default)]
    pub case_number: Option<String>,
    /// Date of the final removal order, where the agreement requires it (rule 6).
    #[serde(default)]
    pub removal_order_date: Option<String>,
}

/// `Some([redacted])` or `None`, for `Debug` forms of personal data.
pub(crate) fn redacted(v: Option<&str>) -> &'static str {
    if v.is_some() {
        "Some([redacted])"
    } else {
        "None"
    }
}

impl std::fmt::Debug for SubjectEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("SubjectEntry");
        d.field("subject_id", &self.subject_id);
        for (name, value) in [
            ("given_name", &self.given_name),
            ("middle_name", &self.middle_name),
            ("family_name", &self.family_name),
            ("dob", &self.dob),
            ("street", &self.street),
            ("unit", &self.unit),
            ("city", &self.city),
            ("state", &self.state),
            ("zip", &self.zip),
            ("tin", &self.tin),
            ("tin_kind", &self.tin_kind),
            ("reason", &self.reason),
            ("case_number", &self.case_number),
            ("removal_order_date", &self.removal_order_date),
        ] {
            d.field(name, &format_args!("{}", redacted(value.as_deref())));
        }
        d.finish()
    }
}

impl SubjectEntry {
    /// The entry as the matcher's [`crosscheck_contract::Subject`] (identity and address
    /// fields only; the legal fields stay in the gateway).
    pub fn to_contract(&self) -> crosscheck_contract::Subject {
        crosscheck_contract::Subject {
            subject_id: self.subject_id.clone(),
            given_name: self.given_name.clone(),
            middle_name: self.middle_name.clone(),
            family_name: self.family_name.clone(),
            dob: self.dob.clone(),
            street: self.street.clone(),
            unit: self.unit.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            tin: self.tin.clone(),
        }
    }
}

/// An unsigned request: the envelope and the people sought.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Who asks, how, and for whom.
    pub envelope: Envelope,
    /// The people sought, each decided on its own.
    pub subjects: Vec<SubjectEntry>,
}

impl Request {
    /// The bytes an agency signs: [`CANONICAL_PREFIX`] followed by the compact JSON of the
    /// request, fields in declared order, absent options as `null`, strings escaped as
    /// `docs/gateway.md` ("Canonical form") describes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = CANONICAL_PREFIX.to_vec();
        serde_json::to_writer(&mut out, self).expect(
            "a Request holds only strings, booleans, options and vectors of them; \
             serialising it into memory cannot fail",
        );
        out
    }

    /// The number of matters this request attests for each recipient (rule 13): one per
    /// distinct non-empty case number, plus one for each subject without a case number. The
    /// store adds the same number to each recipient's count once the request is accepted.
    pub fn matters(&self) -> u64 {
        let mut cases = std::collections::BTreeSet::new();
        let mut without = 0u64;
        for s in &self.subjects {
            match s.case_number.as_deref().map(str::trim) {
                Some(c) if !c.is_empty() => {
                    cases.insert(c);
                }
                _ => without = without.saturating_add(1),
            }
        }
        (cases.len() as u64).saturating_add(without)
    }
}

/// A request with the signer's Ed25519 signature over its canonical bytes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedRequest {
    /// The request as signed.
    pub request: Request,
    /// Hex of the 64-byte Ed25519 signature over [`Request::canonical_bytes`].
    pub signature: String,
}

impl SignedRequest {
    /// Whether the signature is a valid (strict) Ed25519 signature of the request's canonical
    /// bytes under the hex-encoded 32-byte public key. Malformed hex, wrong lengths and weak
    /// keys give `false`; this never panics.
    pub fn verify(&self, public_key_hex: &str) -> bool {
        let Some(key) = decode_fixed::<32>(public_key_hex) else {
            return false;
        };
        let Some(sig) = decode_fixed::<64>(&self.signature) else {
            return false;
        };
        let Ok(key) = VerifyingKey::from_bytes(&key) else {
            return false;
        };
        key.verify_strict(
            &self.request.canonical_bytes(),
            &Signature::from_bytes(&sig),
        )
        .is_ok()
    }
}

fn decode_fixed<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = hex::decode(s.trim()).ok()?;
    bytes.try_into().ok()
}

/// Signs a request with the signer's key (what an agency's system does; used in tests and
/// demos).
pub fn sign(request: Request, key: &SigningKey) -> SignedRequest {
    let signature = key.sign(&request.canonical_bytes());
    SignedRequest {
        request,
        signature: hex::encode(signature.to_bytes()),
    }
}

/// The hex-encoded public key of a signing key, as a [`crate::SignerRecord`] stores it.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// The legal path a request declares (rule 1).
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// § 6103(i)(2): written request by the head of a federal agency, taxpayer identity only.
    I2,
    /// § 6103(i)(1): ex parte court order.
    I1,
    /// § 6103(i)(5): ex parte court order (locating fugitives).
    I5,
}

impl LegalBasis {
    /// The wire spelling: `i2`, `i1`, `i5`.
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::I2 => "i2",
            LegalBasis::I1 => "i1",
            LegalBasis::I5 => "i5",
        }
    }

    /// Parses `i2`, `(i)(2)`, `6103(i)(2)`, `§ 6103(i)(2)` and the like, case-insensitively.
    pub fn parse(s: &str) -> Option<LegalBasis> {
        let key: String = s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let key = key.strip_prefix("26usc").unwrap_or(&key);
        let key = key.strip_prefix("6103").unwrap_or(key);
        match key {
            "i2" => Some(LegalBasis::I2),
            "i1" => Some(LegalBasis::I1),
            "i5" => Some(LegalBasis::I5),
            _ => None,
        }
    }

    /// Whether this path runs on an ex parte court order.
    pub fn is_court_order(self) -> bool {
        matches!(self, LegalBasis::I1 | LegalBasis::I5)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    pub(crate) fn subject(id: &str) -> SubjectEntry {
        SubjectEntry {
            subject_id: id.to_owned(),
            given_name: Some("Ana".into()),
            middle_name: None,
            family_name: Some("García López".into()),
            dob: Some("1984-07-04".into()),
            street: Some("123 Main St".into()),
            unit: Some("Apt 4B".into()),
            city: Some("Springfield".into()),
            state: Some("IL".into()),
            zip: Some("62704".into()),
            tin: None,
            tin_kind: None,
            reason: Some(format!(
                "Subject of removal case {id}; believed residing in IL"
            )),
            case_number: Some(format!("CASE-{id}")),
            removal_order_date: Some("2024-03-01".into()),
        }
    }

    pub(crate) fn request() -> Request {
        Request {
            envelope: Envelope {
                request_ref: "REQ-1".into(),
                agency: "DHS-ICE".into(),
                legal_basis: Some("i2".into()),
                data_class: Some(TAXPAYER_IDENTITY.into()),
                statute: Some("8 U.S.C. § 1253(a)(1)".into()),
                signer: "sig-1".into(),
                recipients: vec![Recipient {
                    name: "Pat Officer".into(),
                    title: "Special Agent".into(),
                    office_address: "1 Federal Plaza, New York, NY 10278".into(),
                    attests_personal_engagement: true,
                }],
                use_attestation: Some(CRIMINAL_USE_ONLY.into()),
                tax_years: vec!["2023".into(), "2024".into()],
                court_order: None,
            },
            subjects: vec![subject("S1"), subject("S2")],
        }
    }

    #[test]
    fn canonical_bytes_start_with_the_domain_prefix_and_hold_compact_json() {
        let mut r = request();
        r.subjects.truncate(1);
        let bytes = r.canonical_bytes();
        assert!(
            bytes.starts_with(b"crosscheck-request-v1\n{\"envelope\":{\"request_ref\":\"REQ-1\"")
        );
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.contains("\"court_order\":null"));
        assert!(text.contains("\"middle_name\":null"));
        assert!(!text.contains(": "), "compact, no spaces after colons");
        assert!(
            text.contains("García"),
            "non-ASCII is written as UTF-8, not escaped"
        );
    }

    #[test]
    fn canonical_bytes_match_a_fixed_vector() {
        let r = Request {
            envelope: Envelope {
                request_ref: "R\"1".into(),
                agency: "A".into(),
                legal_basis: None,
                data_class: None,
                statute: None,
                signer: "s".into(),
                recipients: vec![],
                use_attestation: None,
                tax_years: vec!["2024".into()],
                court_order: None,
            },
            subjects: vec![],
        };
        let expected = "crosscheck-request-v1\n{\"envelope\":{\"request_ref\":\"R\\\"1\",\"agency\":\"A\",\
            \"legal_basis\":null,\"data_class\":null,\"statute\":null,\"signer\":\"s\",\"recipients\":[],\
            \"use_attestation\":null,\"tax_years\":[\"2024\"],\"court_order\":null},\"subjects\":[]}";
        assert_eq!(String::from_utf8(r.canonical_bytes()).unwrap(), expected);
    }

    /// The request of `canonical_bytes_match_a_fixed_vector`, signed with the key whose seed
    /// is 32 bytes of 0x07; docs/gateway.md quotes both.
    #[test]
    fn the_documented_signature_vector_verifies() {
        let r: Request = serde_json::from_str(
            r#"{"envelope":{"request_ref":"R\"1","agency":"A","signer":"s","tax_years":["2024"]},"subjects":[]}"#,
        )
        .unwrap();
        let signed = sign(r, &key(7));
        assert_eq!(
            signed.signature,
            "f9e80bdfd0744fbba659e3ecd8c199531612a989ebbbb3e36c6e85b083f6fbc3412da5808a03330166eb60310dd905c61b5ce6f4c2212b9cd70ff8a0fd6a0a08"
        );
        assert_eq!(
            public_key_hex(&key(7)),
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
        );
        assert!(signed.verify(&public_key_hex(&key(7))));
    }

    #[test]
    fn a_signed_request_verifies_after_a_json_round_trip() {
        let k = key(7);
        let signed = sign(request(), &k);
        assert_eq!(signed.signature.len(), 128);
        let json = serde_json::to_string(&signed).unwrap();
        let back: SignedRequest = serde_json::from_str(&json).unwrap();
        assert!(back.verify(&public_key_hex(&k)));
    }

    #[test]
    fn a_tampered_field_fails_verification() {
        let k = key(7);
        let pk = public_key_hex(&k);
        let signed = sign(request(), &k);
        let mut t = signed.clone();
        t.request.subjects[1].zip = Some("62705".into());
        assert!(!t.verify(&pk));
        let mut t = signed.clone();
        t.request.envelope.tax_years.push("2022".into());
        assert!(!t.verify(&pk));
        let mut t = signed.clone();
        t.request.envelope.court_order = Some(CourtOrder::default());
        assert!(!t.verify(&pk));
        assert!(signed.verify(&pk));
    }

    #[test]
    fn another_key_fails_verification() {
        let signed = sign(request(), &key(7));
        assert!(!signed.verify(&public_key_hex(&key(8))));
    }

    #[test]
    fn malformed_keys_and_signatures_fail_without_panicking() {
        let k = key(7);
        let pk = public_key_hex(&k);
        let signed = sign(request(), &k);
        for bad_key in ["", "zz", "00", &pk[..62], &format!("{pk}00"), "é"] {
            assert!(!signed.verify(bad_key), "{bad_key}");
        }
        for bad_sig in [
            "",
            "xyz",
            &signed.signature[..126],
            &format!("{}00", signed.signature),
        ] {
            let mut s = signed.clone();
            s.signature = bad_sig.to_owned();
            assert!(!s.verify(&pk));
        }
    }

    #[test]
    fn unknown_envelope_fields_are_refused_at_parse_time() {
        let mut v = serde_json::to_value(request()).unwrap();
        v["envelope"]["priority"] = serde_json::json!("high");
        assert!(serde_json::from_value::<Request>(v).is_err());
    }

    #[test]
    fn optional_envelope_fields_may_be_omitted() {
        let json = r#"{"envelope":{"request_ref":"R","agency":"A","signer":"s"},"subjects":[{"subject_id":"S"}]}"#;
        let r: Request = serde_json::from_str(json).unwrap();
        assert_eq!(r.envelope.legal_basis, None);
        assert!(r.envelope.recipients.is_empty());
        assert_eq!(r.subjects[0].street, None);
    }

    #[test]
    fn legal_basis_parses_common_spellings() {
        assert_eq!(LegalBasis::parse("i2"), Some(LegalBasis::I2));
        assert_eq!(LegalBasis::parse("(i)(2)"), Some(LegalBasis::I2));
        assert_eq!(LegalBasis::parse("§ 6103(i)(1)"), Some(LegalBasis::I1));
        assert_eq!(LegalBasis::parse("I5"), Some(LegalBasis::I5));
        assert_eq!(LegalBasis::parse("i3"), None);
        assert_eq!(LegalBasis::parse(""), None);
    }

    #[test]
    fn matters_count_distinct_case_numbers_and_each_subject_without_one() {
        let mut r = request();
        assert_eq!(r.matters(), 2);
        r.subjects[1].case_number = r.subjects[0].case_number.clone();
        assert_eq!(r.matters(), 1);
        r.subjects.push(SubjectEntry {
            subject_id: "S3".into(),
            ..SubjectEntry::default()
        });
        assert_eq!(r.matters(), 2);
    }

    #[test]
    fn a_subject_entry_debug_form_shows_no_personal_value() {
        let text = format!("{:?}", subject("S1"));
        assert!(text.contains("S1") && text.contains("[redacted]"));
        for secret in ["Ana", "Main", "62704", "1984"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn to_contract_carries_identity_and_address() {
        let s = subject("S1");
        let c = s.to_contract();
        assert_eq!(c.subject_id, "S1");
        assert_eq!(c.zip.as_deref(), Some("62704"));
        assert_eq!(c.family_name, s.family_name);
    }
}
