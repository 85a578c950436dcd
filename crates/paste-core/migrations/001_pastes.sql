-- Pastes. The content column comes last so that metadata reads never touch its overflow pages.
CREATE TABLE pastes (
    id                TEXT PRIMARY KEY NOT NULL,
    mime_type         TEXT NOT NULL,
    size              INTEGER NOT NULL,
    sha256            BLOB NOT NULL,
    owner             TEXT,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER,
    burn_after_read   INTEGER NOT NULL DEFAULT 0,
    password_hash     TEXT,
    delete_token_hash BLOB,
    scan              TEXT,
    content           BLOB NOT NULL
) STRICT;

CREATE INDEX pastes_expires_at ON pastes (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX pastes_owner ON pastes (owner) WHERE owner IS NOT NULL;

-- Content-hash throttle: how often the same bytes were submitted in the current window.
CREATE TABLE content_hashes (
    sha256     BLOB PRIMARY KEY NOT NULL,
    first_seen INTEGER NOT NULL,
    count      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX content_hashes_first_seen ON content_hashes (first_seen);
