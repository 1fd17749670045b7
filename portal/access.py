"""Who may see what. Every view and endpoint goes through these helpers: an object outside the
user's organization is a 404 (its existence is not confirmed), a role too low is a 403."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from portal.models import Membership, Patient, Role
from portal.roles import roles_for


def membership_of(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def staff_view(*roles: str):
    """Login required, a membership required, and (if given) one of `roles`. Sets
    `request.membership` and `request.organization` for the view."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = membership_of(request.user)
            if membership is None:
                raise PermissionDenied("Your account is not a member of any organization.")
            if roles and membership.role not in roles:
                raise PermissionDenied("Your role does not allow this action.")
            request.membership = membership
            request.organization = membership.organization
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_action(action: str):
    """`staff_view` for the roles portal.roles.ACTIONS allows `action`."""
    return staff_view(*roles_for(action))


# Who is a clinician (alert assignees, the on-call rota); what each role may do is
# portal.roles.ACTIONS.
ADMIN_ONLY = (Role.ORG_ADMIN,)
CLINICAL = (Role.NURSE, Role.PHYSICIAN, Role.ORG_ADMIN)
ANY_STAFF = (Role.NURSE, Role.COORDINATOR, Role.PHYSICIAN, Role.ORG_ADMIN)


def patients_for(organization):
    return Patient.objects.filter(organization=organization)


def patient_for_org(organization, pk) -> Patient:
    """The organization's patient `pk`, or 404."""
    return get_object_or_404(patients_for(organization), pk=pk)
