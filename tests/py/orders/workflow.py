"""An order-tracking team's workflows for the visibility tests: an order that records its progress
in typed search attributes and its memo, and a fulfilment that ships the order through a child.

Run in the SDK's default sandbox, as a team would run them."""

from __future__ import annotations

from datetime import datetime, timezone

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

# One custom attribute of every type (two Keywords), as the team registers them.
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
STAGE = SearchAttributeKey.for_keyword("Stage")
NOTES = SearchAttributeKey.for_text("Notes")
AMOUNT = SearchAttributeKey.for_int("Amount")
SCORE = SearchAttributeKey.for_float("Score")
VIP = SearchAttributeKey.for_bool("Vip")
DUE_AT = SearchAttributeKey.for_datetime("DueAt")
TAGS = SearchAttributeKey.for_keyword_list("Tags")
ALL_KEYS = (CUSTOMER_ID, STAGE, NOTES, AMOUNT, SCORE, VIP, DUE_AT, TAGS)

PACKED_DUE_AT = datetime(2026, 9, 1, 8, 30, tzinfo=timezone.utc)


@workflow.defn
class OrderWorkflow:
    """First task: stage "placed", the amount confirmed, the score cleared, the tags replaced, the
    memo updated. The update `advance` moves the stage, clears Vip and sets DueAt. The signal
    `finish` completes the order."""

    def __init__(self) -> None:
        self._finished = False

    @workflow.run
    async def run(self, amount: int) -> str:
        workflow.upsert_search_attributes([
            STAGE.value_set("placed"),
            AMOUNT.value_set(amount),
            SCORE.value_unset(),
            TAGS.value_set(["paid", "gift"]),
        ])
        workflow.upsert_memo({"stage": "placed", "priority": 1})
        await workflow.wait_condition(lambda: self._finished)
        return workflow.info().typed_search_attributes.get(STAGE) or ""

    @workflow.update
    def advance(self, stage: str) -> str:
        workflow.upsert_search_attributes([
            STAGE.value_set(stage),
            VIP.value_unset(),
            DUE_AT.value_set(PACKED_DUE_AT),
        ])
        return stage

    @workflow.signal
    def finish(self) -> None:
        self._finished = True


@workflow.defn
class ShipmentWorkflow:
    @workflow.run
    async def run(self, order_id: str) -> str:
        return f"shipped {order_id}"


@workflow.defn
class FulfilmentWorkflow:
    """Ships an order through a child workflow tagged with the order's customer."""

    @workflow.run
    async def run(self, order_id: str, customer_id: str) -> str:
        return await workflow.execute_child_workflow(
            ShipmentWorkflow.run, order_id,
            id=f"{workflow.info().workflow_id}-shipment",
            search_attributes=TypedSearchAttributes([SearchAttributePair(CUSTOMER_ID, customer_id)]),
            memo={"order": order_id},
        )


@workflow.defn
class ClearWorkflow:
    """Clears a search attribute and removes a memo key, then waits to be terminated."""

    @workflow.run
    async def run(self) -> None:
        workflow.upsert_search_attributes([SCORE.value_unset()])
        workflow.upsert_memo({"coupon": None})
        await workflow.wait_condition(lambda: False)
