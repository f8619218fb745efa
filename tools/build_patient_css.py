"""Build static/screening/css/patient.css: Bootstrap cut down to what the patient pages use.

Usage: .venv/bin/python tools/build_patient_css.py   (or `make patient-css`)

The patient pages load one stylesheet: the rules of Bootstrap's bootstrap.min.css whose
selectors can match them, followed by the whole of static/screening/css/app.css. Which classes
the pages use is read from the pages themselves: the tool renders every kind of patient page
(tools/patient_walk.py walks a whole questionnaire, with its error states, the tablet's pages
and consent signing) against a throw-away SQLite database, and collects the class, id and data-*
attribute names of their HTML, plus the classes the page scripts add at run time.

A selector is kept when every class and id it requires is used (a class inside :not() is not
required) and every data-* attribute it tests appears on the pages; a selector without classes
(``*``, ``body``, ``:root``, ``[hidden]``, ``legend`` ...) is always kept. In a selector list
only the selectors that can match are kept; a rule with none left is dropped, and so is an
@media or @supports block left empty. @keyframes and @font-face stay only when a kept rule
names them. Bootstrap's licence comment stays.

tests/test_patient_css.py fails when the committed file differs from what this produces.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import tinycss2

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "static" / "vendor" / "bootstrap" / "bootstrap.min.css"
APP_CSS = ROOT / "static" / "screening" / "css" / "app.css"
SCRIPTS = sorted((ROOT / "static" / "screening" / "js").glob("*.js"))
OUTPUT = ROOT / "static" / "screening" / "css" / "patient.css"
COMMAND = "make patient-css"

# Classes that scripts put on patient pages at run time and that no template writes (from
# `grep -n "classList\|className" static/screening/js/*.js`): app.js marks the body map's
# selected regions. Class names written as string literals in classList.add/remove/toggle/
# replace/contains calls, className assignments and setAttribute("class", ...) in those
# scripts are also found without being listed; list here any class a script builds the name of.
RUNTIME_CLASSES: tuple[str, ...] = ("is-selected",)

HEADER = f"""/* GENERATED FILE: do not edit by hand. Made by `{COMMAND}`
 * (tools/build_patient_css.py): the rules of static/vendor/bootstrap/bootstrap.min.css whose
 * selectors can match the patient pages, then the whole of static/screening/css/app.css.
 * Change the templates or app.css, then run `{COMMAND}` again. */
"""

# Selector functions whose argument is a selector list that the element must match.
MATCHING_FUNCTIONS = frozenset({"is", "where", "matches", "-webkit-any", "-moz-any", "has"})
NESTED_AT_RULES = frozenset({"media", "supports", "container", "layer", "document"})


# ---------------------------------------------------------------------------------------------
# What the pages use


@dataclass
class Vocabulary:
    classes: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)


class _VocabularyParser(HTMLParser):
    def __init__(self, vocabulary: Vocabulary) -> None:
        super().__init__(convert_charrefs=True)
        self.vocabulary = vocabulary

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            self.vocabulary.attributes.add(name)
            if name == "class" and value:
                self.vocabulary.classes.update(value.split())
            elif name == "id" and value:
                self.vocabulary.ids.add(value)


_CLASS_CALL = re.compile(
    r"classList\s*\.\s*(?:add|remove|toggle|replace|contains)\s*\(([^)]*)\)"
    r"|className\s*\+?=\s*([^;]*)"
    r"|setAttribute\s*\(\s*[\"']class[\"']\s*,\s*([^)]*)\)"
)
_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")


def script_classes(sources: Iterable[str]) -> set[str]:
    """Class names written as string literals where a script sets or tests classes."""
    found = set()
    for source in sources:
        for match in _CLASS_CALL.finditer(source):
            arguments = next(group for group in match.groups() if group is not None)
            for string in _STRING.finditer(arguments):
                found.update((string.group(1) or string.group(2) or "").split())
    return found


def vocabulary_of(pages: Iterable[str], scripts: Iterable[str] = ()) -> Vocabulary:
    vocabulary = Vocabulary()
    parser = _VocabularyParser(vocabulary)
    for html in pages:
        parser.feed(html)
        parser.reset()
    vocabulary.classes |= set(RUNTIME_CLASSES) | script_classes(scripts)
    return vocabulary


# ---------------------------------------------------------------------------------------------
# Purging


def _split_commas(tokens: list) -> list[list]:
    parts: list[list] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def can_match(selector: list, vocabulary: Vocabulary) -> bool:
    """Can this selector (a list of tinycss2 tokens) match an element of the pages?"""
    for index, token in enumerate(selector):
        if token.type == "literal" and token.value == ".":
            following = selector[index + 1] if index + 1 < len(selector) else None
            is_class = following is not None and following.type == "ident"
            if is_class and following.value not in vocabulary.classes:
                return False
        elif token.type == "hash" and token.is_identifier:
            if token.value not in vocabulary.ids:
                return False
        elif token.type == "[] block":
            names = [t.value for t in token.content if t.type == "ident"]
            if names and names[0].startswith("data-") and names[0] not in vocabulary.attributes:
                return False
        elif token.type == "function" and token.lower_name in MATCHING_FUNCTIONS:
            alternatives = _split_commas(token.arguments)
            if not any(can_match(alternative, vocabulary) for alternative in alternatives):
                return False
        # :not(...) and the other functions require nothing: a class inside :not() need not
        # be used for the selector to match.
    return True


@dataclass
class _Output:
    """The purged rules, with @keyframes and @font-face decided once all rules are seen."""

    items: list = field(default_factory=list)  # str | _Conditional | _Block
    referenced: set[str] = field(default_factory=set)  # names used in kept declarations


@dataclass
class _Conditional:
    kind: str  # "keyframes" or "font-face"
    name: str
    text: str


@dataclass
class _Block:
    head: str
    items: list


def _declaration_names(content: list) -> set[str]:
    """Identifiers and strings in a rule's declaration values (animation and font names)."""
    names = set()
    for declaration in tinycss2.parse_declaration_list(
        content, skip_comments=True, skip_whitespace=True
    ):
        if declaration.type != "declaration":
            continue
        idents = []
        for token in declaration.value:
            if token.type in ("ident", "string"):
                names.add(token.value)
                idents.append(token.value)
            elif token.type == "literal" and token.value == ",":
                idents.append(",")
        # An unquoted family name of several words (font-family: Source Sans 3).
        names.update(" ".join(part.split()) for part in " ".join(idents).split(","))
    return names


def _font_family(content: list) -> str:
    for declaration in tinycss2.parse_declaration_list(
        content, skip_comments=True, skip_whitespace=True
    ):
        if declaration.type == "declaration" and declaration.lower_name == "font-family":
            return tinycss2.serialize(declaration.value).strip().strip("\"'")
    return ""


def _purge_rules(rules: list, vocabulary: Vocabulary, output: _Output, items: list) -> None:
    for rule in rules:
        if rule.type == "comment":
            if rule.value.startswith("!"):  # a licence: keep it
                items.append(f"/*{rule.value}*/")
        elif rule.type == "qualified-rule":
            selectors = [s for s in _split_commas(rule.prelude) if s]
            kept = [tinycss2.serialize(s).strip() for s in selectors if can_match(s, vocabulary)]
            if kept:
                output.referenced |= _declaration_names(rule.content)
                items.append(f"{','.join(kept)}{{{tinycss2.serialize(rule.content).strip()}}}")
        elif rule.type == "at-rule":
            keyword = rule.lower_at_keyword
            text = f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}"
            if keyword == "charset":
                continue  # written again at the top of the file when it is needed
            if rule.content is None:
                items.append(f"{text.strip()};")
            elif keyword in NESTED_AT_RULES:
                inner = tinycss2.parse_rule_list(
                    rule.content, skip_comments=False, skip_whitespace=True
                )
                block = _Block(text.strip(), [])
                _purge_rules(inner, vocabulary, output, block.items)
                items.append(block)
            elif keyword.endswith("keyframes"):
                name = tinycss2.serialize(rule.prelude).strip().strip("\"'")
                body = tinycss2.serialize(rule.content).strip()
                items.append(_Conditional("keyframes", name, f"{text.strip()}{{{body}}}"))
            elif keyword == "font-face":
                body = tinycss2.serialize(rule.content).strip()
                family = _font_family(rule.content)
                items.append(_Conditional("font-face", family, f"{text.strip()}{{{body}}}"))
            else:  # @page, @property, @counter-style ...: kept whole
                items.append(f"{text.strip()}{{{tinycss2.serialize(rule.content).strip()}}}")


def _render(items: list, referenced: set[str]) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, _Conditional):
            if item.name in referenced:
                lines.append(item.text)
        else:
            inner = _render(item.items, referenced)
            if inner:
                lines.append(f"{item.head}{{{''.join(inner)}}}")
    return lines


def purge(css: str, vocabulary: Vocabulary) -> str:
    """The rules of ``css`` that can match pages with this vocabulary, one rule a line."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=True)
    output = _Output()
    _purge_rules(rules, vocabulary, output, output.items)
    return "\n".join(_render(output.items, output.referenced)) + "\n"


def build(pages: Iterable[str]) -> str:
    """The text of patient.css for these rendered patient pages (HTML strings)."""
    scripts = [path.read_text(encoding="utf-8") for path in SCRIPTS]
    vocabulary = vocabulary_of(pages, scripts)
    bootstrap = purge(BOOTSTRAP.read_text(encoding="utf-8"), vocabulary)
    text = HEADER + bootstrap + "\n" + APP_CSS.read_text(encoding="utf-8")
    if not text.isascii():
        text = '@charset "UTF-8";\n' + text  # must come first in the file
    return text


# ---------------------------------------------------------------------------------------------
# Rendering the pages: Django with development settings and a throw-away SQLite database


def render_pages() -> list[str]:
    """Every patient page's HTML, rendered against a throw-away SQLite database."""
    scratch = Path(tempfile.mkdtemp(prefix="patient-css-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'pages.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ["DJANGO_STAFF_2FA"] = "0"

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the walk's 400s are on purpose

    from django.core.management import call_command
    from django.test import Client

    from tools import patient_walk

    try:
        call_command("migrate", verbosity=0)
        return [page.html for page in patient_walk.all_patient_pages(Client())]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    text = build(render_pages())
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(text.encode()):,} bytes")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
