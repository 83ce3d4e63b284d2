-- Credentials with a scope: a Postfach sender delivers only into its areas (ARS
-- prefixes, '*' for the whole federation); a form provider's credential serves
-- only its return channel. Senders whose configuration is gone are disabled.
ALTER TABLE postfach_senders ADD COLUMN kind TEXT NOT NULL DEFAULT 'postfach';
ALTER TABLE postfach_senders ADD COLUMN areas TEXT NOT NULL DEFAULT '';
ALTER TABLE postfach_senders ADD COLUMN disabled_at BIGINT;

-- The idempotency key compares the payload, too.
ALTER TABLE postfach_messages ADD COLUMN payload_sha256 TEXT;

-- The Gemeinde (or the smallest area) of the citizen's address at the last login:
-- what a sender's areas are checked against. No address is stored.
ALTER TABLE citizens ADD COLUMN home_ars TEXT;

-- Signing keys are sealed with SIGNING_KEY_ENCRYPTION_KEY (AES-256-GCM).
ALTER TABLE signing_keys ADD COLUMN sealed BIGINT NOT NULL DEFAULT 0;
