-- Imports of XZuFi messages into the shared catalogue, recorded with who, when,
-- what source and what they changed, so that the latest can be rolled back.
-- kind: 'quellen' (the public sources, replacing everything), 'xzufi', 'ruecknahme'.
-- undo: the before-images of exactly the rows the import changed (JSON).
ALTER TABLE catalogue_imports ADD COLUMN kind TEXT NOT NULL DEFAULT 'quellen';
ALTER TABLE catalogue_imports ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE catalogue_imports ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE catalogue_imports ADD COLUMN counts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE catalogue_imports ADD COLUMN undo TEXT NOT NULL DEFAULT '[]';
ALTER TABLE catalogue_imports ADD COLUMN rolled_back_by BIGINT;

-- XZuFi objects (class, editorial system, id) and the catalogue rows they became:
-- a Leistung its LeiKa key, an Organisationseinheit its office id, a Zuständigkeit
-- "leika|area", an Onlinedienst its rows' ids (comma separated). Deletions arrive
-- by object id only, so this is how a `loesche` finds its rows.
CREATE TABLE xzufi_objects (
    klasse TEXT NOT NULL,
    agency TEXT NOT NULL,
    id TEXT NOT NULL,
    target TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (klasse, agency, id)
);
