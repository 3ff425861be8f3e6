-- Risk (SPEC §6): each account's rules, what must survive a restart (locks, peak, day start, streak), the
-- emergency stop, and an append-only audit log of every decision, breach and status change. Money is exact
-- decimal text inside jsonb, times bigint UTC ns.

CREATE TABLE risk_rules (
    account_id text   PRIMARY KEY,
    preset     text   NOT NULL,  -- the preset they started from ('' none)
    rules      jsonb  NOT NULL,
    updated_ns bigint NOT NULL
);

CREATE TABLE risk_state (
    account_id      text    PRIMARY KEY,
    status          text    NOT NULL CHECK (status IN ('safe', 'warning', 'danger', 'locked', 'failed')),
    lock_rule       text,     -- a soft lock until the next trading day
    failed_rule     text,     -- failed for good
    trading_day     date    NOT NULL,
    state           jsonb   NOT NULL,  -- core_server.risk.saved.SavedAccount
    updated_ns      bigint  NOT NULL
);

-- One row: whether an emergency stop is in force.
CREATE TABLE risk_emergency_stop (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    stopped    boolean NOT NULL,
    reason     text    NOT NULL,
    updated_ns bigint  NOT NULL
);

CREATE TABLE risk_audit (
    seq         bigserial PRIMARY KEY,
    ts_ns       bigint NOT NULL,
    account_id  text   NOT NULL,  -- '' for engine-wide entries (emergency stop, resume)
    kind        text   NOT NULL CHECK (kind IN (
        'order_allowed', 'order_denied', 'status_changed', 'breach', 'locked', 'unlocked', 'failed',
        'emergency_stop', 'resumed', 'rules_changed')),
    rule        text   NOT NULL,
    reason      text   NOT NULL,
    numbers     jsonb  NOT NULL,  -- {"name": "exact text", ...}
    state       text   NOT NULL,  -- the account's status right after ('' engine-wide)
    order_id    text   NOT NULL,  -- the order decided ('' none)
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX risk_audit_account_idx ON risk_audit (account_id, seq);

-- The audit log is evidence: the database refuses updates, deletes and truncation.
CREATE FUNCTION risk_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'risk_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER risk_audit_append_only
    BEFORE UPDATE OR DELETE ON risk_audit
    FOR EACH ROW EXECUTE FUNCTION risk_audit_refuse_change();

CREATE TRIGGER risk_audit_no_truncate
    BEFORE TRUNCATE ON risk_audit
    FOR EACH STATEMENT EXECUTE FUNCTION risk_audit_refuse_change();
