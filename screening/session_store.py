"""Django's database sessions, with the session row read by a query compiled once.

Every request with a session cookie (each wizard page, each staff page) reads its session row.
Building that query through the ORM cost about as much as running it: a fifth of a wizard
page's worker time went to the session read, half of it in Python (issue 20). Here the read is a
``CompiledQuery`` (``screening.compiled``): the same SQL, the same expiry condition, on Django's
own cursor. Everything else (saving, expiry, rotation, deletion) is Django's ``db`` backend.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from screening.compiled import CompiledQuery

_SESSION = CompiledQuery(
    Session,
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
    "key",
    "now",
    fields={"key": "session_key", "now": "expire_date"},
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        # A key that is not a valid session key never reaches the database (Django's session
        # base class refuses one on assignment).
        session = None
        if self.session_key is not None:
            session = _SESSION.first(key=self.session_key, now=timezone.now())
        if session is None:
            self._session_key = None
        return session
