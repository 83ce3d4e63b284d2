-- Keys that sign hand-off tokens (Ed25519, PKCS#8). Retired keys stay published
-- in the JWKS for a while, so that tokens in flight still verify after a rotation.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    pkcs8 BYTEA NOT NULL,
    public_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

-- An application handed off to a form provider ("Vorgang"); its status comes back
-- through the provider's return channel.
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL REFERENCES citizens(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL,
    leika TEXT NOT NULL,
    service_name TEXT NOT NULL,
    tenant_slug TEXT NOT NULL,
    ars TEXT NOT NULL,
    place_name TEXT NOT NULL,
    office TEXT NOT NULL,
    consent BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_by_citizen ON applications (citizen_id, created_at);

CREATE TABLE application_events (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    status TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (application_id, position)
);

ALTER TABLE postfach_messages ADD COLUMN application_id TEXT REFERENCES applications(id);
