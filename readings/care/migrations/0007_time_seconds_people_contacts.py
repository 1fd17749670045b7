"""Care time in seconds, by a named person, with its contact recorded as what it was.

Schema: TimeEntry.minutes becomes `seconds`; the "interactive" and "interpretation" checkboxes
become what they stood for (a contact's medium and with whom; the interpretation activity);
new: who did the work (`performed_by`, their role then), the Solo visit, the office-visit
flag, what the seconds count toward (readings.billing.time_counts_toward) and the reason for
a long day. Data: minutes × 60; the author is the person; an old "interactive" checkbox is
kept as a contact of unrecorded medium (shown, never counted: nobody said how it happened).

PostgreSQL: the roster's month minutes follow the rule (billable management seconds summed,
then whole minutes rounded down; readings.billing.whole_minutes) — CREATE OR REPLACE of the
minutes functions of care 0003 only: care_month_minutes (new), care_roster_minutes_recount,
care_roster_minutes_changed, and care_roster_refresh, whose month-minutes column now calls
care_month_minutes (the rest of it is as in 0006, which counts stored days).
"""

import importlib
import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from portal.models import CLINICAL_STAFF_BY_DEFAULT
from readings import billing

SQL = r"""
-- Billable management minutes of a patient's calendar month starting on `first`: the seconds
-- of the entries that count toward management (decided in Python when logged,
-- readings.billing.time_counts_toward, stored in counts_toward; ORM:
-- readings.billing.management_time), summed, then rounded down (readings.billing.whole_minutes).
CREATE OR REPLACE FUNCTION care_month_minutes(pid bigint, first date) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT (coalesce(sum(t.seconds), 0) / 60)::integer FROM care_timeentry t
    WHERE t.patient_id = pid AND t.deleted_at IS NULL AND t.counts_toward = 'management'
      AND t.day >= first AND t.day < (first + interval '1 month')::date
$$;

-- Care minutes of the organization's current month (readings.billing.month_bounds).
CREATE OR REPLACE FUNCTION care_roster_minutes_recount(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
    PERFORM care_roster_lock(ids);
    UPDATE care_rosterstate s
    SET minutes_month = m.first, month_minutes = care_month_minutes(s.patient_id, m.first)
    FROM (
        SELECT st.patient_id, date_trunc('month', now() AT TIME ZONE o.time_zone)::date AS first
        FROM care_rosterstate st JOIN portal_organization o ON o.id = st.organization_id
        WHERE st.patient_id = ANY(ids)
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
            WHERE (o.patient_id, o.day, o.seconds, o.counts_toward, o.deleted_at)
                  IS DISTINCT FROM
                  (n.patient_id, n.day, n.seconds, n.counts_toward, n.deleted_at)));
    END IF;
    RETURN NULL;
END $$;

-- As care 0003, but the month's minutes come from care_month_minutes.
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
    -- The episode and its device days as care 0006 counts them (stored local_day, transmitted).
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
        SELECT mf.first, care_month_minutes(p.id, mf.first) AS minutes
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

SELECT care_roster_minutes_recount(ARRAY(SELECT patient_id FROM care_rosterstate));
"""

OLD_FUNCTIONS = (
    "care_roster_minutes_recount",
    "care_roster_minutes_changed",
    "care_roster_refresh",
)


def _old_sql() -> str:
    """The definitions this migration replaces (for going back): the minutes functions as care
    0003 made them, care_roster_refresh as care 0006 made it."""
    parts = []
    for name in OLD_FUNCTIONS:
        module = (
            "0006_roster_counts_stored_days"
            if name == "care_roster_refresh"
            else "0003_roster_state"
        )
        sql = importlib.import_module(f"readings.care.migrations.{module}").SQL
        found = re.search(rf"CREATE OR REPLACE FUNCTION {name}\(.*?END \$\$;", sql, flags=re.DOTALL)
        parts.append(found.group(0))
    return "\n".join(parts) + "\nDROP FUNCTION IF EXISTS care_month_minutes(bigint, date);"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_old_sql(), params=None)


def _immediate(schema_editor):
    # Foreign keys are deferred on PostgreSQL: check them now, so the ALTER TABLEs after the
    # data update find no pending trigger events.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def to_seconds(apps, schema_editor):
    _immediate(schema_editor)
    TimeEntry = apps.get_model("care", "TimeEntry")
    Membership = apps.get_model("portal", "Membership")
    members = {m.user_id: m for m in Membership.objects.all()}
    for entry in TimeEntry.objects.all().iterator():
        entry.seconds = entry.minutes * 60
        if entry.interpretation:
            entry.activity = "interpretation"
        if entry.interactive:
            entry.contact_medium = "unrecorded"
        entry.performed_by_id = entry.author_id
        member = members.get(entry.author_id)
        entry.performer_role = member.role if member else ""
        clinical = member is not None and (
            member.clinical_staff
            if member.clinical_staff is not None
            else member.role in CLINICAL_STAFF_BY_DEFAULT
        )
        entry.counts_toward, entry.not_billable_reason = billing.time_counts_toward(
            interpretation=entry.activity == "interpretation",
            performer_role=entry.performer_role,
            may_bill_management=bool(member) and (member.role == "physician" or clinical),
            office_visit=False,
        )
        entry.save()


def to_minutes(apps, schema_editor):
    _immediate(schema_editor)
    TimeEntry = apps.get_model("care", "TimeEntry")
    for entry in TimeEntry.objects.all().iterator():
        entry.minutes = min(600, max(1, entry.seconds // 60))
        entry.interactive = bool(entry.contact_medium)
        entry.interpretation = entry.activity == "interpretation"
        entry.save()


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
        ("care", "0006_roster_counts_stored_days"),
        ("portal", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="timeentry", name="time_entry_minutes_range"),
        migrations.AddField(
            model_name="timeentry",
            name="seconds",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="timeentry",
            name="performed_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The staff member whose time this was (empty: not billable).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="performer_role",
            field=models.CharField(blank=True, help_text="Their role then.", max_length=20),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="contact_medium",
            field=models.CharField(
                blank=True,
                choices=[
                    ("phone", "Phone (real-time audio)"),
                    ("video", "Video visit"),
                    ("in_person", "In person"),
                    ("unrecorded", "Not recorded (old checkbox; does not count)"),
                ],
                max_length=12,
                verbose_name="medium of the contact",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="contact_with",
            field=models.CharField(
                blank=True,
                choices=[("patient", "Patient"), ("caregiver", "Caregiver")],
                max_length=10,
                verbose_name="contact with",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="appointments.appointment",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="office_visit",
            field=models.BooleanField(
                default=False,
                help_text="Minutes of a visit billed as an office visit never count as RPM "
                "minutes.",
                verbose_name="billed separately as an office visit",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="counts_toward",
            field=models.CharField(
                choices=[
                    ("management", "RPM management (99470/99457/99458)"),
                    ("interpretation", "Physician/QHP interpretation (99091)"),
                    ("none", "Not billable"),
                ],
                default="none",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="not_billable_reason",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="day_reason",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason for more than 2 hours that day"
            ),
        ),
        migrations.AlterField(
            model_name="timeentry",
            name="activity",
            field=models.CharField(
                choices=[
                    ("data_review", "Reviewing readings"),
                    ("call", "Real-time call or visit with the patient or caregiver"),
                    ("secure_message", "Secure message (not an interactive contact)"),
                    ("care_plan", "Care plan update"),
                    ("coordination", "Care coordination"),
                    ("education", "Patient education"),
                    ("interpretation", "Physician/QHP data interpretation"),
                    ("other", "Other"),
                ],
                default="data_review",
                max_length=20,
            ),
        ),
        migrations.RunPython(to_seconds, to_minutes),
        migrations.RunPython(install, uninstall),
        migrations.RemoveField(model_name="timeentry", name="minutes"),
        migrations.RemoveField(model_name="timeentry", name="interactive"),
        migrations.RemoveField(model_name="timeentry", name="interpretation"),
        migrations.AddConstraint(
            model_name="timeentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("seconds__gte", 1), ("seconds__lte", 86400)),
                name="time_entry_seconds_range",
            ),
        ),
    ]
