"""PostgreSQL through asyncpg: the embedded server launcher, migrations and repositories."""
