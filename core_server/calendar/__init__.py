"""CME Globex equity sessions, trading days, halts, holidays and named session windows."""
