"""Template context: the user's permissions and the navigation they allow."""

from django.urls import reverse

from screening.permissions import Perm, perms_for

# (permission, url name, label): the staff navigation, shown by permission, never by role.
_NAV = (
    (Perm.VIEW_BOARD, "desk:board", "Today"),
    (Perm.REVIEW, "review:queue", "Review queue"),
    (Perm.MANAGE_CLINIC, "manage:settings", "Clinic settings"),
    (Perm.MANAGE_CLINIC, "manage:messages", "Messages"),
    (Perm.MANAGE_STAFF, "manage:staff", "Staff"),
    (Perm.VIEW_AUDIT, "manage:audit", "Audit trail"),
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
