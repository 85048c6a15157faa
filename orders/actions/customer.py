"""Actions on the customer's own profile."""

from __future__ import annotations

import uuid
from typing import Any

from orders.actions.base import ActionContext, ActionRequest, Actor, Target, run_action
from orders.actions.lock_objects import customer_lock_by_ref
from orders.models import ActionName, ActionRecord, Address


def modify_user_address(
    *,
    user_id: str,
    address: Address,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Change the customer's default address (orders already placed keep theirs)."""

    def lock() -> Target:
        return Target(customer=customer_lock_by_ref(ref=user_id))

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        for name, value in address.as_dict().items():
            setattr(target.customer, name, value)
        target.customer.save(update_fields=list(Address.FIELDS))
        return {"address": address.as_dict()}

    request = ActionRequest(
        ActionName.MODIFY_USER_ADDRESS,
        proposal_id,
        actor,
        {"user_id": user_id, **address.as_dict()},
        conversation_id,
        customer_id,
    )
    return run_action(request=request, lock=lock, apply=apply)
