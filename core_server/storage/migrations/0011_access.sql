-- Who may do what (issue 14 §1): named API keys with a role, stored as the SHA-256 hash of their secret (a
-- 256-bit random secret: a fast hash is enough, nothing to brute-force), and the actor that caused each
-- audited action: "key:<name>", "static-key", "local", "signal:<id>", "strategy:<id>", "risk", ...
-- Adding NOT NULL columns with a constant default rewrites no row: the append-only logs stay as they were;
-- rows written before this migration name no actor ('').

CREATE TABLE api_keys (
    id            bigserial PRIMARY KEY,
    name          text   NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    role          text   NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
    account_ids   text[],            -- a trader's granted accounts; NULL: every account
    secret_sha256 bytea  NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    prefix        text   NOT NULL,   -- the secret's first characters, to tell keys apart
    created_ns    bigint NOT NULL,
    created_by    text   NOT NULL,
    revoked_ns    bigint             -- NULL while the key works
);

-- One working key per name; a revoked key keeps its name in the audit trail and frees it for a new key.
CREATE UNIQUE INDEX api_keys_working_name_idx ON api_keys (lower(name)) WHERE revoked_ns IS NULL;

ALTER TABLE execution_journal ADD COLUMN actor text NOT NULL DEFAULT '';
ALTER TABLE paper_orders ADD COLUMN actor text NOT NULL DEFAULT '';  -- who placed the order
ALTER TABLE risk_audit ADD COLUMN actor text NOT NULL DEFAULT '';
ALTER TABLE signals ADD COLUMN actor text NOT NULL DEFAULT '';  -- who submitted the signal
