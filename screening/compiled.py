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

import threading
from collections.abc import Callable

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# Sentinels: negative ids no row has, distinct from every other parameter a query holds.
_SENTINEL_BASE = -7_356_000_000


class CompiledQuery:
    """``build(**sentinels)`` returns a queryset of ``model``; ``first(**values)`` runs it for
    ``values`` (one per name)."""

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], *names: str):
        self._model = model
        self._build = build
        self._names = names
        self._local = threading.local()

    def _compiled(self, using: str):
        cache = self._local.__dict__.setdefault("cache", {})
        compiled = cache.get(using)
        if compiled is None:
            sentinels = {name: _SENTINEL_BASE - i for i, name in enumerate(self._names)}
            queryset = self._build(**sentinels).using(using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            params = tuple(params)
            positions = {name: params.index(value) for name, value in sentinels.items()}
            klass_info, select = compiler.klass_info, compiler.select
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            compiled = {
                "sql": sql,
                "params": params,
                "positions": positions,
                "compiler": compiler,
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
        params = list(compiled["params"])
        for name, position in compiled["positions"].items():
            params[position] = values[name]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled["sql"], params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = next(compiled["compiler"].results_iter([[row]]))
        start, end = compiled["slice"]
        obj = compiled["model"].from_db(using, compiled["init_list"], row[start:end])
        for populator in compiled["populators"]:
            populator.populate(row, obj)
        for name, position in compiled["annotations"].items():
            setattr(obj, name, row[position])
        return obj
