-- Subjects each agency submitted per UTC day (the daily volume guard, RULES 35), kept by
-- `insert_request` in the request's own transaction so that checking the guard reads one
-- row instead of summing every request of the day.
CREATE TABLE agency_daily_subjects (
    agency TEXT NOT NULL,
    day_ms BIGINT NOT NULL,
    subjects BIGINT NOT NULL,
    PRIMARY KEY (agency, day_ms)
);
INSERT INTO agency_daily_subjects (agency, day_ms, subjects)
SELECT agency, created_ms - (created_ms % 86400000), SUM(subjects)
FROM requests
GROUP BY agency, created_ms - (created_ms % 86400000);
