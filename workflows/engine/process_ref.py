"""What names a process on its row, in an inbox and in the Temporal UI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import search
    from domain.models import ProcessProjection, ProcessStatus


@dataclass
class ProcessRef:
    process_id: str
    workflow_id: str
    process_type: str
    subject: str
    applicant: str
    unit: str | None = None  # the unit the process acts for (000 §5)
    unit_path: tuple[str, ...] = ()  # that unit and the units above it, nearest first

    def projection(
        self,
        status: ProcessStatus,
        current_step: str | None,
        started_at: datetime,
        *,
        customer_id: int | None = None,
        subject_key: str | None = None,
    ) -> ProcessProjection:
        """The process row as of now, with the search attributes the Temporal UI filters on set to match."""
        attributes = [
            search.PROCESS_TYPE.value_set(self.process_type),
            search.PROCESS_STATUS.value_set(status.value),
            search.CURRENT_STEP.value_set(current_step or ""),
        ]
        if subject_key is not None and not workflow.patched(search.NO_CUSTOMER_DATA_PATCH):
            attributes.append(search.CUSTOMER_CREDIT_CODE.value_set(subject_key))  # runs started before sealing
        workflow.upsert_search_attributes(attributes)
        return ProcessProjection(
            process_id=self.process_id,
            workflow_id=self.workflow_id,
            process_type=self.process_type,
            status=status,
            current_step=current_step,
            subject=self.subject[:200],
            subject_key=subject_key,
            applicant=self.applicant,
            customer_id=customer_id,
            unit_code=self.unit,
            started_at=started_at,
            updated_at=workflow.now(),
        )
