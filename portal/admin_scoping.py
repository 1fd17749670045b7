"""Django admin for organization admins as well as superusers. A non-superuser stays inside
their own organization everywhere admin lets them look or choose, not only in the row lists:

- every model has an organization path (`organization_path`: derived from its fields, or set
  on the ModelAdmin), and `scope_q(model, org)` filters any queryset of it by that path;
- changelists, change/delete pages and actions see only the organization's rows;
- every ForeignKey / ManyToMany form field (select, raw id, autocomplete) offers and accepts
  only the organization's objects, and a raw-id widget labels only those — a typed id of
  another organization's patient is refused and never echoed with its name;
- list filters on relations (and on values reached through relations) list only the
  organization's objects;
- a saved object must still belong to the organization (checked again in `save_model`);
- shared data (the device catalogue) is read-only to them (`SharedDataAdmin`).

Superusers see and change everything."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, reverse_field_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import (
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Q

from portal.access import membership_of
from portal.models import Organization

# Models every organization shares (no organization path): read-only to organization admins.
SHARED_MODELS = {"devices.item"}


def admin_organization(request):
    """None for a superuser (no scoping), the admin's Organization, or False (no membership:
    sees nothing)."""
    if request.user.is_superuser:
        return None
    membership = membership_of(request.user)
    return membership.organization if membership else False


def organization_path(model, _depth: int = 0) -> str | None:
    """The lookup from `model` to its Organization: "pk" for Organization, the user's
    membership for users, a direct `organization` foreign key, or the first required foreign
    key that leads to one (DeviceStatusChange → device__organization). None for shared data."""
    if model is Organization:
        return "pk"
    if model._meta.label_lower == settings.AUTH_USER_MODEL.lower():
        return "membership__organization"
    if model._meta.label_lower in SHARED_MODELS or _depth > 2:
        return None
    fields = [f for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one]
    for field in fields:
        if field.name == "organization" and field.related_model is Organization:
            return "organization"
    for field in fields:
        if field.null or field.related_model is model:
            continue
        path = organization_path(field.related_model, _depth + 1)
        if path:
            return f"{field.name}__{path}"
    return None


def scope_q(model, org, path: str | None = None) -> Q | None:
    """The filter that keeps `org`'s rows of `model`; None when the model is shared (or no
    scoping applies: a superuser)."""
    if org is None:
        return None
    path = path or organization_path(model)
    if path is None:
        return None
    if org is False:
        return Q(pk__in=[])
    return Q(**{path: org.pk})


def scoped(queryset, org, path: str | None = None):
    q = scope_q(queryset.model, org, path)
    return queryset if q is None else queryset.filter(q)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """Labels a raw id only when it is one of the organization's objects (Django's widget
    looks the id up in the whole table and prints the object's name beside the box)."""

    def __init__(self, rel, admin_site, *, queryset, attrs=None, using=None):
        super().__init__(rel, admin_site, attrs=attrs, using=using)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            self.queryset.using(self.db).get(**{key: value})
        except (ValueError, TypeError, ValidationError, ObjectDoesNotExist):
            return "", ""
        return super().label_and_url_for_value(value)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        q = scope_q(field.related_model, admin_organization(request))
        ordering = self.field_admin_ordering(field, request, model_admin)
        if q is None:
            return field.get_choices(include_blank=False, ordering=ordering)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=q)


class ScopedAllValuesFieldListFilter(admin.AllValuesFieldListFilter):
    """Values of a field reached through a relation (`patient__time_zone`): Django lists them
    from the whole related table; only the organization's rows here."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        parent_model, _ = reverse_field_path(model, field_path)
        if parent_model is not model:
            queryset = scoped(parent_model._default_manager.all(), admin_organization(request))
            self.lookup_choices = (
                queryset.distinct().order_by(field.name).values_list(field.name, flat=True)
            )


def scoped_list_filter(model, entry):
    """The list_filter entry with its choices scoped (plain field paths only; a custom filter
    class keeps its own lookups)."""
    if not isinstance(entry, str):
        return entry
    try:
        fields = get_fields_from_path(model, entry)
    except (FieldDoesNotExist, NotRelationField):
        return entry
    last = fields[-1]
    if last.is_relation:
        return (entry, ScopedRelatedFieldListFilter)
    if len(fields) > 1 and not getattr(last, "choices", None):
        return (entry, ScopedAllValuesFieldListFilter)
    return entry


class ScopedFormFieldsMixin:
    """For ModelAdmin and inlines: every relation field offers only the organization's
    objects, so a form refuses another organization's id (choice validation uses the same
    queryset) and never labels one."""

    def _scope_queryset(self, db_field, request, kwargs):
        """Narrow the field's choices (the caller's, the related admin's ordering, or all) to
        the admin's organization; the organization, or None for a superuser."""
        org = admin_organization(request)
        if org is not None:
            base = kwargs.get("queryset")
            if base is None:
                base = self.get_field_queryset(None, db_field, request)
            if base is None:
                base = db_field.related_model._default_manager.all()
            kwargs["queryset"] = scoped(base, org)
        return org

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        org = self._scope_queryset(db_field, request, kwargs)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            org is not None
            and field is not None
            and isinstance(field.widget, ForeignKeyRawIdWidget)
        ):
            field.widget = ScopedRawIdWidget(
                field.widget.rel,
                self.admin_site,
                queryset=field.queryset,
                attrs=field.widget.attrs,
                using=field.widget.db,
            )
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._scope_queryset(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OrganizationScopedAdmin(ScopedFormFieldsMixin, admin.ModelAdmin):
    """`organization_path` is the lookup from the model to its Organization (derived from the
    model's fields when not set)."""

    organization_path: str | None = None

    def scope_path(self) -> str | None:
        return self.organization_path or organization_path(self.model)

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), admin_organization(request), self.scope_path())

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if admin_organization(request) is None:
            return filters
        return [scoped_list_filter(self.model, entry) for entry in filters]

    def save_form(self, request, form, change):
        # Before save_model, which some admins override (API keys, webhook subscriptions).
        obj = super().save_form(request, form, change)
        self.check_in_organization(request, obj)
        return obj

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = getattr(inline_form, "instance", None)
            if instance is not None and inline_form.has_changed():
                self.check_in_organization(request, instance, path=None)
        return super().save_formset(request, form, formset, change)

    def check_in_organization(self, request, obj, path: str | None = "") -> None:
        """Refuse to save an object that would sit outside the admin's organization (the
        forms already refuse other organizations' ids; this holds for any other way in)."""
        org = admin_organization(request)
        if org is None:
            return
        path = self.scope_path() if path == "" else organization_path(type(obj))
        if path is None:
            if type(obj)._meta.label_lower in SHARED_MODELS:
                raise PermissionDenied
            return
        if org is False or _organization_id(obj, path) != org.pk:
            raise PermissionDenied

    def has_module_permission(self, request):
        return request.user.is_superuser or (
            (request.user.is_staff and admin_organization(request) not in (None, False))
            and super().has_module_permission(request)
        )


class OrganizationScopedInline(ScopedFormFieldsMixin):
    """Mix into an InlineModelAdmin: its relation fields are scoped like the parent's."""


class SharedDataAdmin(ScopedFormFieldsMixin, admin.ModelAdmin):
    """Data every organization shares (the device catalogue): organization admins may look,
    only superusers add, change or delete (a change would show in every organization, and a
    delete page would list other organizations' objects)."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


def _organization_id(obj, path: str):
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    try:
        for hop in hops:
            obj = getattr(obj, hop)
            if obj is None:
                return None
    except ObjectDoesNotExist:
        return None
    return getattr(obj, f"{last}_id", None)
