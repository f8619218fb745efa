"""Template context: the user's permissions and the navigation they allow."""

from django.urls import reverse

from screening.permissions import Perm, perms_for

# (permission, url name, label): the staff navigation, shown by permission, never by role.
_NAV = (
    (Perm.VIEW_BOARD, "desk:board", "Today"),
    (Perm.REVIEW, "review:queue", "Review queue"),
    (Perm.AFTERCARE_CALLS, "desk:aftercare_calls", "Aftercare calls"),
    (Perm.MANAGE_CLINIC, "manage:settings", "Settings"),
    (Perm.MANAGE_CLINIC, "manage:messages", "Messages"),
    (Perm.MANAGE_STAFF, "manage:staff", "Staff"),
    (Perm.VIEW_AUDIT, "manage:audit", "Audit trail"),
    (Perm.VIEW_SAFETY_REPORT, "manage:safety", "Safety report"),
    # The export page links to the patient's-record page (one entry keeps the bar short).
    (Perm.EXPORT_DATA, "manage:export", "Exports"),
    (Perm.MANAGE_INTEGRATIONS, "manage:integrations", "Integrations"),
)


def navigation(request):
    held = perms_for(getattr(request, "user", None))
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    nav = [
        {"url": reverse(name), "label": label, "active": current == name}
        for perm, name, label in _NAV
        if perm in held
    ]
    return {"user_perms": {str(p) for p in held}, "nav_items": nav}
