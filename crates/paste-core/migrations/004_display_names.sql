-- A human label an owner gives a paste (FlaskPaste's X-Display-Name), and the index behind
-- GET /pastes: one owner's pastes, newest first.
ALTER TABLE pastes ADD COLUMN display_name TEXT;

CREATE INDEX pastes_owner_created ON pastes (owner, created_at DESC) WHERE owner IS NOT NULL;
