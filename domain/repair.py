"""An administrator's repair of a process whose store step failed on data the database refused.

The process stops (status `failed`, clocks held) and waits for one decision: `resume` retries the
failed write (after the data or the column was fixed), `abandon` ends the process as failed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from domain.models import Actor
from domain.text import StoredText


class RepairAction(StrEnum):
    resume = "resume"
    abandon = "abandon"


class RepairRequest(BaseModel):
    actor: Actor
    action: RepairAction
    reason: StoredText = Field(min_length=1, max_length=500)


class RepairOutcome(BaseModel):
    """What the decision led to: `running` again, still `failed` (the retry failed too, with a new
    reason), or `abandoned` (the process ends as failed)."""

    process_id: str
    action: RepairAction
    status: str
    failure_reason: str | None = None
