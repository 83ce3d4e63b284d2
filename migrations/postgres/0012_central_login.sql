-- Logins that return to one central callback host (LOGIN_HOST): the pending
-- login by its OIDC state, then the verified answer under a one-time code that
-- the tenant's host redeems (bound to the browser that started the login).
CREATE TABLE central_logins (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    pending TEXT NOT NULL,
    verified TEXT,
    error TEXT,
    expires_at BIGINT NOT NULL
);
