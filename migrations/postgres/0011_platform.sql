-- Daily counts per tenant for insight: page views, searches, searches without
-- a result, hand-offs, logins. Counts only; nothing that identifies a person.
CREATE TABLE daily_counts (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, metric)
);

-- Results of the link check, one row per URL.
CREATE TABLE link_checks (
    url TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    status BIGINT,
    millis BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    detail TEXT NOT NULL
);

-- Every instance listens on this channel and reloads at once; the poll of the
-- change list stays as the fallback for a lost connection.
CREATE FUNCTION buergerportal_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('buergerportal_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER changes_notify AFTER INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION buergerportal_notify();
CREATE TRIGGER catalogue_imports_notify AFTER INSERT OR UPDATE OR DELETE ON catalogue_imports
    FOR EACH STATEMENT EXECUTE FUNCTION buergerportal_notify();
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION buergerportal_notify();
