"""`{% if membership|may:"devices.manage" %}`: offer an action only to the roles the table in
portal.roles allows (a builtin, so templates need no `{% load %}`)."""

from django import template

from portal import roles

register = template.Library()


@register.filter
def may(membership, action: str) -> bool:
    return roles.may(membership, action)
