-- The built-in PKI: its one CA (the private key sealed with the CA password, never in the
-- clear) and every certificate it issued, by serial, with the admin flag and revocation time.
CREATE TABLE pki_ca (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    common_name TEXT NOT NULL,
    cert_pem    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sealed_key  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    crl_number  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE pki_certs (
    serial      TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    common_name TEXT NOT NULL,
    is_admin    INTEGER NOT NULL DEFAULT 0,
    source      TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;
