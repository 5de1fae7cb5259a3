"""What the co-financing endpoints accept (docs/cofinancing.md): a partner, a partner's activity, a token the
council accepts, a partner's pledge, a fulfilment and a release of a stablecoin escrow. Bounds are the
contract's (sectors 1 to 5, non-zero hashes), so that bad input is a 422 naming the field, not a revert."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt

from cts.relayer.schemas import Address, Hash32, Id, Kopiyky, _Input

# ICoFinancing's sectors: 1 business, 2 local budget, 3 NGO, 4 international donor, 5 diaspora.
Sector = Annotated[
    StrictInt,
    Field(ge=1, le=5, description="1 business, 2 local budget, 3 NGO, 4 international donor, 5 diaspora"),
]


class PartnerRegistration(_Input):
    account: Address = Field(
        description="the partner's account: a custodial one of the service or their wallet"
    )
    sector: Sector
    profile_hash: Hash32 = Field(description="keccak of the partner's public profile (name, description)")


# What a partner gives, valued in UAH by the partner: 1 money, 2 materials, 3 equipment, 4 labour hours,
# 5 premises (a stablecoin, 6, moves tokens and needs the partner's own wallet).
PledgeKind = Annotated[
    StrictInt,
    Field(ge=1, le=5, description="1 money, 2 materials, 3 equipment, 4 labour hours, 5 premises"),
]


class PledgeCreate(_Input):
    round_id: Id
    project_id: Id
    kind: PledgeKind
    value_kopiyky: Kopiyky
    conditional: StrictBool = Field(description="given only if the vote chooses the project")
    agreement_hash: Hash32 = Field(description="hash of the agreement or the pledge's description")


class PartnerActivity(_Input):
    active: StrictBool


class TokenAcceptance(_Input):
    token: Address = Field(description="an ERC-20 stablecoin's contract")
    accepted: StrictBool


class PledgeFulfilment(_Input):
    receipt_hash: Hash32 = Field(
        description="keccak of the receipt: bank statement, delivery note, timesheet"
    )


class EscrowRelease(_Input):
    to: Address = Field(description="who receives the tokens: the contractor or the hromada's account")
    receipt_hash: Hash32
