-- When an overdue end-of-use certification was escalated to the disclosure office (RULES 27):
-- set once, in the transaction that writes the `end_of_use.overdue` ledger entry.
ALTER TABLE end_of_use ADD COLUMN escalated_ms BIGINT;
