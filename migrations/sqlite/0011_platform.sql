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
