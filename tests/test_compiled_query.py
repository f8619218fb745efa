"""screening.compiled: a query compiled once gives what the plain queryset gives."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from screening.compiled import CompiledQuery
from screening.models import ClinicSettings, IntakeLink
from screening.permissions import _PATIENT_LINK, _PATIENT_LINK_FOR_UPDATE
from tests.conftest import make_intake, make_link, make_patient

pytestmark = pytest.mark.django_db


def _plain(link_id, intake_id):
    return (
        IntakeLink.objects.select_related("intake__patient")
        .annotate(settings_updated_at=ClinicSettings.updated_at_subquery())
        .filter(pk=link_id, intake_id=intake_id)
        .first()
    )


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_each_row_is_what_the_queryset_gives_with_its_related_objects_and_annotation():
    ClinicSettings.load()
    links = []
    for name in ("Ana Lopez", "Ben Ode"):
        intake = make_intake(make_patient(full_name=name), answers={"diabetes": {"answer": True}})
        links.append(make_link(intake).link)

    for link in links:
        compiled = _PATIENT_LINK.first(link=link.pk, intake=link.intake_id)
        plain = _plain(link.pk, link.intake_id)
        with CaptureQueriesContext(connection) as queries:
            assert _fields(compiled) == _fields(plain)
            assert _fields(compiled.intake) == _fields(plain.intake)
            assert _fields(compiled.intake.patient) == _fields(plain.intake.patient)
            assert compiled.intake.answers == {"diabetes": {"answer": True}}
        assert queries.captured_queries == []  # intake and patient came with the row
        assert compiled.settings_updated_at == plain.settings_updated_at is not None
        assert not compiled._state.adding and compiled._state.db == "default"


def test_no_row_and_a_mismatched_pair_give_none():
    intake = make_intake()
    link = make_link(intake).link
    other = make_intake()

    assert _PATIENT_LINK.first(link=link.pk, intake=other.pk) is None
    assert _PATIENT_LINK.first(link=link.pk + 1000, intake=intake.pk) is None
    with pytest.raises(TypeError):
        _PATIENT_LINK.first(link=link.pk)


def test_one_statement_per_call_and_the_locking_variant_inside_a_transaction():
    intake = make_intake()
    link = make_link(intake).link
    _PATIENT_LINK.first(link=link.pk, intake=intake.pk)

    with CaptureQueriesContext(connection) as queries:
        found = _PATIENT_LINK.first(link=link.pk, intake=intake.pk)
    assert found.pk == link.pk and len(queries.captured_queries) == 1

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = _PATIENT_LINK_FOR_UPDATE.first(link=link.pk, intake=intake.pk)
    assert locked.intake.pk == intake.pk
    if connection.vendor == "postgresql":
        assert "FOR UPDATE OF" in queries.captured_queries[-1]["sql"]


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_its_own_copy():
    intake = make_intake()
    link = make_link(intake).link
    built = []

    def build(*, link, intake):
        # The thread itself: a finished thread's ident may be handed to the next one.
        built.append(threading.current_thread())
        return IntakeLink.objects.filter(pk=link, intake_id=intake)

    query = CompiledQuery(IntakeLink, build, "link", "intake")
    results = []

    def run():
        from django.db import connections

        results.append(query.first(link=link.pk, intake=intake.pk).pk)
        results.append(query.first(link=link.pk, intake=intake.pk).pk)
        connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [link.pk] * 4
    assert len(built) == 2 and len(set(built)) == 2


def test_a_parameter_of_an_unsupported_type_or_used_twice_is_refused():
    from django.contrib.sessions.models import Session
    from django.db.models import Q

    with pytest.raises(TypeError, match="not supported"):
        CompiledQuery(IntakeLink, lambda at: IntakeLink.objects.all(), "at", fields={"at": "id"})

    twice = CompiledQuery(
        Session,
        lambda key: Session.objects.filter(Q(session_key=key) | Q(session_data=key)),
        "key",
        fields={"key": "session_key"},
    )
    with pytest.raises(TypeError, match="exactly once"):
        twice.first(key="abcdefgh12345")
