"""Pure rules of issue 20 item 9: whose department leader decides (002 rule 1, 004 §4 (一)), the
outsider's introduction letter (002 rule 1 第二节), what finance is told of a register review (004 §4 (二))."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.approvals import borrowing_chain, leader_level_above, survey_chain
from domain.borrowing import OutsiderReader, ReviewRecord, ReviewResult, outsider_problem, review_summary


def test_the_department_leader_is_the_first_head_above_who_is_not_the_filer() -> None:
    assert leader_level_above("clerk", ["marketing_manager", "general_manager"]) == 1
    assert leader_level_above("depot_manager", ["depot_manager", "general_manager"]) == 2
    # The top of the line has nobody above: a level nobody holds (the step is skipped with a note).
    assert leader_level_above("general_manager", ["general_manager"]) == 2
    assert leader_level_above("nobody", []) == 1


def test_chains_freeze_the_level_and_add_the_manager_for_an_outsider() -> None:
    insider = borrowing_chain(2)
    assert [s.key for s in insider.steps] == ["department_leader", "finance_consent"]
    assert insider.steps[0].leader_level == 2
    outsider = borrowing_chain(1, outsider=True)
    assert [s.key for s in outsider.steps] == ["department_leader", "manager_approval", "finance_consent"]
    assert survey_chain(2).steps[0].leader_level == 2 and survey_chain().steps[0].leader_level == 1


def test_an_outsider_needs_the_introduction_letter() -> None:
    visitor = OutsiderReader(name="李审计", organisation="郑州市审计局")
    problem = outsider_problem(visitor)
    assert problem is not None and "002 rule 1" in problem
    assert outsider_problem(visitor.model_copy(update={"introduction_letter": "   "})) is not None
    assert outsider_problem(visitor.model_copy(update={"introduction_letter": "郑审函〔2026〕12号"})) is None


def test_finance_is_told_the_counts_and_the_customers_that_left() -> None:
    record = ReviewRecord(
        review_id="r",
        period="2027-02",
        results={1: ReviewResult.confirm, 2: ReviewResult.past, 3: ReviewResult.suspend, 4: ReviewResult.confirm},
        decided_by="depot_manager",
        decided_at=datetime.now(UTC),
    )
    text = review_summary(record)
    assert "confirm 2, suspend 1, past 1" in text and "changed: [2, 3]" in text and "depot_manager" in text
