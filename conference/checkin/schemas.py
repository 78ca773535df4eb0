"""The check-in API's shapes: pydantic models that validate requests and describe answers.

The same models produce ``/api/openapi.json`` (:func:`openapi_document`), so the document
cannot drift from what the views accept and return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from conference.checkin.models import NONCE_MAX

Code = Literal[
    "ok", "already_checked_in", "unknown_badge", "revoked_badge", "wrong_event", "not_allowed"
]
REF_TEMPLATE = "#/components/schemas/{model}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


# --- requests -----------------------------------------------------------------------------


class CheckInRequest(_Model):
    """One scan from a device: a badge token or URL, or an attendee id from the search."""

    token: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="A bare badge token or a badge URL of any base URL (…/b/<token>).",
    )
    attendee_id: int | None = Field(default=None, ge=1, description="From the name search.")
    list_id: int = Field(ge=1, description="The check-in list the device scans for.")
    nonce: str = Field(
        min_length=8,
        max_length=NONCE_MAX,
        description="Client-generated, unique per scan; a repeat returns the first answer.",
    )
    scanned_at: AwareDatetime = Field(description="When the device scanned (its own clock).")

    @model_validator(mode="after")
    def _one_subject(self) -> CheckInRequest:
        if (self.token is None) == (self.attendee_id is None):
            raise ValueError("send exactly one of token and attendee_id")
        return self


class SearchQuery(_Model):
    """Query string of the name search."""

    q: str = Field(default="", max_length=200, description="Part of a name, e-mail or company.")
    list_id: int | None = Field(default=None, ge=1, description="Whose check-ins to report.")


# --- answers ------------------------------------------------------------------------------


class ListRef(_Model):
    """A check-in list, named."""

    id: int
    name: str


class AttendeeRef(_Model):
    """The person scanned (never their e-mail)."""

    id: int
    name: str
    company: str


class CheckInRef(_Model):
    """The check-in made by this scan."""

    id: int
    at: AwareDatetime
    by: str = Field(description="The staff member's name.")
    list: ListRef


class PreviousCheckIn(_Model):
    """The check-in that was there first."""

    at: AwareDatetime
    by: str
    list: ListRef


class CheckInResponse(_Model):
    """The answer to a scan. HTTP 200 for every decided outcome; ``code`` says which."""

    ok: bool
    code: Code
    message: str = Field(description="For people, e.g. “Welcome, Maria Fernández — Datawell”.")
    attendee: AttendeeRef | None
    check_in: CheckInRef | None
    previous: PreviousCheckIn | None
    undo_until: AwareDatetime | None
    replayed: bool = Field(description="True when the nonce was seen before.")


class CheckInList(_Model):
    """A check-in list with its counts."""

    id: int
    name: str
    allow_reentry: bool
    expected: int
    checked_in: int
    version: int = Field(
        description="Raised by every check-in and undo on the list: of two answers about the "
        "same list, the one with the higher version is the newer."
    )


class ListsResponse(_Model):
    """The event's check-in lists."""

    lists: list[CheckInList]


class RosterEntry(_Model):
    """One attendee of the offline roster."""

    h: str | None = Field(
        description="SHA-256 hex of the live badge token; null without a live badge."
    )
    attendee_id: int
    name: str
    company: str
    checked_in: bool


class RosterResponse(_Model):
    """What a scanner caches to validate scans offline."""

    generated_at: AwareDatetime
    entries: list[RosterEntry]
    list: CheckInList


class SearchResult(_Model):
    """An attendee found by the search."""

    attendee_id: int
    name: str
    company: str
    checked_in: bool


class SearchResponse(_Model):
    """At most 20 attendees, by name."""

    results: list[SearchResult]


class RecentCheckIn(_Model):
    """One of the last ten check-ins."""

    name: str
    company: str
    at: AwareDatetime
    by: str
    list: ListRef


class Bucket(_Model):
    """Check-ins in the five minutes starting at ``t``."""

    t: AwareDatetime
    n: int


class StatsResponse(_Model):
    """A list's live dashboard."""

    expected: int
    checked_in: int
    recent: list[RecentCheckIn]
    per_5min: list[Bucket]
    list: CheckInList


class UndoResponse(_Model):
    """The check-in was taken back."""

    ok: bool


class ErrorResponse(_Model):
    """Any refusal: ``error`` is a stable code, ``details`` lists invalid fields (400)."""

    ok: Literal[False] = False
    error: str
    message: str
    details: list[dict[str, Any]] | None = None


# --- the OpenAPI document -----------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One API route as the OpenAPI document describes it."""

    method: str
    path: str  # in Flask's syntax: /api/events/<slug>/checkin/<int:check_in_id>/undo
    operation_id: str
    summary: str
    response: type[BaseModel]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: dict[int, str] = field(default_factory=dict)


def _openapi_path(path: str) -> tuple[str, list[dict[str, Any]]]:
    """Flask's ``<int:id>`` becomes ``{id}``, with its parameter described."""
    parts, params = [], []
    for part in path.split("/"):
        if part.startswith("<") and part.endswith(">"):
            converter, _, name = part[1:-1].rpartition(":")
            schema = {"type": "integer"} if converter == "int" else {"type": "string"}
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
            part = "{" + name + "}"
        parts.append(part)
    return "/".join(parts), params


def openapi_document(operations: list[Operation], *, title: str, version: str) -> dict[str, Any]:
    """An OpenAPI 3.1 document for ``operations``, its schemas generated from the models."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorResponse, "serialization"): None
    }
    for op in operations:
        wanted[(op.response, "serialization")] = None
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        if op.query is not None:
            wanted[(op.query, "validation")] = None
    refs, top = models_json_schema(list(wanted), ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = top.get("$defs", {})

    def content(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return {"application/json": {"schema": refs[(model, mode)]}}

    error = content(ErrorResponse, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        path, params = _openapi_path(op.path)
        if op.query is not None:
            query_schema = op.query.model_json_schema(ref_template=REF_TEMPLATE)
            required = set(query_schema.get("required", []))
            for name, schema in query_schema.get("properties", {}).items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in required,
                        "schema": {k: v for k, v in schema.items() if k != "description"},
                        "description": schema.get("description", ""),
                    }
                )
        responses: dict[str, Any] = {
            "200": {
                "description": op.response.__doc__ or "OK",
                "content": content(op.response, "serialization"),
            },
            "401": {"description": "Not logged in.", "content": error},
            "403": {"description": "Not on this event's team.", "content": error},
            "404": {"description": "No such event (or list).", "content": error},
        }
        if op.body is not None or op.query is not None:
            responses["400"] = {"description": "Invalid request.", "content": error}
        for status, description in op.errors.items():
            responses[str(status)] = {"description": description, "content": error}
        operation: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "parameters": params,
            "responses": responses,
            "security": [{"session": []}],
        }
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": content(op.body, "validation")}
        if op.method.lower() != "get":
            operation["security"] = [{"session": [], "csrf": []}]
        paths.setdefault(path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "known_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
        },
    }
