"""The roster trigger's batch path (readings inserted by one statement for several patients)
writes only the state rows the batch changes (issue 19, figure 1).

care 0006's batch path updated the state row of every patient the batch named, even when the
batch changed nothing in it: a pull of history (readings older than the patient's last one,
on days outside the current 30-day period, or on days already counted) rewrote hundreds of
unchanged rows per page, each a new row version in the roster's eight indexes — the largest
part of a page's INSERT at 1,000 patients. Now a row is updated only when the batch brings a
newer last reading or a device day the period did not have; which patients are recomputed
(care_roster_refresh: no state row, the period has ended, the episode moves earlier) is
unchanged. The state rows are locked first, in patient order, as before (now also for a batch
of one patient's readings), so the row the statement judges is the row it updates.

CREATE OR REPLACE of care_roster_readings_inserted only; the single-reading path is care
0006's, unchanged.
"""

import importlib
import re

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION care_roster_readings_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    one record;
    ids bigint[];
    stale bigint[];
BEGIN
    SELECT n.*, count(*) OVER () AS batch INTO one FROM new_rows n LIMIT 1;
    IF one.batch = 1 THEN
        UPDATE care_rosterstate s SET
            last_reading_at = CASE
                WHEN s.last_reading_at IS NULL
                  OR (one.measured_at, one.id) > (s.last_reading_at, s.last_reading_id)
                THEN one.measured_at ELSE s.last_reading_at END,
            last_reading_id = CASE
                WHEN s.last_reading_at IS NULL
                  OR (one.measured_at, one.id) > (s.last_reading_at, s.last_reading_id)
                THEN one.id ELSE s.last_reading_id END,
            period_day_bits = s.period_day_bits
                | care_day_bit(one.transmitted, one.local_day, s.period_start),
            period_days = bit_count((s.period_day_bits
                | care_day_bit(one.transmitted, one.local_day, s.period_start))::bit(32))
        WHERE s.patient_id = one.patient_id
          AND (NOT one.transmitted
               OR (s.period_end_at > now()
                   AND NOT (s.episode_from_data AND one.local_day < s.episode_start)));
        IF NOT FOUND THEN
            PERFORM care_roster_refresh(ARRAY[one.patient_id]);
        END IF;
        RETURN NULL;
    END IF;
    IF one.batch IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(DISTINCT patient_id) INTO ids FROM new_rows;
    -- Held until the transaction ends: what this function reads below is what it writes.
    PERFORM care_roster_lock(ids);
    WITH agg AS (
        SELECT r.patient_id, bool_and(p.monitoring_started_on IS NULL) AS from_data,
               (array_agg(r.measured_at ORDER BY r.measured_at DESC, r.id DESC))[1] AS last_at,
               (array_agg(r.id ORDER BY r.measured_at DESC, r.id DESC))[1] AS last_id,
               array_agg(DISTINCT r.local_day) FILTER (WHERE r.transmitted) AS days,
               min(r.local_day) FILTER (WHERE r.transmitted) AS first_day
        FROM new_rows r JOIN portal_patient p ON p.id = r.patient_id
        GROUP BY r.patient_id
    ), judged AS (
        -- current: the row takes the batch by the rules below; otherwise it is recomputed.
        SELECT agg.*, s.patient_id AS state_id,
               s.patient_id IS NOT NULL AND coalesce(agg.days IS NULL
                   OR (s.period_end_at > now()
                       AND NOT (agg.from_data AND agg.first_day < s.episode_start)), false)
               AS current,
               coalesce((SELECT bit_or(care_day_bit(true, d, s.period_start))
                         FROM unnest(agg.days) d), 0) AS bits
        FROM agg LEFT JOIN care_rosterstate s ON s.patient_id = agg.patient_id
    ), done AS (
        UPDATE care_rosterstate s SET
            last_reading_at = CASE
                WHEN s.last_reading_at IS NULL
                  OR (a.last_at, a.last_id) > (s.last_reading_at, s.last_reading_id)
                THEN a.last_at ELSE s.last_reading_at END,
            last_reading_id = CASE
                WHEN s.last_reading_at IS NULL
                  OR (a.last_at, a.last_id) > (s.last_reading_at, s.last_reading_id)
                THEN a.last_id ELSE s.last_reading_id END,
            period_day_bits = s.period_day_bits | a.bits,
            period_days = bit_count((s.period_day_bits | a.bits)::bit(32))
        FROM judged a
        WHERE s.patient_id = a.state_id AND a.current
          AND (s.last_reading_at IS NULL
               OR (a.last_at, a.last_id) > (s.last_reading_at, s.last_reading_id)
               OR (s.period_day_bits | a.bits) <> s.period_day_bits)
    )
    SELECT array_agg(patient_id) INTO stale FROM judged WHERE NOT current;
    PERFORM care_roster_refresh(stale);
    RETURN NULL;
END $$;
"""


def _function_of_0006() -> str:
    """care_roster_readings_inserted as care 0006 made it (what going back puts back)."""
    sql = importlib.import_module("readings.care.migrations.0006_roster_counts_stored_days").SQL
    found = re.search(
        r"CREATE OR REPLACE FUNCTION care_roster_readings_inserted\(.*?END \$\$;", sql, re.DOTALL
    )
    assert found is not None
    return found.group(0)


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function_of_0006(), params=None)


class Migration(migrations.Migration):
    dependencies = [("care", "0012_roster_rolled_days_minutes")]

    operations = [migrations.RunPython(install, uninstall)]
