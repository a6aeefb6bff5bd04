"""The gram index for free-text search on PostgreSQL (jiesu.appeals.textsearch, ADR 0021).

SQLite (the embedded default) searches with LIKE alone and gets nothing here."""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION jiesu_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
    SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
    UNION ALL
    SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
  ) AS grams
$$;

CREATE OR REPLACE FUNCTION jiesu_query_grams(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN length(q) = 1 THEN ARRAY[q] ELSE (
    SELECT coalesce(array_agg(DISTINCT substr(q, i, 2)), '{}')
    FROM generate_series(1, length(q) - 1) AS i
  ) END
$$;

CREATE OR REPLACE FUNCTION jiesu_appeal_grams(
  number text, title text, description text, address text
) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jiesu_grams(UPPER(coalesce(number, '') || ' ' || coalesce(title, '') || ' '
    || coalesce(description, '') || ' ' || coalesce(address, '')))
$$;

CREATE TABLE appeals_appeal_grams (
  appeal_id bigint PRIMARY KEY,
  grams text[] NOT NULL
);
-- No foreign key: Django's test flush truncates appeals_appeal alone. A row left behind by a
-- truncate matches nothing (searches join on the appeal) and is overwritten if its id is used
-- again; deleted appeals take their row with them (trigger).

CREATE OR REPLACE FUNCTION jiesu_appeal_grams_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO appeals_appeal_grams (appeal_id, grams)
  VALUES (NEW.id, jiesu_appeal_grams(NEW.number, NEW.title, NEW.description, NEW.address))
  ON CONFLICT (appeal_id) DO UPDATE SET grams = EXCLUDED.grams;
  RETURN NULL;
END
$$;

CREATE TRIGGER appeals_appeal_grams_insert AFTER INSERT ON appeals_appeal
  FOR EACH ROW EXECUTE FUNCTION jiesu_appeal_grams_sync();
CREATE TRIGGER appeals_appeal_grams_update AFTER UPDATE ON appeals_appeal
  FOR EACH ROW WHEN (
    OLD.number IS DISTINCT FROM NEW.number OR OLD.title IS DISTINCT FROM NEW.title
    OR OLD.description IS DISTINCT FROM NEW.description
    OR OLD.address IS DISTINCT FROM NEW.address
  ) EXECUTE FUNCTION jiesu_appeal_grams_sync();

CREATE OR REPLACE FUNCTION jiesu_appeal_grams_drop() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM appeals_appeal_grams WHERE appeal_id = OLD.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER appeals_appeal_grams_delete AFTER DELETE ON appeals_appeal
  FOR EACH ROW EXECUTE FUNCTION jiesu_appeal_grams_drop();

INSERT INTO appeals_appeal_grams (appeal_id, grams)
  SELECT id, jiesu_appeal_grams(number, title, description, address) FROM appeals_appeal;
CREATE INDEX appeals_appeal_grams_gin ON appeals_appeal_grams USING gin (grams);
ANALYZE appeals_appeal_grams;
"""

REVERSE = """
DROP TRIGGER IF EXISTS appeals_appeal_grams_delete ON appeals_appeal;
DROP TRIGGER IF EXISTS appeals_appeal_grams_update ON appeals_appeal;
DROP FUNCTION IF EXISTS jiesu_appeal_grams_drop();
DROP TRIGGER IF EXISTS appeals_appeal_grams_insert ON appeals_appeal;
DROP FUNCTION IF EXISTS jiesu_appeal_grams_sync();
DROP TABLE IF EXISTS appeals_appeal_grams;
DROP FUNCTION IF EXISTS jiesu_appeal_grams(text, text, text, text);
DROP FUNCTION IF EXISTS jiesu_query_grams(text);
DROP FUNCTION IF EXISTS jiesu_grams(text);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0007_attachment_public"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
