"""The JSON API's base (SPEC §8): bearer-token auth, JSON errors, pagination, the mission catalogue and the
OpenAPI document, whose schemas every response here is checked against."""
from __future__ import annotations

import copy
import re

import pytest

from tests import factories
from tests.conftest import count_queries
from webapp.domain.mission_rules import check_mission
from webapp.extensions import db
from webapp.models import Mission
from webapp.services import tokens

API = "/api/v1"


# ---- helpers -----------------------------------------------------------------------------------------------

def bearer(user) -> dict:
    _, secret = factories.make_token(user)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def learner_auth():
    return bearer(factories.make_user("learner"))


@pytest.fixture
def mentor_auth():
    return bearer(factories.make_user("mentor"))


@pytest.fixture
def spec(client):
    resp = client.get(f"{API}/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def add_missions(n: int, **overrides) -> list[Mission]:
    """n valid missions in one commit (factories.make_mission commits each one)."""
    base = check_mission(factories.mission_data(**overrides), None)
    rows = []
    for i in range(n):
        data = copy.deepcopy(base)
        data["slug"] = f"{base['slug']}-{i:03d}"
        data["title"] = f"{base['title']} {i:03d}"
        rows.append(Mission(**data))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def resolve(ref: str, spec: dict) -> dict:
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def schema_errors(value, schema: dict, spec: dict, path: str = "$") -> list[str]:
    """Check a JSON value against the subset of OpenAPI 3.0 schema the API documents (no jsonschema in the venv)."""
    if "$ref" in schema:
        return schema_errors(value, resolve(schema["$ref"], spec), spec, path)
    if value is None:
        return [] if schema.get("nullable") else [f"{path}: null is not allowed"]
    kind = schema.get("type")
    checks = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
              "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool)}
    if kind and not checks[kind](value):
        return [f"{path}: {value!r} is not of type {kind}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if kind == "object":
        props = schema.get("properties", {})
        errors += [f"{path}: missing required {name!r}" for name in schema.get("required", []) if name not in value]
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                errors += schema_errors(item, props[key], spec, f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: undocumented property {key!r}")
            elif isinstance(extra, dict):
                errors += schema_errors(item, extra, spec, f"{path}.{key}")
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], spec, f"{path}[{i}]")
    return errors


def response_schema(spec: dict, path: str, method: str, status: int) -> dict:
    return spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def assert_documented(resp, spec: dict, path: str, method: str = "get") -> None:
    assert resp.is_json, resp.data[:200]
    errors = schema_errors(resp.get_json(), response_schema(spec, path, method, resp.status_code), spec)
    assert errors == []


def assert_json_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# ---- authentication ----------------------------------------------------------------------------------------

def test_get_me_without_header_is_401_json(client):
    error = assert_json_error(client.get(f"{API}/me"), 401, "unauthorized")
    assert "Bearer" in error["message"]


@pytest.mark.parametrize("header", ["Token {secret}", "Basic {secret}", "{secret}", "Bearer", "Bearer   "])
def test_get_me_with_wrong_scheme_is_401(client, header):
    _, secret = factories.make_token(factories.make_user())
    resp = client.get(f"{API}/me", headers={"Authorization": header.format(secret=secret)})
    assert_json_error(resp, 401, "unauthorized")


@pytest.mark.parametrize("secret", ["mt_not-a-real-token", "not-even-our-prefix", "mt_" + "x" * 300])
def test_get_me_with_wrong_token_is_401(client, secret):
    factories.make_token(factories.make_user())
    assert_json_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_get_me_with_valid_token_is_the_caller(client, spec):
    user = factories.make_user("mentor", email="ada@example.com", handle="ada", display_name="Ada L")
    resp = client.get(f"{API}/me", headers=bearer(user))
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["email"], body["handle"], body["display_name"], body["role"]) == (
        "ada@example.com", "ada", "Ada L", "mentor")
    assert "password_hash" not in body
    assert_documented(resp, spec, f"{API}/me")


def test_get_me_scheme_is_case_insensitive(client):
    _, secret = factories.make_token(factories.make_user(handle="casey"))
    resp = client.get(f"{API}/me", headers={"Authorization": f"bearer {secret}"})
    assert resp.status_code == 200
    assert resp.get_json()["handle"] == "casey"


def test_get_me_with_revoked_token_is_401(client):
    user = factories.make_user()
    row, secret = factories.make_token(user)
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    tokens.revoke_token(user, row.id)
    assert_json_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_get_me_with_token_of_deactivated_user_is_401(client):
    user = factories.make_user()
    _, secret = factories.make_token(user)
    user.is_active = False
    db.session.commit()
    assert_json_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_get_me_with_session_cookie_only_is_401(client, login_as):
    login_as("learner")
    assert client.get("/account").status_code == 200  # the cookie does log in to the pages
    resp = client.get(f"{API}/me")
    assert_json_error(resp, 401, "unauthorized")
    assert resp.get_json()["error"]["fields"] == {}


def test_get_missions_with_session_cookie_only_is_401(client, login_as):
    login_as("admin")
    factories.make_mission()
    assert_json_error(client.get(f"{API}/missions"), 401)


def test_api_response_is_not_cached(client, learner_auth):
    assert client.get(f"{API}/me", headers=learner_auth).headers["Cache-Control"] == "no-store"


# ---- unknown routes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/nope", "/missions/x/nope", "/capstones-that-do-not-exist"])
def test_unknown_api_route_is_404_json(client, learner_auth, path):
    resp = client.get(f"{API}{path}", headers=learner_auth)
    assert_json_error(resp, 404, "not_found")
    assert b"<html" not in resp.data


def test_unknown_api_route_without_token_is_404_json(client):
    assert_json_error(client.get(f"{API}/nope"), 404)


def test_api_wrong_method_is_405_json(client, learner_auth):
    resp = client.post(f"{API}/me", headers=learner_auth)
    assert_json_error(resp, 405)
    assert "GET" in resp.headers["Allow"]


# ---- pagination --------------------------------------------------------------------------------------------

def test_list_missions_default_page_is_first_20(client, learner_auth, spec):
    add_missions(25)
    resp = client.get(f"{API}/missions", headers=learner_auth)
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (1, 20, 25, 20)
    assert_documented(resp, spec, f"{API}/missions")


def test_list_missions_pages_cover_every_mission_once(client, learner_auth):
    slugs = {m.slug for m in add_missions(25)}
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"{API}/missions?page={page}&per_page=10", headers=learner_auth).get_json()
        assert (body["page"], body["per_page"], body["total"]) == (page, 10, 25)
        seen += [m["slug"] for m in body["items"]]
    assert len(seen) == 25
    assert set(seen) == slugs


def test_list_missions_last_partial_page_has_the_rest(client, learner_auth):
    add_missions(25)
    body = client.get(f"{API}/missions?page=3&per_page=10", headers=learner_auth).get_json()
    assert len(body["items"]) == 5


def test_list_missions_empty_catalogue_is_empty_first_page(client, learner_auth):
    body = client.get(f"{API}/missions", headers=learner_auth).get_json()
    assert body == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_list_missions_page_past_the_end_is_404_json(client, learner_auth, spec):
    add_missions(25)
    resp = client.get(f"{API}/missions?page=4&per_page=10", headers=learner_auth)
    error = assert_json_error(resp, 404, "not_found")
    assert error["fields"] == {"page": "must be at most 3"}
    assert schema_errors(resp.get_json(), {"$ref": "#/components/schemas/Error"}, spec) == []


@pytest.mark.parametrize(("query", "field"), [
    ("per_page=101", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"), ("page=-1", "page"),
    ("page=two", "page"), ("page=1.5", "page"), ("per_page=lots", "per_page"),
    ("track=purple", "track"), ("tier=expert", "tier"), ("q=" + "x" * 101, "q"), ("q=a%00b", "q"),
])
def test_list_missions_bad_query_is_422_naming_field(client, learner_auth, spec, query, field):
    factories.make_mission()
    resp = client.get(f"{API}/missions?{query}", headers=learner_auth)
    error = assert_json_error(resp, 422, "invalid")
    assert list(error["fields"]) == [field]
    assert field in error["message"]
    assert_documented(resp, spec, f"{API}/missions")


def test_list_missions_per_page_100_is_accepted(client, learner_auth):
    add_missions(3)
    body = client.get(f"{API}/missions?per_page=100", headers=learner_auth).get_json()
    assert (body["per_page"], body["total"], len(body["items"])) == (100, 3, 3)


# ---- filters and visibility --------------------------------------------------------------------------------

@pytest.fixture
def catalogue():
    return {
        "phish": factories.make_mission(slug="phishing-wave", title="Phishing wave at Acme", track="defender",
                                        tier="beginner"),
        "ransom": factories.make_mission(slug="ransomware-night", title="Ransomware night", track="defender"),
        "audit": factories.make_mission(slug="iso-audit", title="ISO 27001 audit", track="grc",
                                        summary="Prepare for the surveillance audit; 100% of controls."),
        "draft": factories.make_mission(slug="draft-mission", title="Draft phishing drill", track="defender",
                                        is_published=False),
    }


def listed(client, auth, query: str = "") -> list[str]:
    resp = client.get(f"{API}/missions?{query}", headers=auth)
    assert resp.status_code == 200, resp.get_json()
    return [m["slug"] for m in resp.get_json()["items"]]


def test_list_missions_track_filter_keeps_only_that_track(client, learner_auth, catalogue):
    assert listed(client, learner_auth, "track=grc") == ["iso-audit"]


def test_list_missions_tier_filter_keeps_only_that_tier(client, learner_auth, catalogue):
    assert listed(client, learner_auth, "tier=beginner") == ["phishing-wave"]
    assert listed(client, learner_auth, "tier=advanced") == []


def test_list_missions_q_matches_title_summary_and_slug_case_insensitively(client, learner_auth, catalogue):
    assert listed(client, learner_auth, "q=PHISHING") == ["phishing-wave"]
    assert listed(client, learner_auth, "q=surveillance") == ["iso-audit"]
    assert listed(client, learner_auth, "q=ransomware-night") == ["ransomware-night"]


def test_list_missions_q_wildcards_are_literal(client, learner_auth, catalogue):
    assert listed(client, learner_auth, "q=%25") == ["iso-audit"]
    assert listed(client, learner_auth, "q=_") == []


def test_list_missions_filters_combine(client, learner_auth, catalogue):
    assert listed(client, learner_auth, "track=defender&tier=mastery") == ["ransomware-night"]
    assert listed(client, learner_auth, "track=grc&q=phishing") == []


def test_list_missions_ordered_by_track_tier_then_title(client, mentor_auth, catalogue):
    assert listed(client, mentor_auth) == ["phishing-wave", "draft-mission", "ransomware-night", "iso-audit"]


def test_list_missions_learner_does_not_see_unpublished(client, learner_auth, catalogue):
    slugs = listed(client, learner_auth)
    assert "draft-mission" not in slugs
    assert sorted(slugs) == ["iso-audit", "phishing-wave", "ransomware-night"]
    assert client.get(f"{API}/missions", headers=learner_auth).get_json()["total"] == 3


def test_list_missions_mentor_sees_unpublished(client, mentor_auth, catalogue):
    body = client.get(f"{API}/missions?q=draft", headers=mentor_auth).get_json()
    assert [(m["slug"], m["is_published"]) for m in body["items"]] == [("draft-mission", False)]


# ---- mission detail ----------------------------------------------------------------------------------------

def test_get_mission_for_learner_hides_events_cues_notes_and_hidden_subtasks(client, learner_auth, spec):
    mission = factories.make_mission(slug="night-shift")
    resp = client.get(f"{API}/missions/night-shift", headers=learner_auth)
    assert resp.status_code == 200
    body = resp.get_json()
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3]
    assert body["escalation_events"] == []
    assert body["environmental_cues"] == []
    assert "mentor_notes" not in body
    assert "Intended path" not in resp.get_data(as_text=True)
    assert body["scenario"] == mission.scenario
    assert [c["id"] for c in body["rubric"]] == ["containment", "analysis", "communication"]
    assert_documented(resp, spec, f"{API}/missions/{{slug}}")


@pytest.mark.parametrize("role", ["mentor", "admin"])
def test_get_mission_for_mentor_shows_everything(client, spec, role):
    mission = factories.make_mission(slug="night-shift")
    resp = client.get(f"{API}/missions/night-shift", headers=bearer(factories.make_user(role)))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [s["id"] for s in body["subtasks"]] == [1, 2, 3, 4]
    assert body["escalation_events"] == mission.escalation_events
    assert body["environmental_cues"] == mission.environmental_cues
    assert body["mentor_notes"] == "Intended path: isolate first."
    assert body["url"].endswith("/missions/night-shift")
    assert_documented(resp, spec, f"{API}/missions/{{slug}}")


def test_get_mission_unknown_slug_is_404_json(client, learner_auth, spec):
    resp = client.get(f"{API}/missions/no-such-mission", headers=learner_auth)
    error = assert_json_error(resp, 404, "not_found")
    assert "no-such-mission" in error["message"]
    assert_documented(resp, spec, f"{API}/missions/{{slug}}")


def test_get_mission_slug_with_nul_is_404_json(client, learner_auth):
    factories.make_mission(slug="night-shift")
    error = assert_json_error(client.get(f"{API}/missions/night%00shift", headers=learner_auth), 404, "not_found")
    assert error["message"].startswith("No mission")


def test_get_mission_unpublished_is_404_for_learner_and_visible_to_mentor(client, learner_auth, mentor_auth):
    factories.make_mission(slug="secret-drill", is_published=False)
    assert_json_error(client.get(f"{API}/missions/secret-drill", headers=learner_auth), 404)
    resp = client.get(f"{API}/missions/secret-drill", headers=mentor_auth)
    assert resp.status_code == 200
    assert resp.get_json()["is_published"] is False


def test_get_mission_without_token_is_401(client):
    factories.make_mission(slug="night-shift")
    assert_json_error(client.get(f"{API}/missions/night-shift"), 401)


# ---- query counts ------------------------------------------------------------------------------------------

def test_list_missions_query_count_is_same_for_10_and_200_missions(client, learner_auth):
    add_missions(10)
    url = f"{API}/missions?per_page=100"
    client.get(f"{API}/me", headers=learner_auth)  # the first use of a token records last_used_at
    with count_queries() as small:
        body = client.get(url, headers=learner_auth).get_json()
    assert body["total"] == 10
    with count_queries() as small_cached:
        assert client.get(url, headers=learner_auth).get_json() == body
    add_missions(190)
    with count_queries() as large:
        body = client.get(url, headers=learner_auth).get_json()
    assert (body["total"], len(body["items"])) == (200, 100)
    with count_queries() as large_cached:
        assert client.get(url, headers=learner_auth).get_json() == body
    assert large.count == small.count, large.statements
    assert small.count <= 5, small.statements
    # Until the catalogue changes, a page is served from the cache: one query for the token, which brings the
    # cache revisions with it.
    assert large_cached.count == small_cached.count == 1, large_cached.statements


# ---- the OpenAPI document ----------------------------------------------------------------------------------

def flask_rule_as_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_is_served_without_token_as_openapi_3(client, spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_openapi_documented_paths_exist_in_url_map(app, spec):
    routes = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(flask_rule_as_openapi(rule.rule), set()).update(rule.methods)
    for path, operations in spec["paths"].items():
        assert path in routes, path
        for method in operations:
            assert method.upper() in routes[path], (path, method)


def test_openapi_documents_every_api_route(app, spec):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule == f"{API}/openapi.json":
            continue
        path = flask_rule_as_openapi(rule.rule)
        assert path in spec["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], (path, method)


def test_every_api_view_states_who_may_call_it(app, spec):
    """Every operation of the URL map under /api/v1 went through Blueprint.authenticated or Blueprint.public: it is
    documented with its security (bearer, or explicitly none), and only the public portfolio takes no token."""
    public = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule == f"{API}/openapi.json":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = spec["paths"][flask_rule_as_openapi(rule.rule)][method.lower()]
            assert op["security"] in ([{"bearer": []}], []), (rule.rule, method)
            assert op["operationId"] == rule.endpoint.rsplit(".", 1)[-1], (rule.rule, method)
            if not op["security"]:
                public.add((rule.rule, method))
    assert public == {(f"{API}/users/<handle>/portfolio", "GET")}


def test_token_is_checked_before_the_arguments(client, spec):
    """An operation that takes a token answers 401 without one, whatever its query or body hold (no 422 that
    would tell an anonymous caller about the schema)."""
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if not op["security"]:
                continue
            # Path parameters that routing accepts (a phase key must name a phase, or routing answers 404 first).
            url = re.sub(r"\{[^}]+\}", "1", path.replace("{key}", "investigation")) + "?page=0&per_page=x"
            resp = client.open(url, method=method.upper(), json={"no such field": 1})
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.get_json()["error"]["code"] == "unauthorized", (method, path)


def test_validation_errors_keep_the_error_shape_with_field_paths(client, learner_auth):
    resp = client.post(f"{API}/capstones", json={"nope": 1}, headers=learner_auth)
    assert resp.status_code == 422
    assert resp.get_json() == {"error": {
        "code": "invalid", "message": "The request body has invalid fields: mission, nope.",
        "fields": {"mission": "Missing data for required field.", "nope": "Unknown field."}}}
    resp = client.get(f"{API}/missions?per_page=101&tier=nope", headers=learner_auth)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["message"].startswith("The request query has invalid fields:")
    assert set(error["fields"]) == {"per_page", "tier"}
    resp = client.post(f"{API}/portfolio-items", json={"title": "T", "item_type": "writeup", "skill_tags": [1]},
                       headers=learner_auth)
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"] == {"skill_tags.0": "Not a valid string."}


def test_openapi_every_operation_has_responses_and_errors_use_error_schema(spec):
    operation_ids = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            operation_ids.append(op["operationId"])
            assert op["responses"], (path, method)
            assert any(code.startswith("2") for code in op["responses"]), (path, method)
            for code, response in op["responses"].items():
                assert response["description"], (path, method, code)
                if code.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, code)
            if op.get("security"):
                assert "401" in op["responses"], (path, method)
    assert len(operation_ids) == len(set(operation_ids))


def test_openapi_every_ref_resolves(spec):
    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(spec))
    assert found
    for ref in found:
        assert isinstance(resolve(ref, spec), dict), ref


def test_openapi_error_schema_has_code_message_and_fields(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = resolve(error["properties"]["error"]["$ref"], spec)
    assert set(body["required"]) == {"code", "message", "fields"}
    assert body["properties"]["fields"]["type"] == "object"


def test_openapi_documents_me_and_missions_with_their_parameters(spec):
    assert "get" in spec["paths"][f"{API}/me"]
    params = spec["paths"][f"{API}/missions"]["get"]["parameters"]
    assert {p["name"] for p in params if p["in"] == "query"} == {"track", "tier", "q", "page", "per_page"}
    per_page = next(p for p in params if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    detail = spec["paths"][f"{API}/missions/{{slug}}"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in detail["parameters"]] == [("slug", "path", True)]
    assert "404" in detail["responses"]


def test_openapi_list_schema_has_page_fields(spec):
    page = resolve(response_schema(spec, f"{API}/missions", "get", 200)["$ref"], spec)
    assert set(page["required"]) == {"items", "page", "per_page", "total"}


def test_schema_errors_detects_a_response_that_breaks_the_schema(spec):
    """The small validator used above does catch mismatches."""
    schema = response_schema(spec, f"{API}/missions", "get", 200)
    good = {"items": [], "page": 1, "per_page": 20, "total": 0}
    assert schema_errors(good, schema, spec) == []
    assert schema_errors({**good, "total": "0"}, schema, spec)
    assert schema_errors({"items": [], "page": 1, "per_page": 20}, schema, spec)
    assert schema_errors({**good, "items": [{"slug": "x"}]}, schema, spec)
    assert schema_errors({**good, "extra": 1}, schema, spec)


def test_list_missions_every_item_matches_documented_schema(client, mentor_auth, spec, catalogue):
    resp = client.get(f"{API}/missions", headers=mentor_auth)
    assert len(resp.get_json()["items"]) == 4
    assert_documented(resp, spec, f"{API}/missions")
