-- The operating association: the life of a tenant (draft → live ⇄ suspended),
-- former host names that redirect, and the people who run the platform.

-- 'draft' (editors work, citizens see "not yet open"), 'live', 'suspended'.
ALTER TABLE tenants ADD COLUMN status TEXT NOT NULL DEFAULT 'live';

-- A former host of a tenant: redirects permanently to its current host.
CREATE TABLE tenant_aliases (
    host TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

-- People who run the platform (identity at the editors' provider).
CREATE TABLE operators (
    editor_id TEXT PRIMARY KEY REFERENCES editors(id) ON DELETE CASCADE,
    granted_at BIGINT NOT NULL
);
