-- Account names are unique per server, compared case-insensitively, so a name can stand for its account in
-- every request. Stores from before this rule may hold duplicates: the earliest account keeps the name and
-- each later one gets its id appended ("eval (A-1f2e...)"), repeated until no two names collide (ids are
-- unique, so this ends), then the unique index makes the rule the database's own. Empty names (written by
-- changes that do not know the name, and never stored as an account's name) are left out of the index.

DO $$
BEGIN
    LOOP
        UPDATE paper_accounts AS a
        SET name = a.name || ' (' || a.id || ')'
        FROM (
            SELECT id, row_number() OVER (PARTITION BY lower(name) ORDER BY ordinal) AS n
            FROM paper_accounts
            WHERE name <> ''
        ) AS d
        WHERE a.id = d.id AND d.n > 1;
        EXIT WHEN NOT FOUND;
    END LOOP;
END $$;

CREATE UNIQUE INDEX paper_accounts_name_key ON paper_accounts (lower(name)) WHERE name <> '';
