"""What the chain tells people: a holder's reminder or nudge, a note on a step, and the copies —
知会 (the roles a step declares it copies when it opens) and 抄送 (the users a decider copies).
Stateless: every notice and watcher goes to the outbox, written with the moment's sync."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.approvals import StepSpec
    from domain.models import WatcherSpec
    from workflows.engine.context import ChainContext
    from workflows.engine.step_run import SeatTask


class Notices:
    def __init__(self, context: ChainContext) -> None:
        self.context = context

    def notify_holder(self, seat: SeatTask, kind: str, text: str) -> None:
        spec = seat.spec
        user = spec.assignee or spec.claimed_by
        role = None if user else spec.role
        notification = self.context.supervision.notification(kind, role, user, text, spec.step)
        self.context.outbox.notifications.append(notification)

    def notify_step(self, step: StepSpec, text: str) -> None:
        notification = self.context.supervision.notification("step_note", None, None, text, step.key)
        self.context.outbox.notifications.append(notification)

    def copy_roles(self, step: StepSpec) -> None:
        """知会: the roles the step declares are copied on the process when it opens."""
        process_id = self.context.process.process_id
        for role in step.cc:
            self._watch(
                WatcherSpec(
                    watcher_id=f"{process_id}:{workflow.uuid4()}",
                    process_id=process_id,
                    role=role,
                    added_by="system",
                    step=step.key,
                    added_at=workflow.now(),
                ),
                f"知会: step {step.key} opened",
            )

    def copy_users(self, users: list[str], by: str, step: str) -> None:
        """抄送: the users a decider names are copied on the process, each once."""
        process_id = self.context.process.process_id
        for user in dict.fromkeys(users):
            self._watch(
                WatcherSpec(
                    watcher_id=f"{process_id}:{workflow.uuid4()}",
                    process_id=process_id,
                    username=user,
                    added_by=by,
                    step=step,
                    added_at=workflow.now(),
                ),
                f"抄送 by {by} at step {step}",
            )

    def _watch(self, watcher: WatcherSpec, text: str) -> None:
        self.context.outbox.watchers.append(watcher)
        self.context.outbox.notifications.append(
            self.context.supervision.notification("cc", watcher.role, watcher.username, text, watcher.step)
        )
