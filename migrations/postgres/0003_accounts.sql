-- Citizen sessions (tower-sessions records as JSON; expires_at in Unix seconds).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- A citizen is an account at the Servicekonto; only the stable identifiers are kept,
-- the profile comes from the ID token at each login.
CREATE TABLE citizens (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

CREATE TABLE favourites (
    citizen_id TEXT NOT NULL REFERENCES citizens(id) ON DELETE CASCADE,
    leika TEXT NOT NULL,
    tenant_slug TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, leika)
);

-- Authorities and form providers that deliver into the Postfach; the credential is stored hashed.
CREATE TABLE postfach_senders (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    credential_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE postfach_messages (
    id TEXT PRIMARY KEY,
    citizen_id TEXT NOT NULL REFERENCES citizens(id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL REFERENCES postfach_senders(id),
    sender_message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    read_at BIGINT,
    archived_at BIGINT,
    deleted_at BIGINT,
    UNIQUE (sender_id, sender_message_id)
);
CREATE INDEX postfach_by_citizen ON postfach_messages (citizen_id, sent_at);

CREATE TABLE postfach_attachments (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES postfach_messages(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL
);
CREATE INDEX postfach_attachments_by_message ON postfach_attachments (message_id);
