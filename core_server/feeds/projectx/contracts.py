"""Map our contracts to ProjectX contract ids through Contract/search results.

`Contract.projectx_id` is the expected id (`CON.F.US.ENQ.Z26`); the roots of some products (YM,
MYM, M2K) are unconfirmed, so when the exact id is absent a result with the same month and year,
the instrument's tick size and a product code or name (`YMZ6`, `YMZ26`) of ours is accepted if it
is the only one.
"""

from __future__ import annotations

from collections.abc import Sequence

from core_server.feeds.projectx.rest import ContractModel
from core_server.model.instruments import Contract


def resolve_contract(contract: Contract, results: Sequence[ContractModel]) -> str | None:
    """The ProjectX id of `contract` among search results, or None when it is not (uniquely) there."""
    expected = contract.projectx_id
    for result in results:
        if result.id == expected:
            return result.id
    suffix = f".{contract.month_code}{contract.year % 100:02d}"
    spec = contract.spec
    code = contract.month_code
    names = {f"{spec.root}{code}{contract.year % 10}", f"{spec.root}{code}{contract.year % 100:02d}"}
    candidates = [
        r.id
        for r in results
        if r.id.startswith("CON.F.US.")
        and r.id.endswith(suffix)
        and (r.tickSize is None or r.tickSize == spec.tick_size)
        and (_product(r.id) in (spec.projectx_code, spec.root) or r.name.upper() in names)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _product(projectx_id: str) -> str:
    parts = projectx_id.split(".")
    return parts[3] if len(parts) == 5 else ""
