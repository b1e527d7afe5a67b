//! The authorization matrix (RELIABILITY D1): every route of `api::ROUTES` × every role and
//! the unauthenticated caller. The table below is the specification; a route without a row
//! (or a row without a route) fails the test.

use serde_json::{Value, json};

use crosscheck_gateway::{
    Agency, Agreement, Safeguards, SignerRecord, SignerRole, envelope::public_key_hex, sign,
};
use crosscheck_web::api::ROUTES;
use crosscheck_web::demo;

use crate::helpers::{Auth, Backend, TestApp, shared};

/// The callers, in the column order of [`EXPECTED`].
const CALLERS: [&str; 7] = [
    "unauthenticated",
    "requester",
    "other-agency requester",
    "reviewer",
    "disclosure officer",
    "auditor",
    "admin",
];

/// Expected status per route and caller (columns as [`CALLERS`]). Objects in paths are: a
/// released request of the demo agency (request routes), a decided one (release), a held
/// one (decision), an item in reviewer-1's queue (review items), another agency (holds and
/// agencies), a fresh user (users). 404 on an object route is the answer for both "absent"
/// and "not yours".
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, [u16; 7])] = &[
    //                                                   unauth req  other rev  off  aud  admin
    ("GET",    "/healthz",                               [200, 200, 200, 200, 200, 200, 200]),
    ("GET",    "/metrics",                               [200, 200, 200, 200, 200, 200, 200]),
    ("GET",    "/api/openapi.json",                      [200, 200, 200, 200, 200, 200, 200]),
    ("POST",   "/api/login",                             [200, 200, 200, 200, 200, 200, 200]),
    ("POST",   "/api/logout",                            [401, 204, 204, 204, 204, 204, 204]),
    ("POST",   "/api/requests",                          [401, 201, 422, 403, 403, 403, 403]),
    ("POST",   "/api/requests/batch",                    [401, 201, 422, 403, 403, 403, 403]),
    ("GET",    "/api/requests",                          [401, 200, 200, 403, 200, 200, 403]),
    ("GET",    "/api/end-of-use/overdue",                [401, 200, 200, 403, 200, 200, 403]),
    ("GET",    "/api/requests/{id}",                     [401, 200, 404, 404, 200, 200, 404]),
    ("GET",    "/api/requests/{id}/response",            [401, 200, 404, 404, 404, 404, 404]),
    ("POST",   "/api/requests/{id}/end-of-use",          [401, 200, 404, 404, 404, 404, 404]),
    ("POST",   "/api/requests/{id}/misidentification",   [401, 204, 404, 404, 404, 404, 404]),
    ("POST",   "/api/requests/{id}/decision",            [401, 404, 404, 404, 200, 404, 404]),
    ("POST",   "/api/requests/{id}/release",             [401, 403, 404, 404, 200, 403, 404]),
    ("GET",    "/api/review/queue",                      [401, 403, 403, 200, 403, 403, 403]),
    ("GET",    "/api/review/items/{id}",                 [401, 404, 404, 200, 404, 404, 404]),
    ("POST",   "/api/review/items/{id}/decision",        [401, 404, 404, 204, 404, 404, 404]),
    ("GET",    "/api/admin/agencies",                    [401, 403, 403, 403, 200, 403, 200]),
    ("PUT",    "/api/admin/agencies/{id}",               [401, 403, 403, 403, 200, 403, 200]),
    ("POST",   "/api/admin/agencies/{id}/hold",          [401, 403, 403, 403, 200, 403, 200]),
    ("DELETE", "/api/admin/agencies/{id}/hold",          [401, 403, 403, 403, 200, 403, 200]),
    ("PUT",    "/api/admin/signers/{id}",                [401, 403, 403, 403, 200, 403, 200]),
    ("POST",   "/api/admin/flags",                       [401, 403, 403, 403, 204, 403, 204]),
    ("GET",    "/api/admin/users",                       [401, 403, 403, 403, 403, 403, 200]),
    ("PUT",    "/api/admin/users/{id}",                  [401, 403, 403, 403, 403, 403, 200]),
    ("POST",   "/api/admin/users/{id}/tokens",           [401, 403, 403, 403, 403, 403, 200]),
    ("GET",    "/api/ledger/checkpoint",                 [401, 403, 403, 403, 403, 200, 403]),
    ("GET",    "/api/ledger/proof",                      [401, 403, 403, 403, 403, 200, 403]),
    ("POST",   "/api/ledger/verify",                     [401, 403, 403, 403, 403, 200, 403]),
    ("POST",   "/api/accounting/taxpayer",               [401, 403, 403, 403, 403, 200, 403]),
    ("GET",    "/api/accounting/agencies",               [401, 403, 403, 403, 403, 200, 403]),
];

/// Order in which callers are tried on each route: those a change would affect last, so
/// every denied attempt meets the object in its prepared state.
const ORDER: [usize; 7] = [0, 2, 3, 5, 6, 4, 1];

const OTHER_AGENCY: &str = "other-agency";
const NOBODY: &str = "rq-0000000000000000";

fn agency(id: &str) -> Value {
    json!(Agency {
        id: id.into(),
        name: "Other Enforcement Agency".into(),
        address: "2 Other Plaza, Washington, DC 20002".into(),
        agreement: Agreement::example(id),
        safeguards: Safeguards {
            ssr_accepted: true,
            open_findings: 0,
            open_findings_with_accepted_plan: 0,
        },
        hold: None,
    })
}

/// The objects the matrix acts on.
struct Objects {
    released: String,
    disclosed_position: u64,
    decided: String,
    confirmed: Vec<u64>,
    held: String,
    item: String,
}

async fn prepare(app: &TestApp) -> (Objects, Vec<Auth>) {
    let admin = app.token("admin");
    let officer = app.token("officer");
    app.put(
        &format!("/api/admin/agencies/{OTHER_AGENCY}"),
        &admin,
        &agency(OTHER_AGENCY),
    )
    .await
    .expect(200);
    for (user, role, agency) in [
        ("other-requester", "requester", Some(OTHER_AGENCY)),
        ("matrix-user", "auditor", None),
    ] {
        app.put(
            &format!("/api/admin/users/{user}"),
            &admin,
            &json!({"role": role, "agency": agency}),
        )
        .await
        .expect(200);
    }
    let other = app
        .post(
            "/api/admin/users/other-requester/tokens",
            &admin,
            &json!({}),
        )
        .await;
    other.expect(200);
    let other = Auth::Bearer(other.json()["token"].as_str().unwrap().to_string());

    // A released request (with one disclosure), a decided one, one in review.
    let rel = app.decided_request("M-REL", 120, 5).await;
    app.release(&rel.id, &rel.confirmed()).await.expect(200);
    let dec = app.decided_request("M-DEC", 130, 5).await;
    let rev = app.submit("M-REV", &shared().filers(140, 6)).await;
    let rev_id = rev["id"].as_str().unwrap();
    let item = app
        .items_of(rev_id)
        .await
        .into_iter()
        .find(|(_, reviewer)| reviewer == "reviewer-1")
        .map(|(item, _)| item)
        .expect("an item in reviewer-1's queue");

    // A held request: signed by a component head, which disclosure counsel decides (rule 4).
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    app.put(
        "/api/admin/signers/component-head",
        &officer,
        &json!(SignerRecord {
            id: "component-head".into(),
            agency: demo::AGENCY.into(),
            name: "Component Head".into(),
            role: SignerRole::ComponentHead,
            public_key: public_key_hex(&key),
            active: true,
        }),
    )
    .await
    .expect(200);
    let mut request = demo::request("M-HELD", &shared().filers(150, 1));
    request.envelope.signer = "component-head".into();
    let body = json!(sign(request, &key)).to_string();
    let held = app
        .call(
            "POST",
            "/api/requests",
            &app.token("requester"),
            &[("idempotency-key", "m-held")],
            Some(body.into_bytes()),
        )
        .await;
    held.expect(201);
    assert_eq!(held.json()["state"], "held", "{}", held.text);

    let callers = vec![
        Auth::None,
        app.token("requester"),
        other,
        app.token("reviewer-1"),
        officer,
        app.token("auditor"),
        admin,
    ];
    let objects = Objects {
        released: rel.id.clone(),
        disclosed_position: rel.confirmed()[0],
        decided: dec.id.clone(),
        confirmed: dec.confirmed(),
        held: held.json()["id"].as_str().unwrap().to_string(),
        item,
    };
    (objects, callers)
}

/// The concrete call for a route: path, extra headers, body.
fn concrete(
    app: &TestApp,
    o: &Objects,
    method: &str,
    path: &str,
    n: usize,
) -> (String, Vec<(String, String)>, Option<Value>) {
    let key = vec![("idempotency-key".to_string(), format!("matrix-{n}"))];
    let (id, body): (&str, Option<Value>) = match (method, path) {
        ("POST", "/api/login") => (
            "",
            Some(json!({"user": "auditor", "password": app.password("auditor")})),
        ),
        ("POST", "/api/requests") => {
            let r = demo::request(&format!("M-NEW-{n}"), &shared().filers(160, 1));
            return (path.into(), key, Some(app.signed(r)));
        }
        ("POST", "/api/requests/batch") => {
            let r = demo::request(&format!("M-BATCH-{n}"), &shared().filers(161, 1));
            let signed = app.signed(r.clone());
            let jsonl: Vec<String> = r
                .subjects
                .iter()
                .map(|s| serde_json::to_string(s).unwrap())
                .collect();
            let body = json!({
                "envelope": signed["request"]["envelope"],
                "subjects_jsonl": jsonl.join("\n"),
                "signature": signed["signature"],
            });
            return (path.into(), key, Some(body));
        }
        ("GET", "/api/requests/{id}") | ("GET", "/api/requests/{id}/response") => {
            (&o.released, None)
        }
        ("POST", "/api/requests/{id}/end-of-use") => {
            (&o.released, Some(json!({"certification": "destroyed"})))
        }
        ("POST", "/api/requests/{id}/misidentification") => (
            &o.released,
            Some(json!({"position": o.disclosed_position, "note": "wrong person"})),
        ),
        ("POST", "/api/requests/{id}/decision") => {
            (&o.held, Some(json!({"accept": false, "note": "matrix"})))
        }
        ("POST", "/api/requests/{id}/release") => {
            (&o.decided, Some(json!({"approve": o.confirmed})))
        }
        ("GET", "/api/review/items/{id}") => (&o.item, None),
        ("POST", "/api/review/items/{id}/decision") => (
            &o.item,
            Some(json!({"decision": "refute", "reason_code": "insufficient_evidence"})),
        ),
        ("PUT", "/api/admin/agencies/{id}") => (OTHER_AGENCY, Some(agency(OTHER_AGENCY))),
        ("POST", "/api/admin/agencies/{id}/hold") => (
            OTHER_AGENCY,
            Some(json!({"order_ref": "matrix order", "since": "2026-02-05"})),
        ),
        ("DELETE", "/api/admin/agencies/{id}/hold") => (OTHER_AGENCY, None),
        ("PUT", "/api/admin/signers/{id}") => {
            let key = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
            (
                "other-signer",
                Some(json!(SignerRecord {
                    id: "other-signer".into(),
                    agency: OTHER_AGENCY.into(),
                    name: "Other Head".into(),
                    role: SignerRole::AgencyHead,
                    public_key: public_key_hex(&key),
                    active: true,
                })),
            )
        }
        ("POST", "/api/admin/flags") => ("", Some(json!({"tin": "123-45-6789", "note": null}))),
        ("PUT", "/api/admin/users/{id}") => ("matrix-user", Some(json!({"role": "auditor"}))),
        ("POST", "/api/admin/users/{id}/tokens") => ("matrix-user", Some(json!({}))),
        ("GET", "/api/ledger/proof") => {
            return ("/api/ledger/proof?entry=0&size=1".into(), vec![], None);
        }
        ("POST", "/api/accounting/taxpayer") => ("", Some(json!({"tin": "123-45-6789"}))),
        (m, _) if m != "GET" => ("", Some(json!({}))),
        _ => ("", None),
    };
    (path.replace("{id}", id), vec![], body)
}

async fn every_route_answers_every_role_as_the_matrix_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // The table and the route table name the same routes.
    let mut problems = Vec::new();
    for r in ROUTES {
        if !EXPECTED
            .iter()
            .any(|(m, p, _)| *m == r.method && *p == r.path)
        {
            problems.push(format!(
                "route {} {} has no row in EXPECTED",
                r.method, r.path
            ));
        }
    }
    for (m, p, row) in EXPECTED {
        match ROUTES.iter().find(|r| r.method == *m && r.path == *p) {
            None => problems.push(format!("row {m} {p} names no route")),
            Some(r) if r.authenticated && row[0] != 401 => problems.push(format!(
                "{m} {p} is authenticated: unauthenticated must be 401"
            )),
            Some(_) => {}
        }
        let requester_reaches = row[1] < 400 || row[2] < 400;
        let custodian_only = [
            "/api/review",
            "/api/admin",
            "/api/ledger",
            "/api/accounting",
        ]
        .iter()
        .any(|prefix| p.starts_with(prefix));
        if custodian_only && requester_reaches {
            problems.push(format!("{m} {p}: a requester reaches a custodian route"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    let (objects, callers) = prepare(&app).await;
    let mut mismatches = Vec::new();
    let mut n = 0;
    for route in ROUTES {
        let (_, _, row) = EXPECTED
            .iter()
            .find(|(m, p, _)| *m == route.method && *p == route.path)
            .expect("checked above");
        for c in ORDER {
            n += 1;
            let (path, headers, body) = concrete(&app, &objects, route.method, route.path, n);
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let r = app
                .call(
                    route.method,
                    &path,
                    &callers[c],
                    &headers,
                    body.map(|b| b.to_string().into_bytes()),
                )
                .await;
            if r.status != row[c] {
                mismatches.push(format!(
                    "{} {} as {}: expected {}, got {} {}",
                    route.method, route.path, CALLERS[c], row[c], r.status, r.text
                ));
            }
            if r.status >= 400 {
                let v = r.json();
                if !(v["code"].is_string() && v["message"].is_string()) {
                    mismatches.push(format!("{} {}: error body {}", route.method, path, r.text));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");

    // Another agency's request answers exactly as a request that does not exist.
    let other = &callers[2];
    for (method, suffix, body) in [
        ("GET", "", None),
        ("GET", "/response", None),
        (
            "POST",
            "/end-of-use",
            Some(json!({"certification": "destroyed"})),
        ),
        ("POST", "/misidentification", Some(json!({"position": 0}))),
    ] {
        let mut answers = Vec::new();
        for id in [objects.released.as_str(), objects.decided.as_str(), NOBODY] {
            let r = app
                .call(
                    method,
                    &format!("/api/requests/{id}{suffix}"),
                    other,
                    &[],
                    body.as_ref().map(|b| b.to_string().into_bytes()),
                )
                .await;
            answers.push((r.status, r.text));
        }
        assert_eq!(answers[0], answers[2], "{method} {suffix}");
        assert_eq!(answers[1], answers[2], "{method} {suffix}");
        assert_eq!(answers[2].0, 404);
    }
    let listed = app.get("/api/requests", other).await.json();
    let own: Vec<&Value> = listed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["agency"] != OTHER_AGENCY)
        .collect();
    assert!(own.is_empty(), "another agency's requests listed: {own:?}");

    // Revoking a user takes effect on their next request.
    let token = app
        .post(
            "/api/admin/users/matrix-user/tokens",
            &app.token("admin"),
            &json!({}),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let matrix_user = Auth::Bearer(token);
    app.get("/api/ledger/checkpoint", &matrix_user)
        .await
        .expect(200);
    app.put(
        "/api/admin/users/matrix-user",
        &app.token("admin"),
        &json!({"role": "auditor", "active": false}),
    )
    .await
    .expect(200);
    app.get("/api/ledger/checkpoint", &matrix_user)
        .await
        .expect(401);
    app.stop().await;
}

/// Percent-encodes everything but ASCII letters, digits, `-` and `_` (a path segment).
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// RELIABILITY D2: from another agency, 1,000 guessed, enumerated and malformed ids per
/// object route. Nothing succeeds, and another agency's real request answers byte for byte
/// as a request that does not exist (so probing cannot even confirm that an id exists).
async fn another_agency_probing_object_ids_learns_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (objects, callers) = prepare(&app).await;
    let other = &callers[2];
    let real: Vec<String> =
        app.get("/api/requests", &app.token("officer")).await.json()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["agency"] == demo::AGENCY)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
    assert!(real.len() >= 4, "{real:?}");

    let mut ids: Vec<String> = real.clone();
    for r in &real {
        ids.push(r.to_uppercase());
        ids.push(format!("{r}0"));
        ids.push(format!("{r} "));
        ids.push(r[..r.len() - 1].to_string());
    }
    ids.extend(
        [
            "..",
            "../requests",
            "rq-' OR '1'='1",
            "rq-%",
            "rq-\u{e9}",
            "*",
            "rq-*",
            "0",
            "-1",
        ]
        .map(String::from),
    );
    ids.push(format!("rq-{}", "a".repeat(500)));
    for n in 0..200u64 {
        ids.push(format!("rq-{n:016x}"));
    }
    while ids.len() < 1_000 {
        ids.push(format!(
            "rq-{}",
            hex::encode(&crosscheck_store::random_32()[..8])
        ));
    }

    let routes: [(&str, &str, Option<Value>); 4] = [
        ("GET", "", None),
        ("GET", "/response", None),
        (
            "POST",
            "/end-of-use",
            Some(json!({"certification": "destroyed"})),
        ),
        ("POST", "/misidentification", Some(json!({"position": 0}))),
    ];
    let mut successes = Vec::new();
    for (method, suffix, body) in &routes {
        let call = |id: String| {
            let app = &app;
            let body = body.as_ref().map(|b| b.to_string().into_bytes());
            async move {
                app.call(
                    method,
                    &format!("/api/requests/{}{suffix}", segment(&id)),
                    other,
                    &[],
                    body,
                )
                .await
            }
        };
        let absent = call(NOBODY.to_string()).await;
        assert_eq!(absent.status, 404);
        for id in &ids {
            let r = call(id.clone()).await;
            if (200..300).contains(&r.status) {
                successes.push(format!("{method} {id}{suffix}: {}", r.status));
            }
            let well_formed = id.starts_with("rq-")
                && id.len() == NOBODY.len()
                && id[3..]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            if well_formed {
                assert_eq!(
                    (r.status, &r.text),
                    (absent.status, &absent.text),
                    "{method} {id}{suffix} answers unlike an absent request"
                );
            } else {
                assert!(r.status >= 400, "{method} {id}{suffix}: {}", r.status);
            }
        }
    }
    // A reviewer probing review items: another reviewer's real items answer as absent ones.
    let reviewer = app.token("reviewer-2");
    let mut theirs = Vec::new();
    for id in &real {
        theirs.extend(
            app.items_of(id)
                .await
                .into_iter()
                .filter(|(_, r)| r == "reviewer-1")
                .map(|(item, _)| item),
        );
    }
    assert!(theirs.contains(&objects.item));
    let absent = app
        .get(&format!("/api/review/items/{NOBODY}.0"), &reviewer)
        .await;
    assert_eq!(absent.status, 404);
    let mut probes = theirs.clone();
    for n in 0..(1_000 - theirs.len()) {
        let request = &real[n % real.len()];
        probes.push(format!("{request}.{}", 1_000 + n));
    }
    for item in &probes {
        let r = app
            .get(&format!("/api/review/items/{item}"), &reviewer)
            .await;
        assert_eq!(
            (r.status, &r.text),
            (absent.status, &absent.text),
            "GET item {item} answers unlike an absent item"
        );
    }
    assert!(successes.is_empty(), "{successes:#?}");
    // The probes changed nothing of the real requests.
    let released = app.request_view(&objects.released).await;
    assert_eq!(released["state"], "released");
    app.stop().await;
}

on_both_backends!(
    every_route_answers_every_role_as_the_matrix_says,
    another_agency_probing_object_ids_learns_nothing,
);
