-- Foundation: tenants, the territorial register and the Zuständigkeitsfinder catalogue.
-- Portable types only (TEXT, BIGINT) so one store serves SQLite and PostgreSQL.

CREATE TABLE tenants (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ars TEXT NOT NULL,
    config TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE tenant_hosts (
    host TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);

CREATE TABLE regions (
    ars TEXT PRIMARY KEY,
    ags TEXT,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    type_code BIGINT,
    seat TEXT,
    plz TEXT,
    population BIGINT,
    source TEXT NOT NULL
);
CREATE INDEX regions_ags ON regions (ags);

CREATE TABLE postcodes (
    plz TEXT NOT NULL,
    ags TEXT NOT NULL,
    ort TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (plz, ags)
);

CREATE TABLE lebenslagen (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    themenfeld TEXT NOT NULL,
    position BIGINT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE leistungen (
    leika TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    catalogue_name TEXT NOT NULL,
    slug TEXT NOT NULL,
    ozg_id BIGINT,
    ozg_name TEXT NOT NULL,
    leika_type TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    short_text TEXT NOT NULL,
    long_text TEXT NOT NULL,
    fees TEXT NOT NULL,
    documents TEXT NOT NULL,
    deadlines TEXT NOT NULL,
    processing_time TEXT NOT NULL,
    keywords TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE leistung_lebenslagen (
    leika TEXT NOT NULL REFERENCES leistungen(leika),
    lebenslage TEXT NOT NULL REFERENCES lebenslagen(slug),
    PRIMARY KEY (leika, lebenslage)
);

CREATE TABLE organisationseinheiten (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    street TEXT NOT NULL,
    plz TEXT NOT NULL,
    city TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    opening_hours TEXT NOT NULL,
    source TEXT NOT NULL
);

-- area: an ARS prefix (2, 3, 5, 9 or 12 digits), or '' for the whole federation.
CREATE TABLE zustaendigkeiten (
    leika TEXT NOT NULL REFERENCES leistungen(leika),
    area TEXT NOT NULL,
    oe_id TEXT NOT NULL REFERENCES organisationseinheiten(id),
    source TEXT NOT NULL,
    PRIMARY KEY (leika, area)
);

CREATE TABLE onlinedienste (
    id TEXT PRIMARY KEY,
    leika TEXT NOT NULL REFERENCES leistungen(leika),
    url TEXT NOT NULL,
    vertrauensniveau TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE catalogue_imports (
    id BIGSERIAL PRIMARY KEY,
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    summary TEXT NOT NULL
);
