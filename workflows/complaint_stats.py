"""Monthly complaint statistics, started by a Temporal Schedule early each month (002 rule 2 §27)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.complaint_store import ComplaintStore, StatsRequest
    from domain.rulebook import enforces
    from workflows.activity_calls import store


@workflow.defn(name="ComplaintStats")
class ComplaintStatsWorkflow:
    @workflow.run
    @enforces("002-2-27-monthly-statistics")
    async def run(self, request: StatsRequest) -> dict[str, object]:
        if request.month is None and request.as_of is None:
            request = StatsRequest(as_of=workflow.now())
        return await store(ComplaintStore.compute_monthly_stats, request)
