"""The OpenAPI document, generated with apispec from the schemas the API validates with."""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .core import Operation, openapi_path
from .schemas import ErrorSchema

ERROR_TEXT = {400: "Malformed request", 401: "Missing or invalid token", 403: "Not allowed", 404: "Not found",
              409: "Conflict", 413: "Too large", 415: "Unsupported media type", 422: "Invalid fields"}


def build_spec(operations: list[Operation], prefix: str, version: str) -> dict:
    spec = APISpec(title="Mastery Tracks API", version=version, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Missions, capstones, mentor reviews and portfolios. Authenticate with a "
                                        "personal token: `Authorization: Bearer <token>`."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict] = {}
    for op in operations:
        path = prefix + openapi_path(op.rule)
        entry: dict = {"summary": op.summary, "tags": list(op.tags), "operationId": op.view.__name__,
                       "responses": {}}
        if op.description:
            entry["description"] = op.description
        params = [{"in": "path", "name": name, "required": True,
                   "schema": {"type": "integer" if conv == "int" else "string"}}
                  for conv, name in re.findall(r"<(?:([a-z_]+):)?([a-z_]+)>", op.rule)]
        if op.query is not None:
            params.append({"in": "query", "schema": op.query})
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        elif op.form is not None:
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.form}}}
        success = {"description": "OK" if op.status == 200 else "Created"}
        if op.response is not None:
            success["content"] = {"application/json": {"schema": op.response}}
        entry["responses"][str(op.status)] = success
        codes = set(op.errors) | ({401} if op.auth else set()) | ({422} if op.query or op.body else set())
        if op.body is not None:
            codes.add(400)
        if op.query is not None and "page" in op.query._declared_fields:
            codes.add(404)  # a page past the end
        for code in sorted(codes):
            entry["responses"][str(code)] = {"description": ERROR_TEXT.get(code, "Error"),
                                             "content": {"application/json": {"schema": "Error"}}}
        entry["security"] = [{"bearer": []}] if op.auth else []
        paths.setdefault(path, {})[op.method.lower()] = entry
    for path, operations_ in paths.items():
        spec.path(path=path, operations=operations_)
    return spec.to_dict()
