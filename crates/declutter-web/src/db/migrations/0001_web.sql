-- Declutter web: accounts, sessions, API token versions, OAuth connections and the audit log.
-- Lives in the same SQLite file as the engine's tables, whose `user_id` TEXT columns hold
-- `users.id` (a UUID string). Times are unix seconds.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    -- Bumped on sign-out-everywhere and password change: API tokens carrying an older version
    -- are refused.
    token_version   INTEGER NOT NULL DEFAULT 0,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- Federated identities: (issuer, subject) is the stable key, never the email.
CREATE TABLE identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);

-- Server-side browser sessions; the cookie carries a random id, the table its SHA-256.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per client address, for the per-IP backoff.
CREATE TABLE ip_failures (
    ip           TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- Cloud provider OAuth tokens, AES-256-GCM encrypted (nonce || ciphertext) under key `key_id`.
CREATE TABLE oauth_connections (
    id            INTEGER PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL CHECK (provider IN ('onedrive', 'gdrive')),
    account       TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    token_sealed  BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (user_id, provider, account)
);

-- Append-only: the triggers refuse every UPDATE and DELETE, whoever asks.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    TEXT,
    actor_email TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    detail      TEXT,
    request_id  TEXT,
    ip          TEXT
);
CREATE INDEX audit_actor ON audit_log (actor_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
