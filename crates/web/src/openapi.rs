//! The OpenAPI 3 document, generated from the route table ([`crate::api::ROUTES`]), the
//! error-code table ([`crate::error::CODES`]) and the JSON schemas of the types the handlers
//! take and answer with (derived with `schemars`, so a field added to a type appears here).

use serde_json::{Map, Value, json};

use crate::api::ROUTES;
use crate::error::CODES;

/// The document served at `/api/openapi.json`.
pub fn document() -> Value {
    let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
    let mut body = |f: crate::api::SchemaFn| -> Value {
        let mut schema = f(&mut generator);
        for t in generator.transforms_mut() {
            t.transform(&mut schema);
        }
        schema.to_value()
    };
    let mut paths = Map::new();
    for r in ROUTES {
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(r.query.iter().map(|name| {
            json!({"name": name, "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}})
        }));
        let mut responses = Map::new();
        let success = match (r.status, r.answers) {
            (204, _) => json!({"description": "success, no body"}),
            (_, Some(f)) => {
                json!({"description": "success", "content": {"application/json": {"schema": body(f)}}})
            }
            (_, None) => {
                json!({"description": "success", "content": {"text/plain": {"schema": {"type": "string"}}}})
            }
        };
        responses.insert(r.status.to_string(), success);
        if r.status == 201 {
            responses.insert(
                "200".into(),
                json!({"description": "a retry with the same Idempotency-Key and body: the first request", "content": {"application/json": {"schema": body(r.answers.expect("a 201 route answers with a body"))}}}),
            );
        }
        for (code, status, meaning) in CODES {
            let key = status.to_string();
            let entry = responses.entry(key).or_insert_with(|| {
                json!({"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
            });
            let d = entry["description"].as_str().unwrap_or("").to_string();
            entry["description"] = Value::String(if d.is_empty() {
                format!("{code}: {meaning}")
            } else {
                format!("{d}; {code}: {meaning}")
            });
        }
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{}_{}", r.method.to_lowercase(), r.path.trim_start_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if let Some(f) = r.takes {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": body(f)}}});
        }
        if r.authenticated {
            op["security"] = json!([{"bearer": []}, {"session": []}]);
        }
        if let Some(action) = r.action {
            op["x-crosscheck-action"] = Value::String(action.as_str().to_string());
        }
        let item = paths
            .entry(r.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        item[r.method.to_lowercase()] = op;
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": CODES.iter().map(|c| c.0).collect::<Vec<_>>()},
                "message": {"type": "string"},
                "correlation_id": {"type": "string"}
            }
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "crosscheck gateway API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Signed requests, the legal gate, matching, per-record review and minimal release. Every change is recorded in a tamper-evident ledger."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE}
            },
            "schemas": schemas
        }
    })
}
