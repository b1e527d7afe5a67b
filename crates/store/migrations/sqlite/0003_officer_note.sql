-- A disclosure officer's rationale for accepting or rejecting a held request (free text,
-- so sealed like every other value that may hold personal data).
ALTER TABLE requests ADD COLUMN officer_note BLOB;
