-- Broker accounts (issue 15 §1): a Vigil account bound to a Tradovate or ProjectX account. No credential is ever
-- stored here (they come from the environment or a 0600 file). `live_enabled` is the admin's explicit switch:
-- nothing reaches the broker while it is false. broker_audit keeps who did what to a binding, every order sent,
-- and every difference a reconciliation found (the broker wins).

CREATE TABLE broker_bindings (
    account_id      text    PRIMARY KEY REFERENCES paper_accounts (id),
    broker          text    NOT NULL CHECK (broker IN ('tradovate', 'projectx')),
    environment     text    NOT NULL,
    broker_account  text    NOT NULL,
    live_enabled    boolean NOT NULL DEFAULT false,
    bound_by        text    NOT NULL,
    bound_ns        bigint  NOT NULL,
    live_changed_by text    NOT NULL DEFAULT '',
    live_changed_ns bigint  NOT NULL DEFAULT 0
);

CREATE TABLE broker_audit (
    id         bigserial PRIMARY KEY,
    account_id text      NOT NULL,
    ts_ns      bigint    NOT NULL,
    actor      text      NOT NULL,
    kind       text      NOT NULL,
    detail     jsonb     NOT NULL
);
CREATE INDEX broker_audit_account ON broker_audit (account_id, ts_ns);
