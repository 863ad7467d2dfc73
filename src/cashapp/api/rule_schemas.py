"""Schemas of the alias-rule routes: learned payer aliases a person accepts or rejects."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from cashapp.api.schemas import Input, Timestamp

RuleState = Literal["proposed", "accepted", "rejected"]


class AliasRuleRead(BaseModel):
    """"account DE89... pays for customer C042 (seen 3 times)", and who decided it."""

    id: int
    kind: Literal["account", "name"]
    value: str = Field(description="The account or payer name as written on the bank lines.")
    key: str = Field(description="Its normalised form: what the matcher looks lines up by.")
    customer_id: str
    times_seen: int = Field(description="Confirmed lines behind it at the last refresh.")
    status: RuleState
    version: int = Field(description="Send it back to accept or reject (409 when it moved).")
    text: str
    proposed_at: Timestamp
    decided_at: Timestamp | None
    decided_by: str | None


class AliasRulePage(BaseModel):
    items: list[AliasRuleRead]
    next_cursor: int | None


class AliasRuleDecision(Input):
    """Accept or reject a proposed rule at the version the person saw."""

    version: Annotated[int, Field(ge=0)]


class AliasRuleRefresh(BaseModel):
    """What a refresh of the proposals did."""

    new: int
    updated: int
    withdrawn: int
