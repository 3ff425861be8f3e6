-- Imported (bulk) ticks as columnar blocks (issue 11, speed): one row per block of one contract's ticks, the
-- columns packed as raw little-endian arrays in one bytea (layout in core_server/storage/tick_blocks.py). A row
-- per tick cost PostgreSQL ~3.5 us of CPU to insert and ~1.4 us to read back; a block costs a few ns per tick.
-- Live ticks keep the row table `ticks`; every reader merges both sources in event-time order.
--
-- A block holds at most 65,536 ticks, all inside one UTC clock hour (so last_ts_ns - first_ts_ns < 1 h, which
-- bounds range lookups), sorted by time with ties in file order. `seq` is drawn from the row table's id sequence
-- (ticks_id_seq): ticks of equal time, rows or blocks, replay in the order they were stored, a block's own ties
-- in their order inside it. The per-block counts serve coverage without decoding the block.
CREATE TABLE tick_blocks (
    contract_id text    NOT NULL,
    first_ts_ns bigint  NOT NULL,
    seq         bigint  NOT NULL,
    last_ts_ns  bigint  NOT NULL,
    tick_count  integer NOT NULL CHECK (tick_count BETWEEN 1 AND 65536),
    quotes      integer NOT NULL,
    trades      integer NOT NULL,
    anomalies   integer NOT NULL,
    max_gap_ns  bigint  NOT NULL,  -- the longest time between two consecutive ticks of the block (0 for one tick)
    data        bytea   NOT NULL,
    PRIMARY KEY (contract_id, first_ts_ns, seq),
    CHECK (last_ts_ns >= first_ts_ns AND last_ts_ns - first_ts_ns < 3600000000000)
);

-- Out of line and never compressed: pglz costs more CPU than the disk it saves here, and an uncompressed value
-- lets substring() fetch only the timestamps (the first 8 * tick_count bytes) for coverage.
ALTER TABLE tick_blocks ALTER COLUMN data SET STORAGE EXTERNAL;
