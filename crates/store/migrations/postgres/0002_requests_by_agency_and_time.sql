-- The daily volume guard (RULES 35) sums an agency's subjects since midnight on every intake.
CREATE INDEX requests_agency_created ON requests (agency, created_ms);
