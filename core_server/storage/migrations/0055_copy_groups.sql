-- Copy trading (issue 15 §4): copy groups (one source, N followers with their sizing rules) and every follower's
-- outcome, recorded against the source signal or order. Groups are written with the command that changed them
-- (deleted: the row goes, its outcomes stay as history); outcomes with the kernel step that decided them.

CREATE TABLE copy_groups (
    group_id    text    PRIMARY KEY,
    name        text    NOT NULL UNIQUE,
    source_kind text    NOT NULL CHECK (source_kind IN ('webhook', 'strategy', 'account')),
    source      text    NOT NULL,
    paused      boolean NOT NULL,
    followers   jsonb   NOT NULL,  -- [{account_id, sizing, quantity, multiplier, risk_dollars, micros_only}]
    created_ns  bigint  NOT NULL,
    updated_ns  bigint  NOT NULL
);

CREATE TABLE copy_outcomes (
    seq              bigserial PRIMARY KEY,
    group_id         text      NOT NULL,
    account_id       text      NOT NULL,
    source_ref       text      NOT NULL,  -- signal:<id>, strategy:<id> or account:<id>
    source_order_ids text[]    NOT NULL,
    action           text      NOT NULL,
    status           text      NOT NULL,
    contract_id      text      NOT NULL,
    quantity         integer   NOT NULL,
    order_ids        text[]    NOT NULL,
    detail           text      NOT NULL,
    ts_ns            bigint    NOT NULL
);

CREATE INDEX copy_outcomes_group ON copy_outcomes (group_id, seq DESC);
CREATE INDEX copy_outcomes_source ON copy_outcomes (source_ref, seq DESC);
