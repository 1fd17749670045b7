"""Every registered ModelAdmin, walked as an organization admin (changelist with its filters,
add, change, delete and history pages, a re-rendered form with another organization's raw
ids): no other organization's identifier appears anywhere. The forbidden identifiers are read
generically from the other organization's rows (every text field and every object's name), so
a new model or admin is covered without touching this test."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.db.models import CharField, TextField
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from portal.admin_scoping import (
    OrganizationScopedAdmin,
    SharedDataAdmin,
    organization_path,
)
from portal.permissions import ORG_ADMIN_APPS
from tests import factories
from tests.module_data import member_fixtures, module_transaction
from tests.portal.admin_world import populate

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)
LABELS = [model._meta.label for model, _ in REGISTRY]


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """Both organizations' worlds, made once for the module (tests/module_data.py)."""
    with module_transaction(django_db_blocker):
        org = factories.our_organization()
        other_org = factories.other_organization()
        ada = factories.cast_member("ada", org)
        factories.cast_member("olga", other_org)
        populate(org, "Riverside", 1)
        populate(other_org, "Lakeside", 2)
        forbidden = identifiers(other_org) - identifiers(org)
        yield {"org": org, "other_org": other_org, "ada": ada, "forbidden": forbidden}


globals().update(member_fixtures(("org", "other_org", "ada")))


def identifiers(org) -> set[str]:
    found = set()
    for model, _ in REGISTRY:
        path = organization_path(model)
        if path is None:
            continue
        for obj in model._default_manager.filter(**{path: org.pk}):
            found.add(str(obj))
            for field in model._meta.concrete_fields:
                if isinstance(field, CharField | TextField) and not field.choices:
                    value = getattr(obj, field.attname)
                    if isinstance(value, str):
                        found.add(value)
    return {text for text in found if len(text) >= 5}


@pytest.fixture
def forbidden(module_world):
    theirs = module_world["forbidden"]
    # Not vacuous: their patient, nurse, device, room and organization are all in the set.
    assert {
        "Lakeside-MRN",
        "lakesidenurse",
        "Lakeside-DEV",
        "Lakeside Room",
        "Lakeside Family",
    } <= (theirs)
    return theirs


def leaks(response, forbidden) -> list[str]:
    text = response.content.decode()
    return sorted(s for s in forbidden if s in text or escape(s) in text)


def admin_url(model, view, *args):
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def own_object(model, org):
    path = organization_path(model)
    qs = model._default_manager.all()
    return (qs if path is None else qs.filter(**{path: org.pk})).order_by("pk").first()


def test_every_admin_an_org_admin_can_open_is_scoped(client, ada):
    """Autocomplete and raw-id popups use the target model's admin: each one an organization
    admin may open must be scoped (or shared read-only data)."""
    client.force_login(ada)
    for model, model_admin in REGISTRY:
        if model._meta.app_label in ORG_ADMIN_APPS:
            assert isinstance(model_admin, OrganizationScopedAdmin | SharedDataAdmin), model
        else:  # auth, axes: not theirs at all
            url = admin_url(model, "changelist")
            assert client.get(url).status_code == HTTPStatus.FORBIDDEN, model


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTRY, ids=[m._meta.label for m, _ in REGISTRY]
)
def test_org_admin_sees_no_other_organizations_identifiers(
    client, ada, org, other_org, forbidden, model, model_admin
):
    client.force_login(ada)
    changelist = client.get(admin_url(model, "changelist"))
    if model._meta.app_label not in ORG_ADMIN_APPS:
        assert changelist.status_code == HTTPStatus.FORBIDDEN
        return
    assert changelist.status_code == HTTPStatus.OK
    assert leaks(changelist, forbidden) == [], "changelist and its filters"
    pages = {"add": admin_url(model, "add")}
    mine = own_object(model, org)
    assert mine is not None, f"the world has no {model._meta.label} of ours"
    for view in ("change", "delete", "history"):
        pages[view] = admin_url(model, view, mine.pk)
    for view, url in pages.items():
        response = client.get(url)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.FORBIDDEN), (view, url)
        assert leaks(response, forbidden) == [], view
    theirs = own_object(model, other_org) if organization_path(model) else None
    if theirs is not None:
        response = client.get(admin_url(model, "change", theirs.pk), follow=True)
        assert leaks(response, forbidden) == [], "another organization's change page"


# Admins of other apps (auth, axes, django-otp's devices) are closed to organization admins.
RAW_ID_ADMINS = [
    (m, a) for m, a in REGISTRY if a.raw_id_fields and m._meta.app_label in ORG_ADMIN_APPS
]


@pytest.mark.parametrize(
    ("model", "model_admin"), RAW_ID_ADMINS, ids=[m._meta.label for m, _ in RAW_ID_ADMINS]
)
def test_raw_id_fields_do_not_echo_another_organizations_objects(
    client, ada, org, other_org, forbidden, model, model_admin
):
    client.force_login(ada)
    mine = own_object(model, org)
    before = {f.attname: getattr(mine, f.attname) for f in model._meta.concrete_fields}
    body = {}
    for name in model_admin.raw_id_fields:
        related = model._meta.get_field(name).related_model
        body[name] = own_object(related, other_org).pk
    for url in (admin_url(model, "change", mine.pk), admin_url(model, "add")):
        response = client.post(url, body)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.FORBIDDEN), url
        assert leaks(response, forbidden) == [], url
    mine.refresh_from_db()
    assert {f.attname: getattr(mine, f.attname) for f in model._meta.concrete_fields} == before
