"""Objects of `org` that the route walker (tests/security/test_route_tenancy.py) puts into URLs.
Each app adds what its routes need; keep it to one object per kind."""


def build(org) -> dict:
    objects = {}
    objects.update(_care(org))
    return objects


def _care(org) -> dict:
    """An open alert and a time entry of one of `org`'s patients (care workspace routes)."""
    import datetime as dt

    from portal.models import Membership
    from readings.care.models import Alert
    from tests.care.factories import entry, evaluated
    from tests.factories import PatientFactory

    patient = PatientFactory(organization=org, last_name="Carewalker")
    evaluated(patient, "systolic", 190, at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1))
    author = Membership.objects.filter(organization=org).first().user
    return {
        "alert": Alert.objects.get(patient=patient),
        "time_entry": entry(patient, author, minutes=5),
    }
