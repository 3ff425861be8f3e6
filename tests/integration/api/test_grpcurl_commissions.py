"""The README's grpcurl examples for CommissionService, as written (issue 13 §5)."""

from __future__ import annotations

import json

import pytest

from tests.integration.api.test_grpcurl import grpcurl, grpcurl_available  # noqa: F401  (fixture)


@pytest.mark.usefixtures("grpcurl_available")
async def test_the_readme_commission_examples_work(vigil_server: str) -> None:
    service = "vigil.v1.CommissionService"
    code, out, err = await grpcurl(
        "-plaintext", "-d", '{"account_id":"paper"}', vigil_server, f"{service}/GetCommissionRates"
    )
    assert code == 0, err
    rates = {r["root"]: r for r in json.loads(out)["rates"]}
    assert (rates["ES"]["rate"], rates["MNQ"]["rate"]) == ("2.88", "0.72")
    body = '{"account_id":"paper","rates":[{"root":"MNQ","rate":"0.52"}]}'
    code, out, err = await grpcurl("-plaintext", "-d", body, vigil_server, f"{service}/SetCommissionRates")
    assert code == 0, err
    mnq = next(r for r in json.loads(out)["rates"] if r["root"] == "MNQ")
    assert (mnq["rate"], mnq["server_rate"], mnq["overridden"]) == ("0.52", "0.72", True)
    body = '{"account_id":"paper","reset_all":true}'
    code, out, err = await grpcurl("-plaintext", "-d", body, vigil_server, f"{service}/SetCommissionRates")
    assert code == 0, err
    assert not any(r.get("overridden") for r in json.loads(out)["rates"])
