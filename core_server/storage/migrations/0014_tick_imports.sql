-- Tick imports (issue 11 §1): one row per import run, with the checkpoint that makes it resumable. Each chunk's
-- ticks and the checkpoint after it commit in one transaction, so after a crash the stored ticks are exactly
-- the lines before `lines_done`, and the next run of the same file with the same options resumes there.
CREATE TABLE tick_imports (
    import_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_key    text        NOT NULL,  -- the file's identity (size, head and tail digests) and the options
    source_name   text        NOT NULL,
    options       jsonb       NOT NULL,
    status        text        NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    -- Ticks stored before the import started have ids up to this one: de-duplication counts them as already
    -- stored, and ticks above it (this import's own earlier chunks) by how often the file repeats them.
    first_tick_id bigint      NOT NULL,
    lines_done    bigint      NOT NULL DEFAULT 0,  -- lines of the file consumed, header included
    state         jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- counters, filter states, carried ticks
    error         text        NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);

-- At most one unfinished import of the same file with the same options: the one a rerun resumes.
CREATE UNIQUE INDEX tick_imports_unfinished ON tick_imports (source_key) WHERE status = 'running';
