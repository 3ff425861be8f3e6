"""Forward-only SQL migrations, applied in order by core_server.storage.migrator."""
