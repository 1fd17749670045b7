"""The roster's triggers count the device days stored on the readings (Reading.local_day and
transmitted, decided at ingest by readings.device_days) instead of recomputing each reading's
day from the patient's time zone: the same figures as the ORM on any database, and a change of
the patient's zone moves no stored day. CREATE OR REPLACE of the functions that computed days
(care_day_bit takes the stored fields now; care_local_day goes), then every patient's state
recomputed, since readings a device did not transmit no longer count."""

import importlib

from django.db import migrations

SQL = r"""
DROP FUNCTION IF EXISTS care_day_bit(boolean, timestamptz, integer, text, date);
DROP FUNCTION IF EXISTS care_local_day(timestamptz, text, integer);

-- The bit of a stored day in a period starting on `start` (0 unless a device transmitted the
-- reading and the day is in the period). Mirrors readings.billing.device_data and
-- device_day_expression, in the 30-day period of readings.billing.period_bounds (29 below).
CREATE OR REPLACE FUNCTION care_day_bit(transmitted boolean, day date, start date)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN transmitted AND day BETWEEN start AND start + 29
                THEN 1 << (day - start) ELSE 0 END
$$;

-- Every column of the patients' state recomputed from the facts; the same rules as
-- readings.care.selectors.roster_patients_computed, which the tests compare it with. The
-- episode starts on the date set on the patient, else on the first stored device day
-- (readings.billing.episode_start); the period holds the patient's today (the clock, in the
-- patient's zone now).
CREATE OR REPLACE FUNCTION care_roster_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
    PERFORM care_roster_lock(ids);
    INSERT INTO care_rosterstate AS s (
        patient_id, organization_id, is_active, last_name, first_name, time_zone,
        episode_from_data, crit_alerts, warn_alerts, last_reading_at, last_reading_id,
        episode_start, period_start, period_end_at, period_day_bits, period_days,
        minutes_month, month_minutes, refreshed_at)
    SELECT p.id, p.organization_id, p.is_active, p.last_name, p.first_name, p.time_zone,
           p.monitoring_started_on IS NULL, a.crit, a.warn,
           l.measured_at, l.id, e.start, per.start,
           (per.start + 30)::timestamp AT TIME ZONE p.time_zone,
           d.bits, bit_count(d.bits::bit(32)), m.first, m.minutes, now()
    FROM portal_patient p
    JOIN portal_organization o ON o.id = p.organization_id
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE al.severity = 'critical') AS crit,
               count(*) FILTER (WHERE al.severity = 'warning') AS warn
        FROM care_alert al
        WHERE al.patient_id = p.id AND al.status IN ('open', 'acknowledged', 'escalated')
    ) a
    LEFT JOIN LATERAL (
        SELECT r.id, r.measured_at FROM readings_reading r WHERE r.patient_id = p.id
        ORDER BY r.measured_at DESC, r.id DESC LIMIT 1
    ) l ON true
    CROSS JOIN LATERAL (
        SELECT coalesce(p.monitoring_started_on, (
            SELECT min(r.local_day) FROM readings_reading r
            WHERE r.patient_id = p.id AND r.transmitted)) AS start
    ) e
    CROSS JOIN LATERAL (
        SELECT e.start
               + (greatest((now() AT TIME ZONE p.time_zone)::date - e.start, 0) / 30) * 30
               AS start
    ) per
    CROSS JOIN LATERAL (
        SELECT coalesce(bit_or(1 << (r.local_day - per.start)), 0) AS bits
        FROM readings_reading r
        WHERE r.patient_id = p.id AND r.transmitted
          AND r.local_day BETWEEN per.start AND per.start + 29
    ) d
    CROSS JOIN LATERAL (
        SELECT date_trunc('month', now() AT TIME ZONE o.time_zone)::date AS first
    ) mf
    CROSS JOIN LATERAL (
        SELECT mf.first, coalesce(sum(t.minutes), 0) AS minutes FROM care_timeentry t
        WHERE t.patient_id = p.id AND t.deleted_at IS NULL
          AND t.day >= mf.first AND t.day < (mf.first + interval '1 month')::date
    ) m
    WHERE p.id = ANY(ids)
    ON CONFLICT (patient_id) DO UPDATE SET
        organization_id = EXCLUDED.organization_id, is_active = EXCLUDED.is_active,
        last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name,
        time_zone = EXCLUDED.time_zone, episode_from_data = EXCLUDED.episode_from_data,
        crit_alerts = EXCLUDED.crit_alerts, warn_alerts = EXCLUDED.warn_alerts,
        last_reading_at = EXCLUDED.last_reading_at, last_reading_id = EXCLUDED.last_reading_id,
        episode_start = EXCLUDED.episode_start, period_start = EXCLUDED.period_start,
        period_end_at = EXCLUDED.period_end_at, period_day_bits = EXCLUDED.period_day_bits,
        period_days = EXCLUDED.period_days, minutes_month = EXCLUDED.minutes_month,
        month_minutes = EXCLUDED.month_minutes, refreshed_at = EXCLUDED.refreshed_at;
END $$;

-- Readings inserted (the hot path): one UPDATE for the whole statement. The newest reading
-- wins, stored device days are OR-ed into the current period's bits; a patient whose period
-- has ended, who has no episode yet, or whose episode this batch moves earlier is recomputed.
-- One reading (the single-reading API) takes a shorter path: the same rules on one row.
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
    IF cardinality(ids) > 1 THEN
        PERFORM care_roster_lock(ids);
    END IF;
    WITH agg AS (
        SELECT r.patient_id, bool_and(p.monitoring_started_on IS NULL) AS from_data,
               (array_agg(r.measured_at ORDER BY r.measured_at DESC, r.id DESC))[1] AS last_at,
               (array_agg(r.id ORDER BY r.measured_at DESC, r.id DESC))[1] AS last_id,
               array_agg(DISTINCT r.local_day) FILTER (WHERE r.transmitted) AS days,
               min(r.local_day) FILTER (WHERE r.transmitted) AS first_day
        FROM new_rows r JOIN portal_patient p ON p.id = r.patient_id
        GROUP BY r.patient_id
    ), done AS (
        UPDATE care_rosterstate s SET
            last_reading_at = CASE
                WHEN s.last_reading_at IS NULL
                  OR (agg.last_at, agg.last_id) > (s.last_reading_at, s.last_reading_id)
                THEN agg.last_at ELSE s.last_reading_at END,
            last_reading_id = CASE
                WHEN s.last_reading_at IS NULL
                  OR (agg.last_at, agg.last_id) > (s.last_reading_at, s.last_reading_id)
                THEN agg.last_id ELSE s.last_reading_id END,
            period_day_bits = s.period_day_bits | coalesce((
                SELECT bit_or(care_day_bit(true, d, s.period_start)) FROM unnest(agg.days) d), 0),
            period_days = bit_count((s.period_day_bits | coalesce((
                SELECT bit_or(care_day_bit(true, d, s.period_start)) FROM unnest(agg.days) d),
                0))::bit(32))
        FROM agg
        WHERE s.patient_id = agg.patient_id
          AND (agg.days IS NULL
               OR (s.period_end_at > now()
                   AND NOT (agg.from_data AND agg.first_day < s.episode_start)))
        RETURNING s.patient_id
    )
    SELECT array_agg(patient_id) INTO stale
    FROM agg WHERE patient_id NOT IN (SELECT patient_id FROM done);
    PERFORM care_roster_refresh(stale);
    RETURN NULL;
END $$;

-- Readings moved (replace-on-checksum, corrections, an edit in admin): recompute.
CREATE OR REPLACE FUNCTION care_roster_readings_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM care_roster_refresh(ARRAY(
        SELECT unnest(ARRAY[o.patient_id, n.patient_id])
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.patient_id, o.measured_at, o.local_day, o.transmitted)
              IS DISTINCT FROM (n.patient_id, n.measured_at, n.local_day, n.transmitted)));
    RETURN NULL;
END $$;

SELECT care_roster_refresh(ARRAY(SELECT id FROM portal_patient));
"""
REVERSE_DROP = "DROP FUNCTION IF EXISTS care_day_bit(boolean, date, date);"
REFRESH_ALL = "SELECT care_roster_refresh(ARRAY(SELECT id FROM portal_patient));"


def _functions_of_0003() -> str:
    """0003's function definitions (everything before its triggers): what the reverse puts back."""
    sql = importlib.import_module("readings.care.migrations.0003_roster_state").SQL
    return sql.split("CREATE TRIGGER", 1)[0]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_DROP, params=None)
        schema_editor.execute(_functions_of_0003(), params=None)  # our own migration's SQL
        schema_editor.execute(REFRESH_ALL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0005_billing_signatures"),
        ("readings", "0006_reading_local_day_and_transmitted"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
