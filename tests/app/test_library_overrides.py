"""The two places the app reaches into a library's internals (webapp/caching/overrides.py) are pinned to the
versions they were written for: an upgrade fails here and at start-up, never silently."""
from __future__ import annotations

import pytest

from webapp import create_app
from webapp.caching import overrides
from webapp.extensions import limiter


def test_the_installed_libraries_are_the_versions_the_overrides_were_written_for():
    from importlib.metadata import version

    assert version("flask-talisman").startswith(overrides.TALISMAN_VERSIONS)
    assert version("flask-limiter").startswith(overrides.LIMITER_VERSIONS)


@pytest.mark.parametrize("distribution", ["flask-talisman", "flask-limiter"])
def test_another_version_stops_the_app_from_starting(monkeypatch, distribution):
    real = overrides.version
    monkeypatch.setattr(overrides, "version", lambda name: "99.0.0" if name == distribution else real(name))
    with pytest.raises(RuntimeError, match=distribution):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_flask_limiter_checks_no_request_before_its_view(app):
    assert not [hook for hook in app.before_request_funcs.get(None, []) if getattr(hook, "__self__", None) is limiter]
    # Its response headers and its teardown stay.
    assert any(getattr(getattr(hook, "func", None), "__qualname__", "").startswith("Limiter")
               for hook in app.after_request_funcs.get(None, []))
