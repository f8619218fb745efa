"""A read query compiled to SQL once and run again with new parameters.

Building a query through Django's ORM costs more than running it: for the patient's access
check (the link with its intake, the patient and the clinic settings' time of change, read on
every wizard page) compiling the queryset was most of the check's time (issue 20). A
``CompiledQuery`` builds its queryset once per thread and database with sentinel values in
place of the parameters, keeps the SQL and the compiler, and for each call swaps the real values
in, runs the SQL on Django's own cursor (so query logging and counting see it) and turns the row
into model instances exactly as ``QuerySet.iterator()`` does (the compiler's converters, then
``Model.from_db`` and the select_related populators).

This leans on Django's compiler attributes (``select``, ``klass_info``,
``annotation_col_map``), stable through the 5.2 LTS; ``tests/test_compiled_query.py`` compares
every result with the plain queryset's, so a Django upgrade that changes them fails there.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

from django.db import connections, router
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators

# Sentinels: negative ids no row has, distinct from every other parameter a query holds.
_SENTINEL_BASE = -7_356_000_000


# The field types a parameter named in ``fields`` may have.
_TYPED = frozenset({"CharField", "TextField", "DateTimeField"})


def _sentinel(field: Field | None, index: int):
    """A value no row has, of the parameter's type: an id, a text or a moment."""
    if field is None:
        return _SENTINEL_BASE - index
    if field.get_internal_type() == "DateTimeField":
        return datetime.datetime(1901, 2, 3, 4, 5, 6, index, tzinfo=datetime.UTC)
    return f"\x1fcompiled-sentinel-{index}"


def _db_value(field: Field | None, value, connection):
    """``value`` as the ORM passes it to the database for a lookup on ``field`` (an id as it
    is)."""
    if field is None:
        return value
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


class CompiledQuery:
    """``build(**sentinels)`` returns a queryset of ``model``; ``first(**values)`` runs it for
    ``values`` (one per name).

    A parameter is an id unless ``fields`` names the model field it is compared with (a text or
    a date and time): its sentinel is then of that type, and its value is adapted for the
    database as that field's lookups adapt it."""

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., QuerySet],
        *names: str,
        fields: dict[str, str] | None = None,
    ):
        self._model = model
        self._build = build
        self._names = names
        self._fields = {name: model._meta.get_field(f) for name, f in (fields or {}).items()}
        for name, field in self._fields.items():
            if field.get_internal_type() not in _TYPED:
                raise TypeError(f"{name}: a {field.get_internal_type()} parameter is not supported")
        self._local = threading.local()

    def _compiled(self, using: str):
        cache = self._local.__dict__.setdefault("cache", {})
        compiled = cache.get(using)
        if compiled is None:
            connection = connections[using]
            sentinels = {
                name: _sentinel(self._fields.get(name), i) for i, name in enumerate(self._names)
            }
            queryset = self._build(**sentinels).using(using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            params = tuple(params)
            positions = {}
            for name, value in sentinels.items():
                placed = _db_value(self._fields.get(name), value, connection)
                if params.count(placed) != 1:
                    # Only one place would get the real value: the query would find nothing.
                    raise TypeError(f"{name} must appear exactly once in the query")
                positions[name] = params.index(placed)
            klass_info, select = compiler.klass_info, compiler.select
            # The columns' converters (time zones, JSON, ...), worked out once rather than on
            # every row as results_iter does.
            converters = compiler.get_converters(
                [column[0] for column in select[0 : compiler.col_count]]
            )
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            compiled = {
                "sql": sql,
                "params": params,
                "positions": positions,
                "compiler": compiler,
                "converters": converters,
                "model": klass_info["model"],
                "slice": (start, end),
                "init_list": [column[0].target.attname for column in select[start:end]],
                "populators": get_related_populators(klass_info, select, using),
                "annotations": dict(compiler.annotation_col_map or {}),
            }
            cache[using] = compiled
        return compiled

    def first(self, **values) -> Model | None:
        """The first row for ``values`` as a model instance (with its select_related objects
        and annotations), or None."""
        if set(values) != set(self._names):
            raise TypeError(f"expected values for {', '.join(self._names)}")
        using = router.db_for_read(self._model)
        compiled = self._compiled(using)
        connection = connections[using]
        params = list(compiled["params"])
        for name, position in compiled["positions"].items():
            params[position] = _db_value(self._fields.get(name), values[name], connection)
        with connection.cursor() as cursor:
            cursor.execute(compiled["sql"], params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled["converters"]:
            row = next(compiled["compiler"].apply_converters([row], compiled["converters"]))
        start, end = compiled["slice"]
        obj = compiled["model"].from_db(using, compiled["init_list"], row[start:end])
        for populator in compiled["populators"]:
            populator.populate(row, obj)
        for name, position in compiled["annotations"].items():
            setattr(obj, name, row[position])
        return obj
