"""Objects of `org` that the route walker (tests/security/test_route_tenancy.py) puts into URLs.
Each app adds what its routes need; keep it to one object per kind."""


def build(org) -> dict:
    return {}
