"""Paper execution (SPEC §5): the pure, synchronous order, fill, position and account engine."""
