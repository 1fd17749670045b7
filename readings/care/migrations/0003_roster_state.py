"""The roster's per-patient state (RosterState) and the PostgreSQL triggers that keep it.

Why triggers: the state must follow every write of the facts it summarises — readings (the
single-reading API, the bulk COPY path, pulls, deletes), alerts, time entries, patients — in
the same transaction, whoever writes them. A statement-level trigger with a transition table
does that in one indexed UPDATE per statement (for the single-reading API: one UPDATE of one
row), and needs no change to the ingestion or alert services. On SQLite (the demo) nothing is
installed: the roster computes its columns per query there (readings/care/selectors/roster.py).
The rules the SQL applies are defined in Python in readings/billing.py; each function below
names the one it mirrors.

Concurrency: every path that recomputes from the facts first locks the state rows (in
patient order, so two batches cannot deadlock) and only then reads the facts, in a new
statement whose snapshot sees whatever a transaction it waited for committed. The hot path
does not recompute: it folds the batch in with commutative operations (latest wins, OR of day
bits) evaluated on the locked row version.
"""

import django.db.models.deletion
from django.db import migrations, models

SQL = r"""
-- The day staff see a reading in: the offset sent with it, else the patient's zone.
-- Mirrors readings.billing.reading_day (ORM: readings.billing.reading_day_expression).
CREATE OR REPLACE FUNCTION care_local_day(at timestamptz, zone text, off integer)
RETURNS date LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN off IS NULL THEN (at AT TIME ZONE zone)::date
                ELSE ((at AT TIME ZONE 'UTC') + off * interval '1 second')::date END
$$;

-- The bit of a reading's day in a period starting on `start` (0 for manual readings and days
-- outside the period). Mirrors readings.billing.device_data and device_day_expression, in
-- the 30-day period of readings.billing.period_bounds (PERIOD_DAYS: the 29 below).
CREATE OR REPLACE FUNCTION care_day_bit(
    manual boolean, at timestamptz, off integer, zone text, start date)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN NOT manual
                 AND care_local_day(at, zone, off) BETWEEN start AND start + 29
                THEN 1 << (care_local_day(at, zone, off) - start) ELSE 0 END
$$;

-- Lock state rows in patient order (two batches over the same patients cannot deadlock).
CREATE OR REPLACE FUNCTION care_roster_lock(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM care_rosterstate WHERE patient_id = ANY(ids) ORDER BY patient_id FOR UPDATE;
END $$;

-- Every column of the patients' state recomputed from the facts (backfill, rare paths: the
-- first device reading, a reading in a period that has ended, deletes, patient changes).
-- The same rules as readings.care.selectors.roster_patients_computed, which the tests compare
-- it with: the episode start mirrors readings.billing.episode_start, its period
-- readings.billing.period_start_expression (30: PERIOD_DAYS), the device days
-- readings.billing.device_data + device_day_expression, the month readings.billing.month_bounds.
CREATE OR REPLACE FUNCTION care_roster_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
    PERFORM care_roster_lock(ids);
    INSERT INTO care_rosterstate AS s (
        patient_id, organization_id, is_active, last_name, first_name, time_zone,
        episode_from_data, crit_alerts, warn_alerts, last_reading_at, last_reading_id, episode_start, period_start,
        period_end_at, period_day_bits, period_days, minutes_month, month_minutes, refreshed_at)
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
    -- The episode starts on the date set on the patient, else on the local day (zone) of
    -- the first device reading; its 30-day period is the one holding the patient's today.
    CROSS JOIN LATERAL (
        SELECT coalesce(p.monitoring_started_on, (
            SELECT (min(r.measured_at) AT TIME ZONE p.time_zone)::date
            FROM readings_reading r WHERE r.patient_id = p.id AND NOT r.manual)) AS start
    ) e
    CROSS JOIN LATERAL (
        SELECT e.start
               + (greatest((now() AT TIME ZONE p.time_zone)::date - e.start, 0) / 30) * 30
               AS start
    ) per
    CROSS JOIN LATERAL (
        SELECT coalesce(bit_or(1 << (x.day - per.start)), 0) AS bits
        FROM (SELECT care_local_day(r.measured_at, p.time_zone, r.patient_tz_offset) AS day
              FROM readings_reading r
              WHERE r.patient_id = p.id AND NOT r.manual
                AND r.measured_at >= (per.start - 2)::timestamp AT TIME ZONE 'UTC') x
        WHERE x.day BETWEEN per.start AND per.start + 29
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
-- wins, device days are OR-ed into the current period's bits; a patient whose period has
-- ended, who has no episode yet, or whose episode this batch moves earlier is recomputed.
-- Mirrors readings.billing.device_data, device_day_expression and episode_start.
-- One reading (the single-reading API) takes a shorter path: the same rules on one row with
-- no join and no aggregate.
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
            period_day_bits = s.period_day_bits | care_day_bit(
                one.manual, one.measured_at, one.patient_tz_offset, s.time_zone, s.period_start),
            period_days = bit_count((s.period_day_bits | care_day_bit(
                one.manual, one.measured_at, one.patient_tz_offset, s.time_zone, s.period_start)
                )::bit(32))
        WHERE s.patient_id = one.patient_id
          AND (one.manual
               OR (s.period_end_at > now()
                   AND NOT (s.episode_from_data
                            AND (one.measured_at AT TIME ZONE s.time_zone)::date
                                < s.episode_start)));
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
    WITH n AS (
        SELECT r.patient_id, r.id, r.measured_at, r.manual,
               care_local_day(r.measured_at, p.time_zone, r.patient_tz_offset) AS day,
               (r.measured_at AT TIME ZONE p.time_zone)::date AS zone_day,
               p.monitoring_started_on IS NULL AS from_data
        FROM new_rows r JOIN portal_patient p ON p.id = r.patient_id
    ), agg AS (
        SELECT patient_id, bool_and(from_data) AS from_data,
               (array_agg(measured_at ORDER BY measured_at DESC, id DESC))[1] AS last_at,
               (array_agg(id ORDER BY measured_at DESC, id DESC))[1] AS last_id,
               array_agg(DISTINCT day) FILTER (WHERE NOT manual) AS days,
               min(zone_day) FILTER (WHERE NOT manual) AS first_day
        FROM n GROUP BY patient_id
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
                SELECT bit_or(1 << (d - s.period_start)) FROM unnest(agg.days) d
                WHERE d BETWEEN s.period_start AND s.period_start + 29), 0),
            period_days = bit_count((s.period_day_bits | coalesce((
                SELECT bit_or(1 << (d - s.period_start)) FROM unnest(agg.days) d
                WHERE d BETWEEN s.period_start AND s.period_start + 29), 0))::bit(32))
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

-- Readings deleted or moved (replace-on-checksum, Validic deletes, corrections): recompute.
CREATE OR REPLACE FUNCTION care_roster_readings_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM care_roster_refresh(ARRAY(SELECT DISTINCT patient_id FROM old_rows));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION care_roster_readings_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM care_roster_refresh(ARRAY(
        SELECT unnest(ARRAY[o.patient_id, n.patient_id])
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.patient_id, o.measured_at, o.manual, o.patient_tz_offset)
              IS DISTINCT FROM (n.patient_id, n.measured_at, n.manual, n.patient_tz_offset)));
    RETURN NULL;
END $$;

-- Open alerts: lock, then count in a new statement (its snapshot sees what a transaction we
-- waited for committed, so two alerts opened at once are both counted).
CREATE OR REPLACE FUNCTION care_roster_alerts_recount(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
    PERFORM care_roster_lock(ids);
    UPDATE care_rosterstate s SET crit_alerts = c.crit, warn_alerts = c.warn
    FROM (
        SELECT pid,
               count(al.id) FILTER (WHERE al.severity = 'critical') AS crit,
               count(al.id) FILTER (WHERE al.severity = 'warning') AS warn
        FROM unnest(ids) pid
        LEFT JOIN care_alert al
          ON al.patient_id = pid AND al.status IN ('open', 'acknowledged', 'escalated')
        GROUP BY pid
    ) c
    WHERE s.patient_id = c.pid AND (s.crit_alerts, s.warn_alerts) IS DISTINCT FROM (c.crit, c.warn);
END $$;

CREATE OR REPLACE FUNCTION care_roster_alerts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM care_roster_alerts_recount(ARRAY(SELECT DISTINCT patient_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM care_roster_alerts_recount(ARRAY(SELECT DISTINCT patient_id FROM old_rows));
    ELSE  -- a breach folded into an open alert changes neither status nor severity: no work
        PERFORM care_roster_alerts_recount(ARRAY(
            SELECT DISTINCT unnest(ARRAY[o.patient_id, n.patient_id])
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.patient_id, o.status, o.severity)
                  IS DISTINCT FROM (n.patient_id, n.status, n.severity)));
    END IF;
    RETURN NULL;
END $$;

-- Care minutes of the organization's current month (readings.billing.month_bounds).
CREATE OR REPLACE FUNCTION care_roster_minutes_recount(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
    PERFORM care_roster_lock(ids);
    UPDATE care_rosterstate s SET minutes_month = m.first, month_minutes = m.minutes
    FROM (
        SELECT st.patient_id, mf.first, coalesce(sum(t.minutes), 0) AS minutes
        FROM care_rosterstate st
        JOIN portal_organization o ON o.id = st.organization_id
        CROSS JOIN LATERAL (
            SELECT date_trunc('month', now() AT TIME ZONE o.time_zone)::date AS first) mf
        LEFT JOIN care_timeentry t
          ON t.patient_id = st.patient_id AND t.deleted_at IS NULL
         AND t.day >= mf.first AND t.day < (mf.first + interval '1 month')::date
        WHERE st.patient_id = ANY(ids)
        GROUP BY st.patient_id, mf.first
    ) m
    WHERE s.patient_id = m.patient_id;
END $$;

CREATE OR REPLACE FUNCTION care_roster_minutes_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM care_roster_minutes_recount(ARRAY(SELECT DISTINCT patient_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM care_roster_minutes_recount(ARRAY(SELECT DISTINCT patient_id FROM old_rows));
    ELSE
        PERFORM care_roster_minutes_recount(ARRAY(
            SELECT DISTINCT unnest(ARRAY[o.patient_id, n.patient_id])
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.patient_id, o.day, o.minutes, o.deleted_at)
                  IS DISTINCT FROM (n.patient_id, n.day, n.minutes, n.deleted_at)));
    END IF;
    RETURN NULL;
END $$;

-- Patients: a new one gets its row; a move to another organization, a rename, (de)activation,
-- a new time zone or episode start recomputes it.
CREATE OR REPLACE FUNCTION care_roster_patients_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM care_roster_refresh(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM care_roster_refresh(ARRAY(
            SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.organization_id, o.is_active, o.last_name, o.first_name, o.time_zone,
                   o.monitoring_started_on)
                  IS DISTINCT FROM (n.organization_id, n.is_active, n.last_name, n.first_name,
                                    n.time_zone, n.monitoring_started_on)));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER care_roster_readings_ins AFTER INSERT ON readings_reading
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_readings_inserted();
CREATE TRIGGER care_roster_readings_del AFTER DELETE ON readings_reading
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_readings_deleted();
CREATE TRIGGER care_roster_readings_upd AFTER UPDATE ON readings_reading
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_readings_updated();
CREATE TRIGGER care_roster_alerts_ins AFTER INSERT ON care_alert
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_alerts_changed();
CREATE TRIGGER care_roster_alerts_del AFTER DELETE ON care_alert
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_alerts_changed();
CREATE TRIGGER care_roster_alerts_upd AFTER UPDATE ON care_alert
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_alerts_changed();
CREATE TRIGGER care_roster_minutes_ins AFTER INSERT ON care_timeentry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_minutes_changed();
CREATE TRIGGER care_roster_minutes_del AFTER DELETE ON care_timeentry
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_minutes_changed();
CREATE TRIGGER care_roster_minutes_upd AFTER UPDATE ON care_timeentry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_minutes_changed();
CREATE TRIGGER care_roster_patients_ins AFTER INSERT ON portal_patient
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_patients_changed();
CREATE TRIGGER care_roster_patients_upd AFTER UPDATE ON portal_patient
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_roster_patients_changed();

-- One index per roster order, on active patients, each ending in the order's tie-breakers
-- (selectors.ROSTER_SORTS): a page is a range of one of them.
CREATE INDEX roster_attention ON care_rosterstate (organization_id, crit_alerts DESC,
    warn_alerts DESC, last_reading_at ASC NULLS FIRST, last_name, first_name, patient_id)
    WHERE is_active;
CREATE INDEX roster_needs_attention ON care_rosterstate (organization_id, crit_alerts DESC,
    warn_alerts DESC, last_reading_at ASC NULLS FIRST, last_name, first_name, patient_id)
    WHERE is_active AND (crit_alerts > 0 OR warn_alerts > 0);
CREATE INDEX roster_by_name ON care_rosterstate (organization_id, last_name, first_name,
    patient_id) WHERE is_active;
CREATE INDEX roster_by_last_reading ON care_rosterstate (organization_id,
    last_reading_at ASC NULLS FIRST, last_name, patient_id) WHERE is_active;

-- Backfill: every existing patient.
SELECT care_roster_refresh(ARRAY(SELECT id FROM portal_patient));
"""

DROP = r"""
DROP INDEX IF EXISTS roster_attention, roster_needs_attention, roster_by_name,
    roster_by_last_reading;
DROP TRIGGER IF EXISTS care_roster_readings_ins ON readings_reading;
DROP TRIGGER IF EXISTS care_roster_readings_del ON readings_reading;
DROP TRIGGER IF EXISTS care_roster_readings_upd ON readings_reading;
DROP TRIGGER IF EXISTS care_roster_alerts_ins ON care_alert;
DROP TRIGGER IF EXISTS care_roster_alerts_del ON care_alert;
DROP TRIGGER IF EXISTS care_roster_alerts_upd ON care_alert;
DROP TRIGGER IF EXISTS care_roster_minutes_ins ON care_timeentry;
DROP TRIGGER IF EXISTS care_roster_minutes_del ON care_timeentry;
DROP TRIGGER IF EXISTS care_roster_minutes_upd ON care_timeentry;
DROP TRIGGER IF EXISTS care_roster_patients_ins ON portal_patient;
DROP TRIGGER IF EXISTS care_roster_patients_upd ON portal_patient;
DROP FUNCTION IF EXISTS care_roster_patients_changed();
DROP FUNCTION IF EXISTS care_roster_minutes_changed();
DROP FUNCTION IF EXISTS care_roster_minutes_recount(bigint[]);
DROP FUNCTION IF EXISTS care_roster_alerts_changed();
DROP FUNCTION IF EXISTS care_roster_alerts_recount(bigint[]);
DROP FUNCTION IF EXISTS care_roster_readings_updated();
DROP FUNCTION IF EXISTS care_roster_readings_deleted();
DROP FUNCTION IF EXISTS care_roster_readings_inserted();
DROP FUNCTION IF EXISTS care_roster_refresh(bigint[]);
DROP FUNCTION IF EXISTS care_roster_lock(bigint[]);
DROP FUNCTION IF EXISTS care_day_bit(boolean, timestamptz, integer, text, date);
DROP FUNCTION IF EXISTS care_local_day(timestamptz, text, integer);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0002_reading_latest_index"),
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RosterState",
            fields=[
                (
                    "patient",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="roster_state",
                        serialize=False,
                        to="portal.patient",
                    ),
                ),
                ("is_active", models.BooleanField()),
                ("last_name", models.CharField(max_length=100)),
                ("first_name", models.CharField(max_length=100)),
                ("time_zone", models.CharField(max_length=64)),
                ("episode_from_data", models.BooleanField(default=True)),
                (
                    "crit_alerts",
                    models.PositiveIntegerField(default=0, help_text="Open critical alerts."),
                ),
                (
                    "warn_alerts",
                    models.PositiveIntegerField(default=0, help_text="Open warning alerts."),
                ),
                ("last_reading_at", models.DateTimeField(null=True)),
                ("last_reading_id", models.BigIntegerField(null=True)),
                ("episode_start", models.DateField(null=True)),
                (
                    "period_start",
                    models.DateField(help_text="Current 30-day period when written.", null=True),
                ),
                (
                    "period_end_at",
                    models.DateTimeField(help_text="Its end, local midnight as UTC.", null=True),
                ),
                (
                    "period_day_bits",
                    models.IntegerField(default=0, help_text="Bit i: device data on start+i."),
                ),
                ("period_days", models.PositiveSmallIntegerField(default=0)),
                (
                    "minutes_month",
                    models.DateField(help_text="First day of the month counted.", null=True),
                ),
                ("month_minutes", models.PositiveIntegerField(default=0)),
                (
                    "refreshed_at",
                    models.DateTimeField(help_text="Last full recomputation.", null=True),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="portal.organization",
                    ),
                ),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
