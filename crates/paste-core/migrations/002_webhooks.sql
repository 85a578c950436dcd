-- Webhook outbox. Triggers enqueue one row per configured endpoint inside the very transaction
-- that changes a paste, so an event is never lost between commit and enqueue, and creating a
-- paste never touches the network. With no endpoint configured the triggers insert nothing.
CREATE TABLE webhook_endpoints (
    url TEXT PRIMARY KEY NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint        TEXT NOT NULL,
    event           TEXT NOT NULL,
    paste_id        TEXT NOT NULL,
    mime_type       TEXT NOT NULL,
    size            INTEGER NOT NULL,
    reason          TEXT,
    occurred_at     INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_status     TEXT,
    dead            INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_ms) WHERE dead = 0;

CREATE TRIGGER pastes_webhook_created AFTER INSERT ON pastes
BEGIN
    INSERT INTO webhook_outbox (endpoint, event, paste_id, mime_type, size, occurred_at)
    SELECT url, 'paste.created', NEW.id, NEW.mime_type, NEW.size, unixepoch()
    FROM webhook_endpoints;
END;

CREATE TRIGGER pastes_webhook_deleted AFTER DELETE ON pastes
BEGIN
    INSERT INTO webhook_outbox (endpoint, event, paste_id, mime_type, size, reason, occurred_at)
    SELECT url,
           CASE WHEN OLD.expires_at IS NOT NULL AND OLD.expires_at <= unixepoch()
                THEN 'paste.expired' ELSE 'paste.deleted' END,
           OLD.id, OLD.mime_type, OLD.size,
           CASE WHEN OLD.expires_at IS NOT NULL AND OLD.expires_at <= unixepoch() THEN 'expired'
                WHEN OLD.burn_after_read = 1 THEN 'burned'
                ELSE 'deleted' END,
           unixepoch()
    FROM webhook_endpoints;
END;
