"""Production's static storage: the manifest's hashed URL, worked out once per name."""

import json

import pytest

from clinic.static_storage import StaticStorage


def make_storage(tmp_path) -> StaticStorage:
    manifest = {
        "paths": {"screening/css/app.css": "screening/css/app.0123456789ab.css"},
        "version": "1.1",
        "hash": "",
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest), encoding="utf-8")
    return StaticStorage(location=str(tmp_path), base_url="/static/")


def test_a_name_gives_its_hashed_url_and_it_is_remembered(tmp_path):
    storage = make_storage(tmp_path)

    first = storage.url("screening/css/app.css")
    (tmp_path / "staticfiles.json").unlink()  # only the remembered URL can answer now
    storage.hashed_files.clear()
    again = storage.url("screening/css/app.css")

    assert first == again == "/static/screening/css/app.0123456789ab.css"


def test_a_name_missing_from_the_manifest_is_refused_every_time(tmp_path):
    storage = make_storage(tmp_path)

    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("screening/js/nowhere.js")


def test_production_settings_use_it():
    from tests.test_settings import GOOD_SECRET, run_manage

    result = run_manage(
        "shell",
        "-c",
        "from django.core.files.storage import storages;"
        "print(type(storages['staticfiles']).__name__)",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
    )

    assert result.returncode == 0, result.stderr
    assert "StaticStorage" in result.stdout
