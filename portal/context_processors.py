from django.urls import NoReverseMatch, reverse

from portal.access import membership_of

# (label, url name). An entry shows once its app defines the URL, so the menu never links to
# a page that does not exist.
NAVIGATION = [
    ("Roster", "care:roster"),
    ("Patients", "patients:list"),
    ("Alerts", "care:alerts"),
    ("Readings", "readings:alerts"),
    ("Devices", "devices:list"),
    ("Appointments", "appointments:list"),
    ("Billing", "care:billing"),
]
# Entries with a live count beside them (a background poll, so the page never waits for it).
BADGES = {"care:alerts": "care:alert_badge"}


def nav_items(path: str) -> list[dict]:
    """The main menu for `path`. URL reversal only: no query, so error pages can call it."""
    items = []
    for label, name in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        badge = BADGES.get(name)
        items.append(
            {
                "label": label,
                "url": url,
                "active": url != "/" and path.startswith(url),
                "badge_url": reverse(badge) if badge else None,
            }
        )
    return items


def portal(request):
    membership = membership_of(request.user) if hasattr(request, "user") else None
    return {
        "membership": membership,
        "organization": membership.organization if membership else None,
        "nav_items": nav_items(request.path) if membership else [],
    }
