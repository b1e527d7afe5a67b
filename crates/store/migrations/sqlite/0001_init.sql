-- crosscheck schema v1 (SQLite). Personal data lives only in `sealed` columns
-- (XChaCha20-Poly1305, key outside the database) and as HMACs (`*_mac`).

CREATE TABLE taxpayer_returns (
    return_id TEXT PRIMARY KEY,
    tin_mac TEXT NOT NULL,
    tax_year BIGINT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX taxpayer_returns_tin ON taxpayer_returns (tin_mac);

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE signers (
    id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    agency TEXT,
    password_hash TEXT,
    active BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);

CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    configured_by TEXT,
    state TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    subjects BIGINT NOT NULL,
    gate TEXT NOT NULL,
    sealed BLOB NOT NULL,
    UNIQUE (agency, idempotency_key)
);

CREATE TABLE subjects (
    request_id TEXT NOT NULL REFERENCES requests (id),
    position BIGINT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT NOT NULL,
    assigned_to TEXT,
    determined_by TEXT,
    reason_code TEXT,
    tin_mac TEXT,
    sealed BLOB NOT NULL,
    response BLOB,
    PRIMARY KEY (request_id, position)
);
CREATE INDEX subjects_queue ON subjects (assigned_to, state);

CREATE TABLE official_matters (
    agency TEXT NOT NULL,
    official_mac TEXT NOT NULL,
    matters BIGINT NOT NULL,
    PRIMARY KEY (agency, official_mac)
);

CREATE TABLE account_flags (
    tin_mac TEXT PRIMARY KEY,
    note TEXT NOT NULL
);

CREATE TABLE ledger_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO ledger_head (id, size) VALUES (1, 0);

CREATE TABLE ledger_entries (
    seq BIGINT PRIMARY KEY,
    body BLOB NOT NULL,
    receipt BLOB NOT NULL
);

CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE releases (
    request_id TEXT NOT NULL REFERENCES requests (id),
    position BIGINT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_ms BIGINT NOT NULL,
    PRIMARY KEY (request_id, position, approved_by)
);

CREATE TABLE end_of_use (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    due_ms BIGINT NOT NULL,
    certified_ms BIGINT,
    certification TEXT
);

CREATE TABLE misidentification_reports (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    position BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    sealed BLOB NOT NULL
);
