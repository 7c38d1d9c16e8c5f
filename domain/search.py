"""Typed search attributes every process carries, so the Temporal UI can filter like our API.

Issue 24 §1: a search attribute is indexed by the server in clear (the payload codec never sees it),
so none carries customer data. `CustomerCreditCode` was set until then and stays registered for the
runs started before; a run started since leaves it unset (`NO_CUSTOMER_DATA_PATCH`): a customer's
processes are found by name or credit code in the app's own audit search (/audit), which asks who
the reader is, and the case page links to the run in the Temporal UI (docs/operations/sealing.md)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

PROCESS_TYPE = SearchAttributeKey.for_keyword("ProcessType")
PROCESS_STATUS = SearchAttributeKey.for_keyword("ProcessStatus")
CURRENT_STEP = SearchAttributeKey.for_keyword("CurrentStep")
CUSTOMER_CREDIT_CODE = SearchAttributeKey.for_keyword("CustomerCreditCode")

# workflow.patched id: runs started from it on no longer set CUSTOMER_CREDIT_CODE.
NO_CUSTOMER_DATA_PATCH = "search-attributes-without-customer-data"

ALL_KEYS = (PROCESS_TYPE, PROCESS_STATUS, CURRENT_STEP, CUSTOMER_CREDIT_CODE)
