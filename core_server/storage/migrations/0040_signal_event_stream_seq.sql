-- A place in the log of every signal event, across signals: StreamSignalEvents sends it with each event and a
-- client that lost the stream resumes after the last one it received (since_seq). Events stored before this
-- migration are numbered in the order the table holds them.

ALTER TABLE signal_events ADD COLUMN stream_seq bigserial;
CREATE UNIQUE INDEX signal_events_stream_seq_idx ON signal_events (stream_seq);
