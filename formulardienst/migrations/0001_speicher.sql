-- Token ids already used, kept until the token has expired (replay protection).
CREATE TABLE used_jtis (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

-- Received applications: the hand-off's claims and what the citizen entered,
-- and whether the portal has been informed through the return channel.
CREATE TABLE eingaenge (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vorgang TEXT NOT NULL,
    uebergabe TEXT NOT NULL,
    eingaben TEXT NOT NULL,
    portal_informiert INTEGER NOT NULL DEFAULT 0,
    eingegangen_am INTEGER NOT NULL
);
CREATE INDEX eingaenge_offen ON eingaenge (portal_informiert);
