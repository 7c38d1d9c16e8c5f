"""Every JSON request body in the OpenAPI schema carries a realistic example that its own operation
accepts, so "Try it out" in /docs works at once (issue 23); the main ones go through the real API
as they are.

Read from `app.openapi()` and `app.routes`, so a new route whose body has no example fails here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.main import create_app
from domain.credit_code import credit_code_problem
from domain.examples import CREDIT_CODE, PARTNER_CREDIT_CODE
from settings import Settings
from tests.support import Api, random_credit_code
from tests.workflows.test_credit_application import new_customer

P = "/api/v1"


@dataclass(frozen=True)
class JsonBody:
    method: str
    path: str
    route: APIRoute
    examples: tuple[Any, ...]
    members: int  # how many models the body may be (a discriminated union names several)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """(method, path) → the route, through FastAPI 0.16x's wrapped included routers."""
    found: dict[tuple[str, str], APIRoute] = {}
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        pairs = [(c.path, c.original_route) for c in contexts()] if contexts else [(getattr(route, "path", ""), route)]
        for path, original in pairs:
            if isinstance(original, APIRoute):
                found.update(((method, path), original) for method in original.methods or ())
    return found


def json_bodies() -> list[JsonBody]:
    app = create_app(Settings(app_env="demo", database_url="sqlite://"))
    spec, routes = app.openapi(), _routes(app)
    components = spec["components"]["schemas"]
    bodies = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None:
                continue
            schema = media["schema"]
            refs = [member["$ref"] for member in schema.get("oneOf", [schema]) if "$ref" in member]
            found: list[Any] = []
            for ref in refs:
                found += components[ref.rsplit("/", 1)[-1]].get("examples", [])
            bodies.append(JsonBody(method.upper(), path, routes[(method.upper(), path)], tuple(found), len(refs)))
    return bodies


BODIES = json_bodies()


def test_the_schema_has_json_bodies_to_check() -> None:
    assert len(BODIES) > 50
    assert {"POST /api/v1/onboarding", "POST /api/v1/complaints", "POST /api/v1/rule-changes"} <= {
        body.label for body in BODIES
    }


def test_every_json_request_body_has_an_example() -> None:
    """Of a discriminated union (`POST /rule-changes`), every member model has its own."""
    missing = [body.label for body in BODIES if body.members == 0 or len(body.examples) < body.members]
    assert missing == [], f"request bodies without an example in the OpenAPI schema: {missing}"


@pytest.mark.parametrize("body", BODIES, ids=lambda body: body.label)
def test_each_example_is_accepted_by_its_operations_model(body: JsonBody) -> None:
    field = body.route.body_field
    assert field is not None
    for example in body.examples:
        _, errors = field.validate(json.loads(json.dumps(example)), {}, loc=("body",))
        assert not errors, f"{body.label}: {errors}"


def test_the_example_credit_codes_are_valid() -> None:
    assert credit_code_problem(CREDIT_CODE) is None
    assert credit_code_problem(PARTNER_CREDIT_CODE) is None


def _values(tree: Any, key: str) -> list[Any]:
    """Every value stored under `key` anywhere in a JSON tree."""
    if isinstance(tree, dict):
        return [v for k, v in tree.items() if k == key] + [x for v in tree.values() for x in _values(v, key)]
    if isinstance(tree, list):
        return [x for v in tree for x in _values(v, key)]
    return []


def test_the_examples_documents_are_still_valid_and_their_credit_codes_check() -> None:
    """A "Try it out" years from now still files documents in force (000 §6 validity)."""
    examples = [example for body in BODIES for example in body.examples]
    valid_until = [day for example in examples for day in _values(example, "valid_until") if day]
    assert valid_until and min(date.fromisoformat(day) for day in valid_until) > date.today()
    codes = [code for example in examples for code in _values(example, "credit_code")]
    assert codes and [credit_code_problem(code) for code in codes] == [None] * len(codes)


def example_of(label: str) -> dict[str, Any]:
    body = next(body for body in BODIES if body.label == label)
    return json.loads(json.dumps(body.examples[0]))


@pytest.mark.asyncio(loop_scope="session")
async def test_the_main_examples_go_through_the_api_as_they_are(
    api: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Each example is sent as the docs show it. Two swaps only, both of a key the database keeps
    unique or must find: the onboarding's credit code (one open onboarding per code, and this test
    runs again on the same database) and the credit application's customer (one made here)."""
    onboarding = example_of(f"POST {P}/onboarding")
    onboarding["customer"]["credit_code"] = random_credit_code()
    filed = await api.post(f"{P}/onboarding", "sales_clerk", json=onboarding)
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "running"

    complaint = await api.post(f"{P}/complaints", "sales_clerk", json=example_of(f"POST {P}/complaints"))
    assert complaint.status_code == 201, complaint.text

    credit = example_of(f"POST {P}/credit-applications")
    credit["customer_id"] = (await new_customer(sessions)).customer_id
    applied = await api.post(f"{P}/credit-applications", "sales_clerk", json=credit)
    assert applied.status_code == 201, applied.text
