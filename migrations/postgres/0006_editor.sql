-- The editors' side: who may edit which portal, and everything they edit,
-- as drafts, published versions and an audit log. Every row of tenant-owned
-- data references tenants(id).

-- A person at the operator's identity provider who edits one or more portals.
CREATE TABLE editors (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

-- role: 'admin' (manages editors, publishes, settings) or 'editor' (drafts, proposes).
CREATE TABLE editor_roles (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    editor_id TEXT NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, editor_id)
);

-- Single-use invitations; only the token's hash is stored.
CREATE TABLE editor_invitations (
    token_sha256 TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by TEXT
);

-- One editable thing of a tenant (its settings, start page, a legal page, an
-- announcement, a local addition to a catalogue service, a local service, an
-- office): the published version and, while someone works on it, a draft.
-- draft_rev counts saves of the draft: a save names the revision it was based on.
CREATE TABLE content_items (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    item_key TEXT NOT NULL,
    published_version BIGINT NOT NULL,
    draft TEXT,
    draft_rev BIGINT NOT NULL,
    draft_by TEXT,
    draft_at BIGINT,
    review_due BIGINT,
    PRIMARY KEY (tenant_id, kind, item_key)
);

-- Every published version, with its author; version 0 means "not published yet".
CREATE TABLE content_versions (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    item_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    author TEXT NOT NULL,
    approved_by TEXT,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, item_key, version)
);

-- Every editor action, with old and new values.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_key TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, id);

-- Files editors upload (logos); served by hash, checked and sanitised on upload.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    size BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Page views per tenant and service, for the editors' insight (counts only).
CREATE TABLE tenant_service_views (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    views BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, service)
);

-- An append-only list of changes that other instances must notice: a tenant
-- published, was created or deleted. Instances compare the highest id.
CREATE TABLE changes (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT,
    what TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Per-tenant settings editors do not edit as content: whether publishing needs a
-- second person's approval (Freigabe).
ALTER TABLE tenants ADD COLUMN require_approval BIGINT NOT NULL DEFAULT 0;
