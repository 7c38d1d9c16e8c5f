"""The delivery of one notice by e-mail (issue 24 §4; activities/mail.py starts it).

Letters are addressed when the workflow runs (who holds the role, their language and opt-outs),
then sent one by one, each with a bounded retry policy: the server down or busy is tried again a
few times over about a quarter of an hour, a refused address not at all ("a data error fails
visibly, never loops"). A letter that could not be sent does not stop the others; the workflow
then fails, naming how many, so the failure is visible in Temporal. The notification row was
committed before this started and stays whatever happens here.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.mail import MAIL_OFF, MAIL_REFUSED, Letter, MailActivities, MailOrder

ADDRESS_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=[MAIL_OFF])
# 30 s, 1 min, 2 min, 4 min between the five attempts: a restart of the mail server is ridden out.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30),
    backoff_coefficient=2,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=5,
    non_retryable_error_types=[MAIL_REFUSED, MAIL_OFF],
)
MAIL_UNDELIVERED = "MailUndelivered"


@workflow.defn(name="MailDelivery")
class MailDelivery:
    @workflow.run
    async def run(self, order: MailOrder) -> int:
        """The number of letters sent."""
        letters: list[Letter] = await workflow.execute_activity_method(
            MailActivities.address_letters,
            order,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ADDRESS_RETRY,
        )
        failed = 0
        for letter in letters:
            try:
                await workflow.execute_activity_method(
                    MailActivities.send_letter,
                    letter,
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=SEND_RETRY,
                )
            except ActivityError:
                failed += 1
        if failed:
            raise ApplicationError(
                f"{failed} of {len(letters)} letter(s) for {order.notification_id} not delivered",
                type=MAIL_UNDELIVERED,
                non_retryable=True,
            )
        return len(letters)
