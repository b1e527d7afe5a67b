//! A ready-to-use registry for demonstrations, tests and benchmarks: one requesting agency
//! with the example (i)(2) agreement, its authorized signer, one account per role, and a
//! helper that turns subjects into a well-formed request envelope.

use ed25519_dalek::SigningKey;

use crosscheck_contract::Subject;
use crosscheck_gateway::{
    Agency, Agreement, Envelope, Recipient, Request, Safeguards, SignerRecord, SignerRole,
    SubjectEntry,
};
use crosscheck_store::registry::User;

use crate::AppState;
use crate::auth::{Caller, Via, hash_password, new_secret, secret_hash};
use crate::error::{ApiError, ApiResult};
use crate::service::draft;

/// The demo agency's id.
pub const AGENCY: &str = "demo-agency";
/// The demo signer's id.
pub const SIGNER: &str = "demo-agency-head";

/// What [`seed`] created.
pub struct Accounts {
    /// (role, user id, password) for every account.
    pub people: Vec<(String, String, String)>,
    /// The requester's API token (agency systems use tokens).
    pub requester_token: String,
    /// The agency head's signing key (a real agency keeps it; the demo prints its file).
    pub signer_key: SigningKey,
}

/// Creates the demo agency, its signer (private key from `signer_seed`) and one account per
/// role (two reviewers), each with a random password; every change is a ledger entry.
pub async fn seed(
    state: &AppState,
    signer_seed: [u8; 32],
    with_passwords: bool,
) -> ApiResult<Accounts> {
    let signer_key = SigningKey::from_bytes(&signer_seed);
    let agency = Agency {
        id: AGENCY.into(),
        name: "Demo Enforcement Agency".into(),
        address: "1 Demo Plaza, Washington, DC 20001".into(),
        agreement: Agreement::example(AGENCY),
        safeguards: Safeguards {
            ssr_accepted: true,
            open_findings: 0,
            open_findings_with_accepted_plan: 0,
        },
        hold: None,
    };
    let signer = SignerRecord {
        id: SIGNER.into(),
        agency: AGENCY.into(),
        name: "Demo Agency Head".into(),
        role: SignerRole::AgencyHead,
        public_key: hex::encode(signer_key.verifying_key().to_bytes()),
        active: true,
    };
    let roles = [
        ("admin", "admin", None),
        ("disclosure_officer", "officer", None),
        ("reviewer", "reviewer-1", None),
        ("reviewer", "reviewer-2", None),
        ("auditor", "auditor", None),
        ("requester", "requester", Some(AGENCY)),
    ];
    let mut people = Vec::new();
    let mut users = Vec::new();
    for (role, id, agency) in roles {
        let password = new_secret()[..20].to_string();
        let hash = if with_passwords {
            let p = password.clone();
            Some(
                tokio::task::spawn_blocking(move || hash_password(&p))
                    .await
                    .map_err(ApiError::internal)??,
            )
        } else {
            None
        };
        users.push(User {
            id: id.into(),
            role: role.into(),
            agency: agency.map(str::to_string),
            password_hash: hash,
            active: true,
        });
        people.push((role.to_string(), id.to_string(), password));
    }
    let requester_token = new_secret();
    let mut tx = state.store.begin().await?;
    tx.put_agency(AGENCY, &agency).await?;
    tx.put_signer(SIGNER, AGENCY, &signer).await?;
    for u in &users {
        tx.put_user(u).await?;
    }
    tx.add_token(&secret_hash(&requester_token), "requester")
        .await?;
    tx.record(draft(
        "operator:demo",
        "registry.seeded",
        &[("agency", AGENCY)],
        "ok",
    ))
    .await?;
    tx.commit().await?;
    Ok(Accounts {
        people,
        requester_token,
        signer_key,
    })
}

/// A well-formed (i)(2) request for `subjects` under the demo agreement: each subject gets
/// its own reason and case number, as rules 6, 7 and 12 require.
pub fn request(request_ref: &str, subjects: &[Subject]) -> Request {
    Request {
        envelope: Envelope {
            request_ref: request_ref.into(),
            agency: AGENCY.into(),
            legal_basis: Some("i2".into()),
            data_class: Some("taxpayer_identity".into()),
            statute: Some("8 U.S.C. § 1253(a)(1)".into()),
            signer: SIGNER.into(),
            recipients: vec![Recipient {
                name: "Pat Investigator".into(),
                title: "Special Agent".into(),
                office_address: "1 Demo Plaza, Washington, DC 20001".into(),
                attests_personal_engagement: true,
            }],
            use_attestation: Some("criminal_investigation_only".into()),
            tax_years: vec!["2023".into(), "2024".into()],
            court_order: None,
        },
        subjects: subjects
            .iter()
            .enumerate()
            .map(|(i, s)| SubjectEntry {
                subject_id: s.subject_id.clone(),
                given_name: s.given_name.clone(),
                middle_name: s.middle_name.clone(),
                family_name: s.family_name.clone(),
                dob: s.dob.clone(),
                street: s.street.clone(),
                unit: s.unit.clone(),
                city: s.city.clone(),
                state: s.state.clone(),
                zip: s.zip.clone(),
                tin: s.tin.clone(),
                reason: Some(format!(
                    "Subject of criminal case {request_ref}-{i}: final order of removal; \
                     whereabouts needed to serve a warrant"
                )),
                case_number: Some(format!("{request_ref}-{i}")),
                removal_order_date: Some("2025-06-01".into()),
                ..SubjectEntry::default()
            })
            .collect(),
    }
}

impl AppState {
    /// The caller `user_id` as if authenticated (for the demo and batch tools that act on
    /// behalf of a registered user).
    pub async fn caller_for(&self, user_id: &str) -> ApiResult<Caller> {
        let user = self
            .store
            .user(user_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        Ok(Caller {
            principal: crosscheck_policy::Principal {
                id: user.id.clone(),
                role: crosscheck_policy::Role::parse(&user.role).map_err(ApiError::internal)?,
                agency: user.agency.clone(),
            },
            user,
            via: Via::Token(String::new()),
        })
    }
}
