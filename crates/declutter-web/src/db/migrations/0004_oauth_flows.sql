-- OAuth and OpenID Connect flows in progress (sign-in, drive connect, consent upgrade), in the
-- database so a callback may land on any instance. Keyed by SHA-256 of `state`: the table never
-- holds a value that would complete a flow. The payload (PKCE verifier, nonce, the session it
-- is bound to) is sealed with the token keyring, bound to its key and purpose.

CREATE TABLE oauth_flows (
    state_hash BLOB PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('sign_in', 'connect')),
    created_at INTEGER NOT NULL,
    key_id     TEXT NOT NULL,
    sealed     BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX oauth_flows_age ON oauth_flows (purpose, created_at);
