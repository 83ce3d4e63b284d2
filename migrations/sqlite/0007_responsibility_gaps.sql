-- The rules behind generated responsibilities (catalogue/zustaendigkeit-sh.toml):
-- zustaendigkeiten.source = 'regel:<id>' points here. Written with the catalogue.
CREATE TABLE zustaendigkeitsregeln (
    id TEXT PRIMARY KEY,
    basis TEXT NOT NULL,
    url TEXT NOT NULL,
    ort TEXT NOT NULL,
    antrag_bei TEXT NOT NULL,
    hinweis TEXT NOT NULL
);

-- Service pages that showed no responsible office, per tenant and service, for
-- editors and the operator: counts only, nothing about the person.
CREATE TABLE responsibility_gaps (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    leika TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (tenant_id, leika)
);
