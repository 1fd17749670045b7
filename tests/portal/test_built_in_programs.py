"""The built-in monitoring programs are product data: present after migrate, and back after a
flush (transactional tests flush the database between tests; enrolment must still find them)."""

from django.core.management import call_command

from portal.enrolment_models import Program


def built_in_codes():
    return set(Program.objects.filter(organization=None).values_list("code", flat=True))


def test_built_in_programs_come_back_after_a_flush(transactional_db):
    assert built_in_codes() == {code for code, _ in Program.BUILT_IN}
    call_command("flush", interactive=False, verbosity=0)
    assert built_in_codes() == {code for code, _ in Program.BUILT_IN}
