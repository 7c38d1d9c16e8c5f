"""Typed search attributes every process carries, so the Temporal UI can filter like our API."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

PROCESS_TYPE = SearchAttributeKey.for_keyword("ProcessType")
PROCESS_STATUS = SearchAttributeKey.for_keyword("ProcessStatus")
CURRENT_STEP = SearchAttributeKey.for_keyword("CurrentStep")
CUSTOMER_CREDIT_CODE = SearchAttributeKey.for_keyword("CustomerCreditCode")

ALL_KEYS = (PROCESS_TYPE, PROCESS_STATUS, CURRENT_STEP, CUSTOMER_CREDIT_CODE)
