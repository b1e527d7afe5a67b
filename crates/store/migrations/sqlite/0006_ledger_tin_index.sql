-- The accounting of one taxpayer (RULES 29) found through an index of the ledger entries that
-- carry that taxpayer's TIN HMAC, instead of decoding the whole ledger. The index is derived:
-- entries are the truth, `ledger verify` checks the index against them, and
-- `ledger_head.tins_indexed` says how far the index goes (the store catches up at start, so
-- a ledger written before this migration is indexed once).
CREATE TABLE ledger_tins (
    tin_mac TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (tin_mac, seq)
);
ALTER TABLE ledger_head ADD COLUMN tins_indexed BIGINT NOT NULL DEFAULT 0;
