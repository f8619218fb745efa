"""``manage.py screen FILE|-``: screen cases from JSON without touching the database.

The contract is PRODUCT.md §4: one case object in, one result object out; a list in, a list
out. Every case is validated before anything is printed; bad input prints one line on standard
error naming the case and the key, and exits with status 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from screening.engine.questionnaire import VERSION as QUESTIONNAIRE_VERSION
from screening.engine.rules import RULESET_VERSION, Thresholds, evaluate
from screening.engine.validation import Case, CaseError, case_id, validate_case

EXIT_BAD_INPUT = 2


def current_thresholds() -> Thresholds:
    """The thresholds the command screens with (clinic settings will be read here)."""
    return Thresholds()


class ScreenInputError(Exception):
    """Input that cannot be screened; the message is the whole one-line report."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def read_input(source: str, stdin: Any) -> str:
    """The text of FILE, or of standard input for "-"."""
    if source == "-":
        return stdin.read()
    try:
        with open(source, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise ScreenInputError(f"cannot read {source}: not UTF-8 text") from None
    except OSError as error:
        raise ScreenInputError(f"cannot read {source}: {error.strerror or error}") from None


def parse_cases(text: str) -> tuple[list[Case], bool]:
    """Validated cases, and whether the input was a list; raise ScreenInputError."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ScreenInputError(f"invalid JSON: {error}") from None
    is_list = isinstance(data, list)
    cases = []
    for number, obj in enumerate(data if is_list else [data], start=1):
        try:
            cases.append(validate_case(obj))
        except CaseError as error:
            label = f"case {number}"
            if case_id(obj) is not None:
                label += f" ({case_id(obj)})"
            raise ScreenInputError(f"{label}: {error}") from None
    return cases, is_list


def screen_case(case: Case, thresholds: Thresholds) -> dict[str, Any]:
    """The output object for one case."""
    result = evaluate(case.answers, case.plan, thresholds)
    output: dict[str, Any] = {} if case.id is None else {"id": case.id}
    output.update(
        outcome=result.outcome,
        flags=[
            {
                "item": finding.item,
                "level": finding.level,
                "code": finding.code,
                "message": finding.message,
                "sources": list(finding.sources),
                "modification": finding.modification,
                "note": finding.note,
            }
            for finding in result.findings
        ],
        ruleset_version=RULESET_VERSION,
        questionnaire_version=QUESTIONNAIRE_VERSION,
        thresholds=thresholds.as_dict(),
    )
    return output


class Command(BaseCommand):
    help = "Screen intake answers from a JSON file (or - for standard input); prints JSON."
    # Pure screening: no database, so no system or migration checks either.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON case object or list of cases; - reads stdin")

    def handle(self, *args, **options):
        try:
            cases, is_list = parse_cases(
                read_input(options["file"], options.get("stdin") or sys.stdin)
            )
        except ScreenInputError as error:
            self.stderr.write(_one_line(f"screen: {error}"))
            sys.exit(EXIT_BAD_INPUT)
        thresholds = current_thresholds()
        results = [screen_case(case, thresholds) for case in cases]
        self.stdout.write(
            json.dumps(results if is_list else results[0], indent=2, ensure_ascii=False)
        )
