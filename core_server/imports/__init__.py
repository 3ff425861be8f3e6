"""Tick import: detect a vendor file's layout, parse it column by column (pyarrow + numpy), and hand the
ticks, flagged and de-duplicated, to the store in chunks with a resumable checkpoint.

Pure modules (no I/O but reading the file): `text` (string columns as byte matrices), `timestamps`,
`numbers`, `dialect` (detection), `source` (open plain/gzip/zstd and stream record batches), `chunk` (one
batch to tick columns), `anomalies`, `contracts`. The driver that talks to the store is `importer`.
"""
