"""The audit chain's head in one statement on PostgreSQL: take the chain's lock, then read the
latest row's hash (``services.audit.audit_record``)."""

from django.db import migrations

HEAD_SQL = """
CREATE OR REPLACE FUNCTION screening_audit_chain_head(lock_key bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head text;
BEGIN
    -- Under REPEATABLE READ or SERIALIZABLE every statement would read the transaction's first
    -- snapshot, taken before the lock was granted: a stale head, and a forked chain.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'the audit chain is written under READ COMMITTED only, not %',
            current_setting('transaction_isolation');
    END IF;
    -- Held until the transaction ends, so that two writers never link to the same row.
    PERFORM pg_advisory_xact_lock(lock_key);
    -- A statement of its own in a VOLATILE function: under READ COMMITTED it takes a snapshot
    -- after the lock was granted, so it sees the row the previous holder committed. (Reading
    -- the head in the statement that takes the lock would use that statement's older
    -- snapshot, and fork the chain.)
    SELECT row_hash INTO head FROM screening_auditevent ORDER BY id DESC LIMIT 1;
    RETURN head;
END
$$;
"""

DROP_SQL = "DROP FUNCTION IF EXISTS screening_audit_chain_head(bigint);"


def create_head(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_SQL, params=None)


def drop_head(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("screening", "0022_course_of_care")]

    operations = [migrations.RunPython(create_head, drop_head)]
