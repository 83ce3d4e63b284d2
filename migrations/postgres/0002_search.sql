-- Aggregate signals for search: no personal data, only counts.
CREATE TABLE service_views (
    leika TEXT PRIMARY KEY,
    views BIGINT NOT NULL
);

-- Queries that found nothing, per tenant, for editors.
CREATE TABLE search_misses (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    query TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (tenant_id, query)
);
