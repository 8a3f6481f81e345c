"""The OpenAPI 3.1 description of the prompt API, served at ``/api/v1/openapi.json``.

Written by hand next to the routes it describes; a test checks real answers of the running
server against the response schemas here, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from bot.commands.prompts import PROMPT_NAME_PATTERN
from bot.prompts.labels import LABEL_PATTERN, LABEL_RULE

_NAME_PATTERN = f"^{PROMPT_NAME_PATTERN}$"
_LABEL_PATTERN = f"^{LABEL_PATTERN}$"
_REF = "#/components/schemas/"
_ERROR_REF = "#/components/responses/"


def _error_response(
    description: str, extra_headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + "Error"}}},
    }
    if extra_headers:
        answer["headers"] = extra_headers
    return answer


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_ETAG_HEADERS = {
    "ETag": {
        "description": "A strong validator of this answer; send it back as If-None-Match.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"schema": {"type": "string", "const": "private, max-age=0"}},
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the copy the caller holds; an unchanged answer is then 304.",
    "schema": {"type": "string"},
}

_SCHEMAS: dict[str, Any] = {
    "ModelSettings": {
        "type": "object",
        "description": "How the version runs; null where the workspace default applies.",
        "required": ["model", "temperature", "max_tokens"],
        "additionalProperties": False,
        "properties": {
            "model": {"type": ["string", "null"], "examples": ["openai:llama3.1"]},
            "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
            "max_tokens": {"type": ["integer", "null"], "minimum": 1},
        },
    },
    "Prompt": {
        "type": "object",
        "required": [
            "name",
            "version",
            "labels",
            "template",
            "variables",
            "principles",
            "model_settings",
            "updated_at",
        ],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": _NAME_PATTERN},
            "version": {"type": "integer", "minimum": 1},
            "labels": {
                "type": "array",
                "description": "The labels on this version.",
                "items": {"type": "string", "pattern": _LABEL_PATTERN},
            },
            "template": {
                "type": "string",
                "description": "The prompt text, with {variable} placeholders.",
            },
            "variables": {"type": "array", "items": {"type": "string"}},
            "principles": {"type": "array", "items": {"type": "string"}},
            "model_settings": {"$ref": _REF + "ModelSettings"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "PromptSummary": {
        "type": "object",
        "required": ["name", "version", "labels", "updated_at"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": _NAME_PATTERN},
            "version": {"type": "integer", "minimum": 1, "description": "The current version."},
            "labels": {
                "type": "object",
                "description": "Each label of the prompt and the version it is on.",
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
            "updated_at": {"type": "string"},
        },
    },
    "PromptList": {
        "type": "object",
        "required": ["prompts"],
        "additionalProperties": False,
        "properties": {"prompts": {"type": "array", "items": {"$ref": _REF + "PromptSummary"}}},
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": [
                            "bad_request",
                            "unauthorized",
                            "not_found",
                            "method_not_allowed",
                            "rate_limited",
                            "unavailable",
                        ],
                    },
                    "message": {"type": "string"},
                },
            }
        },
    },
}

_RESPONSES: dict[str, Any] = {
    "BadRequest": _error_response(
        "The query is malformed: both label and version, a version that is not a positive "
        "whole number, or an invalid name or label."
    ),
    "Unauthorized": _error_response(
        "The API key is missing, malformed, unknown or revoked.",
        {"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    "NotFound": _error_response("No such prompt, label or version; the message says which."),
    "RateLimited": _error_response("The key is over its per-minute request limit.", _RETRY_AFTER),
    "Unavailable": _error_response("Prompt storage is unreachable.", _RETRY_AFTER),
}


def _json_ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _ETAG_HEADERS,
        "content": {"application/json": {"schema": {"$ref": _REF + schema}}},
    }


_COMMON_ERRORS = {
    "401": {"$ref": _ERROR_REF + "Unauthorized"},
    "429": {"$ref": _ERROR_REF + "RateLimited"},
    "503": {"$ref": _ERROR_REF + "Unavailable"},
}
_NOT_MODIFIED = {"description": "Unchanged since the ETag given in If-None-Match; no body."}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "alignbot prompt API",
            "version": "1",
            "description": (
                "Read the prompts a team shapes in Slack: the current version, the version "
                "a label (such as production) is on, or any version by number. Keys are made "
                "with `/align apikey create NAME` and read only their own workspace."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/prompts": {
                "get": {
                    "operationId": "listPrompts",
                    "summary": "The workspace's prompts, each with its current version and labels.",
                    "parameters": [_IF_NONE_MATCH],
                    "responses": {
                        "200": _json_ok("The prompts.", "PromptList"),
                        "304": _NOT_MODIFIED,
                        **_COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/prompts/{name}": {
                "get": {
                    "operationId": "getPrompt",
                    "summary": "One version of a prompt: current, by label or by number.",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": _NAME_PATTERN},
                        },
                        {
                            "name": "label",
                            "in": "query",
                            "required": False,
                            "description": f"The version carrying this label ({LABEL_RULE}).",
                            "schema": {"type": "string", "pattern": _LABEL_PATTERN},
                        },
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "description": "This version number (not together with label).",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        _IF_NONE_MATCH,
                    ],
                    "responses": {
                        "200": _json_ok("The version asked for.", "Prompt"),
                        "304": _NOT_MODIFIED,
                        "400": {"$ref": _ERROR_REF + "BadRequest"},
                        "404": {"$ref": _ERROR_REF + "NotFound"},
                        **_COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document."}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (ab_...) as 'Authorization: Bearer <key>'.",
                }
            },
            "schemas": _SCHEMAS,
            "responses": _RESPONSES,
        },
    }
