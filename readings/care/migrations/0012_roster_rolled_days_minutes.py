"""The roster's days and minutes become plain indexed columns, so sorting or filtering by them
is an index walk with a LIMIT of one page at any organization size (issue 19, figure 4).

Until now RosterState's period_days and month_minutes were read "through the clock" (a CASE
on period_end_at and minutes_month at query time): exact, but a sort or filter on them
evaluated the CASE over every state row of the organization. Now a row whose period has ended
or whose month is no longer the organization's current month is rolled (recomputed from the
facts, care_roster_refresh_at) by care_roster_roll(organization, clock), which the roster calls
before it reads: rows not due cost nothing (two index probes), and the stored columns are then
exact at that clock, so the page can order by them. The facts' own changes (readings, time entries,
alerts, the patient's zone) keep updating the rows through the triggers of care 0003/0006/0007.

CREATE OR REPLACE of care_roster_refresh only (it now calls care_roster_refresh_at with the
transaction's clock); care_roster_refresh_at is care 0007's body with the clock as a
parameter.
"""

import importlib
import re

from django.db import migrations, models

SQL = r"""
-- Every column of the patients' state recomputed from the facts, as of `clock`: the
-- same rules as readings.care.selectors.roster_patients_computed (readings.billing: the
-- episode, its 30-day period holding the patient's today, stored device days, the month's
-- billable minutes), which the tests compare it with.
CREATE OR REPLACE FUNCTION care_roster_refresh_at(ids bigint[], clock timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
    PERFORM care_roster_lock(ids);
    INSERT INTO care_rosterstate AS s (
        patient_id, organization_id, is_active, last_name, first_name, time_zone,
        primary_nurse_id,
        episode_from_data, crit_alerts, warn_alerts, last_reading_at, last_reading_id,
        episode_start, period_start, period_end_at, period_day_bits, period_days,
        minutes_month, month_minutes, refreshed_at)
    SELECT p.id, p.organization_id, p.is_active, p.last_name, p.first_name, p.time_zone,
           p.primary_nurse_id,
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
               + (greatest((clock AT TIME ZONE p.time_zone)::date - e.start, 0) / 30) * 30
               AS start
    ) per
    CROSS JOIN LATERAL (
        SELECT coalesce(bit_or(1 << (r.local_day - per.start)), 0) AS bits
        FROM readings_reading r
        WHERE r.patient_id = p.id AND r.transmitted
          AND r.local_day BETWEEN per.start AND per.start + 29
    ) d
    CROSS JOIN LATERAL (
        SELECT date_trunc('month', clock AT TIME ZONE o.time_zone)::date AS first
    ) mf
    CROSS JOIN LATERAL (
        SELECT mf.first, care_month_minutes(p.id, mf.first) AS minutes
    ) m
    WHERE p.id = ANY(ids)
    ON CONFLICT (patient_id) DO UPDATE SET
        organization_id = EXCLUDED.organization_id, is_active = EXCLUDED.is_active,
        last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name,
        time_zone = EXCLUDED.time_zone, primary_nurse_id = EXCLUDED.primary_nurse_id,
        episode_from_data = EXCLUDED.episode_from_data,
        crit_alerts = EXCLUDED.crit_alerts, warn_alerts = EXCLUDED.warn_alerts,
        last_reading_at = EXCLUDED.last_reading_at, last_reading_id = EXCLUDED.last_reading_id,
        episode_start = EXCLUDED.episode_start, period_start = EXCLUDED.period_start,
        period_end_at = EXCLUDED.period_end_at, period_day_bits = EXCLUDED.period_day_bits,
        period_days = EXCLUDED.period_days, minutes_month = EXCLUDED.minutes_month,
        month_minutes = EXCLUDED.month_minutes, refreshed_at = EXCLUDED.refreshed_at;
END $$;

-- What the triggers call: the same, on the transaction's clock.
CREATE OR REPLACE FUNCTION care_roster_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM care_roster_refresh_at(ids, now());
END $$;

-- Patients: as care 0003, and a new primary nurse (the roster's "my patients") recomputes.
CREATE OR REPLACE FUNCTION care_roster_patients_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM care_roster_refresh(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM care_roster_refresh(ARRAY(
            SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.organization_id, o.is_active, o.last_name, o.first_name, o.time_zone,
                   o.monitoring_started_on, o.primary_nurse_id)
                  IS DISTINCT FROM (n.organization_id, n.is_active, n.last_name, n.first_name,
                                    n.time_zone, n.monitoring_started_on, n.primary_nurse_id)));
    END IF;
    RETURN NULL;
END $$;

-- Roll the organization's rows that `clock` has moved past: a 30-day period that has
-- ended (no reading since, or the insert trigger would have recomputed it) or a month that is
-- no longer the organization's current one (either way: its zone may have changed). Returns
-- how many rows it recomputed; none due costs the index probes only.
CREATE OR REPLACE FUNCTION care_roster_roll(org bigint, clock timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first date;
    due bigint[];
BEGIN
    SELECT date_trunc('month', clock AT TIME ZONE o.time_zone)::date INTO first
    FROM portal_organization o WHERE o.id = org;
    due := ARRAY(
        SELECT s.patient_id FROM care_rosterstate s
        WHERE s.organization_id = org AND s.is_active AND s.period_end_at <= clock
        UNION
        SELECT s.patient_id FROM care_rosterstate s
        WHERE s.organization_id = org AND s.is_active
          AND (s.minutes_month < first OR s.minutes_month > first OR s.minutes_month IS NULL));
    PERFORM care_roster_refresh_at(due, clock);
    RETURN cardinality(due);
END $$;

-- The two orders that were a CASE over the organization, now index ranges like the others
-- (selectors.ROSTER_SORTS), and the roll's look-ups.
CREATE INDEX IF NOT EXISTS roster_by_days ON care_rosterstate (organization_id, period_days,
    last_name, patient_id) WHERE is_active;
CREATE INDEX IF NOT EXISTS roster_by_minutes ON care_rosterstate (organization_id,
    month_minutes, last_name, patient_id) WHERE is_active;
CREATE INDEX IF NOT EXISTS roster_period_end ON care_rosterstate (organization_id,
    period_end_at) WHERE is_active;
CREATE INDEX IF NOT EXISTS roster_minutes_month ON care_rosterstate (organization_id,
    minutes_month) WHERE is_active;
-- "My patients" in the default order (the roster_attention key after the nurse).
CREATE INDEX IF NOT EXISTS roster_mine ON care_rosterstate (organization_id, primary_nurse_id,
    crit_alerts DESC, warn_alerts DESC, last_reading_at ASC NULLS FIRST, last_name, first_name,
    patient_id) WHERE is_active;
-- The roster's search: a prefix of the last or first name, or the MRN (selectors.roster),
-- whatever the organization's size. On the patients' table, like care 0002's on readings.
CREATE INDEX IF NOT EXISTS care_patient_last_name_prefix ON portal_patient (organization_id,
    upper(last_name::text) text_pattern_ops);
CREATE INDEX IF NOT EXISTS care_patient_first_name_prefix ON portal_patient (organization_id,
    upper(first_name::text) text_pattern_ops);
CREATE INDEX IF NOT EXISTS care_patient_mrn_upper ON portal_patient (organization_id,
    upper(mrn::text));
UPDATE care_rosterstate s SET primary_nurse_id = p.primary_nurse_id
FROM portal_patient p WHERE p.id = s.patient_id AND p.primary_nurse_id IS NOT NULL;
-- The roster's head counts open alerts by severity up to a bound (selectors.roster,
-- open_alert_counts_bounded): an index-only range per severity.
CREATE INDEX IF NOT EXISTS care_alert_open_severity ON care_alert (organization_id, severity)
    WHERE status IN ('open', 'acknowledged', 'escalated');
"""

DROP = r"""
DROP INDEX IF EXISTS roster_by_days, roster_by_minutes, roster_period_end,
    roster_minutes_month, care_alert_open_severity, roster_mine, care_patient_last_name_prefix,
    care_patient_first_name_prefix, care_patient_mrn_upper;
DROP FUNCTION IF EXISTS care_roster_roll(bigint, timestamptz);
"""


def _old_functions() -> str:
    """care_roster_refresh as care 0007 made it and care_roster_patients_changed as care 0003
    did (what going back puts back)."""
    parts = []
    for name, module in (
        ("care_roster_refresh", "0007_time_seconds_people_contacts"),
        ("care_roster_patients_changed", "0003_roster_state"),
    ):
        sql = importlib.import_module(f"readings.care.migrations.{module}").SQL
        found = re.search(rf"CREATE OR REPLACE FUNCTION {name}\(.*?END \$\$;", sql, re.DOTALL)
        assert found is not None
        parts.append(found.group(0))
    return "\n".join(parts)


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)
        schema_editor.execute(_old_functions(), params=None)
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS care_roster_refresh_at(bigint[], timestamptz);", params=None
        )


class Migration(migrations.Migration):
    dependencies = [("care", "0011_medications")]

    operations = [
        migrations.AddField(
            model_name="rosterstate",
            name="primary_nurse_id",
            field=models.BigIntegerField(
                null=True, help_text="The patient's primary nurse (user id): my patients."
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
