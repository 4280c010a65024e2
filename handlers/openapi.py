"""OpenAPI 3.1 document generated from the route table and the @operation declarations (never by hand)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from syncode.models.common import ErrorResponse

METHODS = ("get", "post", "put", "patch", "delete")
PATH_PARAM = re.compile(r"{(\w+)}")
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Validation failed",
               401: "Missing, invalid or expired token", 403: "Forbidden", 404: "Not found", 409: "Conflict",
               410: "Gone", 413: "Body over 1 MiB", 429: "Rate limited (Retry-After)", 503: "Unavailable"}


def build_openapi(routes: list[tuple[str, type, dict]], title: str, version: str) -> dict[str, Any]:
    operations = [(path, method, getattr(cls, method)._operation)
                  for path, cls, _ in routes for method in METHODS
                  if hasattr(getattr(cls, method, None), "_operation")]
    models: list[tuple[type[BaseModel], str]] = [(ErrorResponse, "serialization")]
    for _, _, op in operations:
        if op.request:
            models.append((op.request, "validation"))
        if isinstance(op.response, type) and issubclass(op.response, BaseModel):
            models.append((op.response, "serialization"))
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for path, method, op in operations:
        paths.setdefault(path, {})[method] = _operation(path, op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "SynCode control plane (REST under /api) and collab plane internal API."},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "internalSecret": {"type": "apiKey", "in": "header", "name": "X-Internal-Secret"},
            },
        },
    }


def _operation(path: str, op: Any, refs: dict) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PATH_PARAM.findall(path)
    ]
    if op.query:
        schema = op.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    entry: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": f"{op.tag}_{op.summary}".replace(" ", "_").replace("(", "").replace(")", ""),
        "parameters": params,
        "responses": {str(op.status): _success(op, refs)},
    }
    if op.description:
        entry["description"] = op.description
    if op.request:
        entry["requestBody"] = {"required": True,
                                "content": {"application/json": {"schema": refs[(op.request, "validation")]}}}
    if op.auth:
        entry["security"] = [{"bearer": []}]
    elif op.tag in ("Collab", "Callbacks"):
        entry["security"] = [{"internalSecret": []}]
    error_ref = refs[(ErrorResponse, "serialization")]
    for status in sorted(set(op.errors) | ({401} if op.auth else set())):
        entry["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "Error"),
                                           "content": {"application/json": {"schema": error_ref}}}
    return entry


def _success(op: Any, refs: dict) -> dict[str, Any]:
    response: dict[str, Any] = {"description": STATUS_TEXT.get(op.status, "OK")}
    if isinstance(op.response, type) and issubclass(op.response, BaseModel):
        response["content"] = {op.content_type: {"schema": refs[(op.response, "serialization")]}}
    elif op.status != 204 and op.content_type != "application/json":
        response["content"] = {op.content_type: {}}
    return response
