-- The URL shortener (/s): a target URL under a short id, owned like pastes.
CREATE TABLE short_urls (
    id                TEXT PRIMARY KEY NOT NULL,
    target            TEXT NOT NULL,
    owner             TEXT,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER,
    delete_token_hash BLOB
) STRICT;

CREATE INDEX short_urls_owner ON short_urls (owner, created_at DESC) WHERE owner IS NOT NULL;
CREATE INDEX short_urls_expires_at ON short_urls (expires_at) WHERE expires_at IS NOT NULL;
