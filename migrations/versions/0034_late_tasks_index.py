"""a task carries its case's unit; the dashboard's late tasks read from one index (issue 23 "Speed")

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 12:00:00

The dashboard counts a task under the unit it stands in: its seat's, or for a head-office seat (no
unit) the unit of the case it serves. With 100,000 open tasks, three in four of them head-office
seats, finding each case's unit was a lookup per task (SQLite) or a hash of every process
(PostgreSQL), and the late ones were found by one OR condition that read every open task: the
auditor's dashboard took 118 ms at p95 on PostgreSQL against a target of 100.

- tasks.case_unit: the case's unit (processes.unit_code, fixed when a process starts), copied by the
  store whenever it writes a task (activities/process_store.py `put_tasks`); filled here for the
  tasks there are;
- ix_tasks_late replaces ix_tasks_open_due (0031): the late tasks are two ranges of it, flagged by the
  clock and (not flagged, due before now) (`api.services.inbox.overdue_branches`), each covering what
  the count groups by;
- ix_tasks_decided_at covers case_unit in place of process_id: a month's decisions per unit without
  their cases;
- ix_processes_id_unit (0031), a case's unit for each such task, is no longer read: dropped.
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

DECIDED_0031 = ["decided_at", "process_type", "step", "created_at", "unit_code", "process_id"]
DECIDED = ["decided_at", "process_type", "step", "created_at", "unit_code", "case_unit"]
OPEN_DUE_0031 = ["status", "process_id", "due_at", "overdue", "unit_code", "process_type", "step"]
LATE = ["status", "overdue", "due_at", "unit_code", "case_unit", "process_type", "step"]

FILL = """
UPDATE tasks SET case_unit = (SELECT processes.unit_code FROM processes WHERE processes.process_id = tasks.process_id)
"""


def upgrade() -> None:
    op.add_column("tasks", sa.Column("case_unit", sa.String(length=40), nullable=True))
    op.execute(FILL)
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.create_index("ix_tasks_late", "tasks", LATE)
    op.drop_index("ix_tasks_decided_at", table_name="tasks")
    op.create_index("ix_tasks_decided_at", "tasks", DECIDED)
    op.drop_index("ix_processes_id_unit", table_name="processes")


def downgrade() -> None:
    op.create_index("ix_processes_id_unit", "processes", ["process_id", "unit_code"])
    op.drop_index("ix_tasks_decided_at", table_name="tasks")
    op.create_index("ix_tasks_decided_at", "tasks", DECIDED_0031)
    op.drop_index("ix_tasks_late", table_name="tasks")
    op.create_index("ix_tasks_open_due", "tasks", OPEN_DUE_0031)
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("case_unit")
