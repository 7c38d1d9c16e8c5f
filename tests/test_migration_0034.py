"""Migration 0034 (issue 23 "Speed") on both databases: the tasks there are get their case's unit
(`tasks.case_unit`, what the dashboard counts a head-office seat's task under), a task whose case has
no row gets none; and it goes down again to 0033 and back up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from db.migrate import upgrade
from db.session import sync_url
from settings import ROOT
from tests.conftest import _fresh_postgres_database

BEFORE, AFTER = "0033", "0034"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
meta = sa.MetaData()
processes = sa.Table(
    "processes",
    meta,
    *(sa.Column(n, sa.String()) for n in ("process_id", "workflow_id", "process_type", "status", "subject")),
    *(sa.Column(n, sa.String()) for n in ("applicant", "unit_code")),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
TEXTS = ("task_id", "process_id", "workflow_id", "process_type", "step", "step_title", "role", "unit_code")
tasks = sa.Table(
    "tasks",
    meta,
    *(sa.Column(n, sa.String()) for n in (*TEXTS, "subject", "status")),
    *(sa.Column(n, sa.Boolean()) for n in ("unit_parents", "due_provisional", "overdue")),
    *(sa.Column(n, sa.Integer()) for n in ("round", "escalation_level")),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)


def task(connection: sa.Connection, task_id: str, process_id: str, unit: str | None) -> None:
    flags = {"unit_parents": False, "due_provisional": False, "overdue": False, "round": 1, "escalation_level": 0}
    values = dict.fromkeys(TEXTS, "m34") | {"task_id": task_id, "process_id": process_id, "unit_code": unit}
    connection.execute(tasks.insert().values(**values, **flags, subject="m34", status="open", created_at=NOW))


def migrated(database: str, tmp_path: object, request: pytest.FixtureRequest) -> str:
    if database == "sqlite":
        return f"sqlite:///{tmp_path}/m34.db"
    return _fresh_postgres_database(request.getfixturevalue("postgres_url"))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_0034_copies_each_case_unit_onto_its_tasks_and_goes_back(
    database: str, tmp_path: object, request: pytest.FixtureRequest
) -> None:
    url = migrated(database, tmp_path, request)
    upgrade(url, BEFORE)
    engine = sa.create_engine(sync_url(url))
    with engine.begin() as connection:
        case = {"workflow_id": "m34", "process_type": "onboarding", "status": "running", "subject": "m34"}
        connection.execute(
            processes.insert().values(
                process_id="p-depot",
                unit_code="DEPOT-X",
                applicant="sales_clerk",
                started_at=NOW,
                updated_at=NOW,
                **case,
            )
        )
        task(connection, "head-office", "p-depot", None)  # a head-office seat on the depot's case
        task(connection, "depot-seat", "p-depot", "DEPOT-X")
        task(connection, "no-case-row", "p-missing", None)
    upgrade(url, AFTER)
    with engine.connect() as connection:
        filled = {row[0]: row[1] for row in connection.execute(sa.text("SELECT task_id, case_unit FROM tasks"))}
    assert filled == {"head-office": "DEPOT-X", "depot-seat": "DEPOT-X", "no-case-row": None}
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    command.downgrade(config, BEFORE)
    with engine.connect() as connection:
        assert "case_unit" not in {column["name"] for column in sa.inspect(connection).get_columns("tasks")}
        assert indexes(connection) == {
            "ix_tasks_open_due": ["status", "process_id", "due_at", "overdue", "unit_code", "process_type", "step"],
            "ix_tasks_decided_at": ["decided_at", "process_type", "step", "created_at", "unit_code", "process_id"],
            "ix_processes_id_unit": ["process_id", "unit_code"],
        }
    upgrade(url, AFTER)
    with engine.connect() as connection:
        assert indexes(connection) == {
            "ix_tasks_late": ["status", "overdue", "due_at", "unit_code", "case_unit", "process_type", "step"],
            "ix_tasks_decided_at": ["decided_at", "process_type", "step", "created_at", "unit_code", "case_unit"],
        }
    engine.dispose()


def indexes(connection: sa.Connection) -> dict[str, list[str | None]]:
    """The indexes 0034 touches that the database has, with their columns."""
    touched = {"ix_tasks_open_due", "ix_tasks_late", "ix_tasks_decided_at", "ix_processes_id_unit"}
    found = [*sa.inspect(connection).get_indexes("tasks"), *sa.inspect(connection).get_indexes("processes")]
    return {index["name"]: index["column_names"] for index in found if index["name"] in touched}
