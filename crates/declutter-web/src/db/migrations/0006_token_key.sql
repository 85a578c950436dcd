-- The id of the key the stored cloud tokens are sealed under (a hash prefix of the key, not
-- secret). Every instance compares it with its own key at start and in /readyz, so an instance
-- started with another DECLUTTER_TOKEN_KEY is stopped before it seals tokens the others
-- cannot open. One row; `declutter rotate-token-key` moves it to the new key.
CREATE TABLE token_key (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    key_id TEXT NOT NULL,
    set_at INTEGER NOT NULL
);
