//! The OpenAPI document describes what the server really takes and sends: bodies from a real
//! flow are checked against the schemas the server publishes at `/api/openapi.json`.
//!
//! The checker covers the subset of OpenAPI 3.0 schemas that `schemars` writes (`$ref`,
//! `type`, `nullable`, `properties`, `required`, `additionalProperties: false`, `items`,
//! `enum`, `oneOf`, `anyOf`, `allOf`); an unknown keyword is ignored, never a pass by accident
//! of a typo in the document, because every body checked here also has required fields.

use serde_json::Value;

use crate::helpers::{Auth, TestApp};

/// The document as the server publishes it.
pub struct Spec(Value);

impl Spec {
    /// The document as this build generates it (what the server publishes).
    pub fn generated() -> Spec {
        Spec(crosscheck_web::openapi::document())
    }

    pub async fn fetch(app: &TestApp) -> Spec {
        let r = app.get("/api/openapi.json", &Auth::None).await;
        r.expect(200);
        Spec(r.json())
    }

    fn operation(&self, method: &str, path: &str) -> &Value {
        let op = &self.0["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "no {method} {path} in the document");
        op
    }

    /// Panics unless `body` conforms to the request body schema of `method path`.
    pub fn takes(&self, method: &str, path: &str, body: &Value) {
        let schema =
            &self.operation(method, path)["requestBody"]["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} publishes no body schema"
        );
        self.conforms(&format!("{method} {path} body"), schema, body);
    }

    /// Panics unless `body` conforms to the `status` answer schema of `method path`.
    pub fn answers(&self, method: &str, path: &str, status: u16, body: &Value) {
        let schema = &self.operation(method, path)["responses"][status.to_string()]["content"]["application/json"]
            ["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} publishes no schema for {status}"
        );
        self.conforms(&format!("{method} {path} {status}"), schema, body);
    }

    fn conforms(&self, what: &str, schema: &Value, v: &Value) {
        let mut problems = Vec::new();
        self.check(schema, v, "$", &mut problems);
        assert!(
            problems.is_empty(),
            "{what} does not match the published schema: {problems:#?}\nbody: {v}"
        );
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("a reference outside the components: {r}"));
                let target = &self.0["components"]["schemas"][name];
                assert!(target.is_object(), "a dangling reference: {r}");
                self.resolve(target)
            }
            None => schema,
        }
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if v.is_null() && schema["nullable"] == true {
            return;
        }
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                self.check(s, v, at, problems);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema[key].as_array() {
                let fits = options
                    .iter()
                    .filter(|s| {
                        let mut p = Vec::new();
                        self.check(s, v, at, &mut p);
                        p.is_empty()
                    })
                    .count();
                let ok = if key == "oneOf" { fits == 1 } else { fits >= 1 };
                if !ok {
                    problems.push(format!("{at}: fits {fits} of the {key} options"));
                }
            }
        }
        if let Some(values) = schema["enum"].as_array()
            && !values.contains(v)
        {
            problems.push(format!("{at}: {v} is not one of {values:?}"));
        }
        let type_ok = match schema["type"].as_str() {
            None => true,
            Some("object") => v.is_object(),
            Some("array") => v.is_array(),
            Some("string") => v.is_string(),
            Some("integer") => v.is_i64() || v.is_u64(),
            Some("number") => v.is_number(),
            Some("boolean") => v.is_boolean(),
            Some(other) => {
                problems.push(format!("{at}: unknown type {other}"));
                return;
            }
        };
        if !type_ok {
            problems.push(format!("{at}: {v} is not of type {}", schema["type"]));
            return;
        }
        if let Some(object) = v.as_object() {
            let properties = schema["properties"].as_object();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    problems.push(format!("{at}: required `{name}` is missing"));
                }
            }
            for (name, value) in object {
                match properties.and_then(|p| p.get(name)) {
                    Some(s) => self.check(s, value, &format!("{at}.{name}"), problems),
                    None if schema["additionalProperties"] == false => {
                        problems.push(format!("{at}: `{name}` is not in the schema"));
                    }
                    None => {
                        if let Some(s) = schema["additionalProperties"].as_object() {
                            self.check(
                                &Value::Object(s.clone()),
                                value,
                                &format!("{at}.{name}"),
                                problems,
                            );
                        }
                    }
                }
            }
        }
        if let (Some(items), Some(schema)) = (v.as_array(), schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.check(schema, item, &format!("{at}[{i}]"), problems);
            }
        }
    }
}

fn refused(f: impl FnOnce() + std::panic::UnwindSafe) -> bool {
    std::panic::catch_unwind(f).is_err()
}

/// The checker itself bites: bodies that differ from the document are refused.
#[test]
fn bodies_that_differ_from_the_published_schemas_are_refused() {
    let spec = Spec::generated();
    let view = serde_json::json!({
        "id": "rq-1", "agency": "a", "state": "in_review", "created_ms": 1,
        "findings": [], "subjects": []
    });
    spec.answers("GET", "/api/requests/{id}", 200, &view);
    let mut missing = view.clone();
    missing.as_object_mut().unwrap().remove("state");
    assert!(refused(|| spec.answers(
        "GET",
        "/api/requests/{id}",
        200,
        &missing
    )));
    let mut wrong = view.clone();
    wrong["created_ms"] = "yesterday".into();
    assert!(refused(|| spec.answers(
        "GET",
        "/api/requests/{id}",
        200,
        &wrong
    )));
    // A file-level approval is not in the release body (RULES 7), and the body refuses
    // unknown fields.
    spec.takes(
        "POST",
        "/api/requests/{id}/release",
        &serde_json::json!({"approve": [0, 2]}),
    );
    assert!(refused(|| spec.takes(
        "POST",
        "/api/requests/{id}/release",
        &serde_json::json!({"approve": [], "all": true})
    )));
    // A reason code outside the published list.
    let finding = serde_json::json!({
        "rule": 9, "code": "made_up", "action": "reject", "field": null, "message": "m"
    });
    let mut with_finding = view.clone();
    with_finding["findings"] = serde_json::json!([finding]);
    assert!(refused(|| spec.answers(
        "GET",
        "/api/requests/{id}",
        200,
        &with_finding
    )));
    with_finding["findings"][0]["code"] = "address_incomplete".into();
    spec.answers("GET", "/api/requests/{id}", 200, &with_finding);
}

/// Every reference in the document resolves, every route has its success answer, and every
/// POST or PUT publishes its body's schema unless it is one of the few that take none.
#[test]
fn every_reference_resolves_and_every_body_is_described() {
    let spec = Spec::generated();
    let text = spec.0.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let name = r.split('"').next().unwrap();
        spec.resolve(&serde_json::json!({ "$ref": name }));
    }
    for r in crosscheck_web::api::ROUTES {
        let op = spec.operation(r.method, r.path);
        let described = op["requestBody"]["content"]["application/json"]["schema"].is_object();
        let bodiless = [
            "/api/logout",
            "/api/ledger/verify",
            "/api/admin/users/{id}/tokens",
        ];
        if matches!(r.method, "POST" | "PUT") && !bodiless.contains(&r.path) {
            assert!(
                described,
                "{} {} publishes no body schema",
                r.method, r.path
            );
        }
        assert!(
            op["responses"][r.status.to_string()].is_object(),
            "{} {} has no success answer",
            r.method,
            r.path
        );
    }
}
