"""auditlog_append(): the whole append (lock, read the head, hash, insert) in one server-side call.

The per-organization advisory lock is then held only inside PostgreSQL, for the few
microseconds of one index read and one insert (plus the commit), instead of across four client
round trips, each of which can wait for a busy Python process; see auditlog.chain.append.
The SQL hashes exactly the bytes Python's entry_digest() hashes: Python sends the canonical JSON
cut around the three values only known under the lock (time, previous hash, sequence number).
"""
from django.db import migrations

APPEND_SQL = """
CREATE OR REPLACE FUNCTION auditlog_append(
    p_lock_class integer, p_org bigint, p_actor bigint, p_action text, p_target_type text, p_target_id text,
    p_data jsonb, p_ip text, p_before_at text, p_before_prev text, p_before_seq text, p_tail text
) RETURNS TABLE (out_id bigint, out_seq bigint, out_at timestamptz, out_prev text, out_hash text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_seq bigint;
    v_prev text;
    v_at timestamptz;
    v_hash text;
    v_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_class, p_org::integer);
    -- A VOLATILE function takes a fresh snapshot per statement (READ COMMITTED), so this read
    -- sees the link the previous holder of the lock committed.
    SELECT e.seq, e.entry_hash INTO v_seq, v_prev
      FROM auditlog_auditentry e WHERE e.organization_id = p_org ORDER BY e.seq DESC LIMIT 1;
    v_seq := COALESCE(v_seq, 0) + 1;
    v_prev := COALESCE(v_prev, repeat('0', 64));
    v_at := clock_timestamp();
    v_hash := encode(sha256(convert_to(
        p_before_at || to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00'
        || p_before_prev || v_prev || p_before_seq || v_seq::text || p_tail, 'UTF8')), 'hex');
    INSERT INTO auditlog_auditentry
        (organization_id, seq, created_at, actor_id, action, target_type, target_id, data, ip, prev_hash, entry_hash)
    VALUES (p_org, v_seq, v_at, p_actor, p_action, p_target_type, p_target_id, p_data, p_ip, v_prev, v_hash)
    RETURNING id INTO v_id;
    RETURN QUERY SELECT v_id, v_seq, v_at, v_prev, v_hash;
END
$$;
"""
DROP_SQL = """
DROP FUNCTION IF EXISTS auditlog_append(integer, bigint, bigint, text, text, text, jsonb, text, text, text, text, text);
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # plpgsql text: no interpolation

    return run


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0001_initial")]

    operations = [migrations.RunPython(_on_postgres(APPEND_SQL), _on_postgres(DROP_SQL))]
