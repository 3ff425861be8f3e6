"""ProjectX settings, tokens, contract resolution and backfill timing decisions."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest

from core_server.config import ConfigError
from core_server.feeds.projectx import history
from core_server.feeds.projectx.auth import TokenKeeper, jwt_expiry_ns, redact
from core_server.feeds.projectx.config import DEFAULT_API_URL, DEFAULT_MARKET_HUB_URL, ProjectXConfig
from core_server.feeds.projectx.contracts import resolve_contract
from core_server.feeds.projectx.hub import hub_ws_url
from core_server.feeds.projectx.rest import ContractModel, TokenRejected
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Trade

ENV = {"PROJECTX_USERNAME": "trader", "PROJECTX_API_KEY": "k3y-value-secret"}
NQ = Contract("NQ", 2026, 12)
YM = Contract("YM", 2026, 12)


def _jwt(exp: float) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.sig"


def test_config_from_env_defaults_to_topstepx_and_hides_the_key() -> None:
    config = ProjectXConfig.from_env(ENV)
    assert (config.api_url, config.market_hub_url) == (DEFAULT_API_URL, DEFAULT_MARKET_HUB_URL)
    assert "k3y-value-secret" not in repr(config) and not config.live


@pytest.mark.parametrize("missing", ["PROJECTX_USERNAME", "PROJECTX_API_KEY"])
def test_missing_credentials_name_the_variable(missing: str) -> None:
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigError) as error:
        ProjectXConfig.from_env(env)
    assert error.value.variable == missing


def test_bad_urls_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="PROJECTX_MARKET_HUB_URL"):
        ProjectXConfig.from_env(ENV | {"PROJECTX_MARKET_HUB_URL": "rtc.topstepx.com/hubs/market"})


def test_hub_url_carries_the_token_and_connection_id_in_the_query() -> None:
    assert (
        hub_ws_url("https://rtc.topstepx.com/hubs/market", "T") == "wss://rtc.topstepx.com/hubs/market?access_token=T"
    )
    url = hub_ws_url("http://127.0.0.1:9/hubs/market?access_token=old", "T", "c1")
    assert url == "ws://127.0.0.1:9/hubs/market?id=c1&access_token=T"


def test_jwt_expiry_is_read_from_the_exp_claim() -> None:
    assert jwt_expiry_ns(_jwt(1_800_000_000.5)) == 1_800_000_000_500_000_000
    assert jwt_expiry_ns("opaque-token") is None
    assert jwt_expiry_ns("a.!!!.c") is None


def test_redact_replaces_every_secret() -> None:
    assert redact("key k3y-value-secret and tok abcdef", ["k3y-value-secret", "abcdef", ""]) == (
        "key <redacted> and tok <redacted>"
    )


class FakeRest:
    """Answers login and validate like the gateway would."""

    def __init__(self, clock: TestClock, lifetime_s: float = 60.0) -> None:
        self.clock, self.lifetime_s = clock, lifetime_s
        self.logins = self.validates = 0
        self.refuse_validate = False
        self.no_new_token = False

    def _token(self) -> str:
        return _jwt(self.clock.now_ns() / NS_PER_SECOND + self.lifetime_s)

    async def login_key(self, username: str, api_key: str) -> str:
        self.logins += 1
        return self._token()

    async def validate(self, token: str) -> str | None:
        self.validates += 1
        if self.refuse_validate:
            raise TokenRejected("validate refused")
        return None if self.no_new_token else self._token()


async def test_token_keeper_refreshes_halfway_to_expiry_via_validate() -> None:
    clock = TestClock(1_800_000_000 * NS_PER_SECOND)
    rest = FakeRest(clock, lifetime_s=60)
    keeper = TokenKeeper(rest, ProjectXConfig.from_env(ENV), clock)  # type: ignore[arg-type]
    first = await keeper.token()
    assert keeper.refresh_due_ns() == clock.now_ns() + 30 * NS_PER_SECOND
    clock.advance_ns(31 * NS_PER_SECOND)
    await keeper.refresh()
    assert (rest.logins, rest.validates, keeper.refreshes) == (1, 1, 1)
    assert await keeper.token() != first
    assert "eyJ" not in repr(keeper)


async def test_token_keeper_logs_in_again_when_validate_is_refused_or_gives_no_token() -> None:
    clock = TestClock(1_800_000_000 * NS_PER_SECOND)
    rest = FakeRest(clock)
    keeper = TokenKeeper(rest, ProjectXConfig.from_env(ENV), clock)  # type: ignore[arg-type]
    await keeper.token()
    rest.refuse_validate = True
    await keeper.refresh()
    rest.refuse_validate, rest.no_new_token = False, True
    await keeper.refresh()
    assert rest.logins == 3


async def test_an_expired_token_is_replaced_before_use() -> None:
    clock = TestClock(1_800_000_000 * NS_PER_SECOND)
    rest = FakeRest(clock, lifetime_s=10)
    keeper = TokenKeeper(rest, ProjectXConfig.from_env(ENV), clock)  # type: ignore[arg-type]
    await keeper.token()
    clock.advance_ns(11 * NS_PER_SECOND)
    await keeper.token()
    assert rest.logins == 2


def _model(id_: str, name: str = "", tick: str = "0.25") -> ContractModel:
    return ContractModel(id=id_, name=name, tickSize=Decimal(tick))


def test_contract_resolution_prefers_the_exact_id() -> None:
    results = [_model("CON.F.US.MNQ.Z26"), _model("CON.F.US.ENQ.Z26"), _model("CON.F.US.ENQ.H27")]
    assert resolve_contract(NQ, results) == "CON.F.US.ENQ.Z26"


def test_contract_resolution_accepts_a_unique_same_month_match_by_name() -> None:
    results = [_model("CON.F.US.DJ.Z26", "YMZ6", "1"), _model("CON.F.US.MYM.Z26", "MYMZ6", "1")]
    assert resolve_contract(YM, results) == "CON.F.US.DJ.Z26"
    assert resolve_contract(YM, [_model("CON.F.US.DJ.Z26", "YMZ6", "0.5")]) is None
    assert resolve_contract(NQ, []) is None


def _trade(ts: int) -> Trade:
    return Trade(NQ.id, ts, ts, 1, 1, Aggressor.BUY)


def _quote(ts: int) -> Quote:
    return Quote(NQ.id, ts, ts, 1, 2, 0, 0)


S = 1_800_000_000 * NS_PER_SECOND


def test_backfill_waits_until_a_live_tick_from_a_later_second_arrives() -> None:
    held = [_quote(S - 5 * NS_PER_SECOND), _trade(S + 100), _trade(S + 900_000_000)]
    assert not history.is_settled([NQ.id], held, S, S + 10 * NS_PER_SECOND)
    assert history.is_settled([NQ.id], [*held, _quote(S + NS_PER_SECOND)], S, S + 10 * NS_PER_SECOND)


def test_backfill_of_a_quiet_contract_waits_for_the_local_clock() -> None:
    assert not history.is_settled([NQ.id], [_quote(S)], S, S + NS_PER_SECOND)
    assert history.is_settled([NQ.id], [_quote(S)], S + NS_PER_SECOND, S + NS_PER_SECOND)


def test_gap_request_ends_with_the_second_of_the_first_held_trade() -> None:
    held = [_quote(S - 3 * NS_PER_SECOND), _trade(S + 2 * NS_PER_SECOND + 5)]
    request = history.gap_request(NQ.id, NQ.projectx_id, NQ.spec, S - 10 * NS_PER_SECOND, held, S + 9 * NS_PER_SECOND)
    assert (request.before_ns, request.end_ns) == (S + 2 * NS_PER_SECOND + 5, S + 3 * NS_PER_SECOND)
    quiet = history.gap_request(NQ.id, NQ.projectx_id, NQ.spec, S, [], S + 9 * NS_PER_SECOND + 7)
    assert (quiet.before_ns, quiet.end_ns) == (None, S + 9 * NS_PER_SECOND)
