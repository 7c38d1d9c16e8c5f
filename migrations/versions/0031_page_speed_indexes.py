"""indexes for the dashboard and the auditors' search (issue 23 "Speed": ≤ 100 ms at p95)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 09:40:00

With 100,000 open tasks the dashboard read every open task's row (and its case's) to count the late
ones, and every task decided this month through the 已办 index by skipping over each decider; a unit
manager's open cases read every process. The auditors' search orders by (started_at, process_id):
the index on started_at alone left the tie-break to a sort of every readable process before the
first page could be cut, so a unit manager's search tested the visibility rule on all of them.

- ix_tasks_decided_at: the tasks decided in a month, with what the averages read (covering);
- ix_tasks_open_due: the open tasks with what the overdue counts read (covering), in case order so
  that each task's case is looked up next to the previous one's;
- ix_processes_id_unit: a case's unit, for the dashboard's tasks of head-office seats (covering: the
  lookups read this small index, not the table);
- ix_processes_unit_status: a unit's open cases per type;
- ix_processes_started_at: now (started_at, process_id), the search's whole order.
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

DECIDED = ["decided_at", "process_type", "step", "created_at", "unit_code", "process_id"]
OPEN_DUE = ["status", "process_id", "due_at", "overdue", "unit_code", "process_type", "step"]


def upgrade() -> None:
    op.create_index("ix_tasks_decided_at", "tasks", DECIDED)
    op.create_index("ix_tasks_open_due", "tasks", OPEN_DUE)
    op.create_index("ix_processes_id_unit", "processes", ["process_id", "unit_code"])
    op.create_index("ix_processes_unit_status", "processes", ["unit_code", "status", "process_type"])
    op.drop_index("ix_processes_started_at", table_name="processes")
    op.create_index("ix_processes_started_at", "processes", ["started_at", "process_id"])


def downgrade() -> None:
    op.drop_index("ix_processes_started_at", table_name="processes")
    op.create_index("ix_processes_started_at", "processes", ["started_at"])
    op.drop_index("ix_processes_unit_status", table_name="processes")
    op.drop_index("ix_processes_id_unit", table_name="processes")
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.drop_index("ix_tasks_decided_at", table_name="tasks")
