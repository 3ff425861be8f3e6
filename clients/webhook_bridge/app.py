"""The aiohttp application: webhook routes, health, JSON errors; forwards alerts with VigilClient.submit_signal.

Routes
    POST /webhook/tradingview            strategy from the body (or none)
    POST /webhook/{strategy}             the path names the strategy (it wins over the body)
    POST /webhook/{strategy}/{secret}    the secret in the path, TradersPost-style (tradingview: generic)
    GET  /healthz                        200 when the core answers SERVING, else 503
A forwarded alert answers 200 {"signal_id","action","status","outcome","duplicate","checks","waiting_for",
"ignored"}: a rejected signal, or an exit with no position to close (status no_op), is a decision, not an error;
`ignored` lists the body's fields the bridge does not read (they stay in the stored raw payload).
Refusals answer {"error", "field"} with 400, 401, 403, 413, 415 or 422, and
nothing is forwarded; 503 when the core is unreachable or late (the bridge stores nothing, so TradingView's
alert log shows the failure).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
import structlog
from aiohttp import web

from clients.sdk import (
    DeadlineExceededError,
    InvalidArgumentError,
    ResourceExhaustedError,
    ServingStatus,
    SignalInput,
    SubmitResult,
    UnavailableError,
    VigilClient,
    VigilError,
)
from clients.webhook_bridge.access import source_address
from clients.webhook_bridge.alert import normalise, secret_of, strategy_of
from clients.webhook_bridge.body import decode_body
from clients.webhook_bridge.config import BridgeConfig
from clients.webhook_bridge.rate import SourceRateLimiter, retry_after_s
from clients.webhook_bridge.rejection import AlertRejected
from clients.webhook_bridge.retries import RetryWindow

log = structlog.get_logger(__name__)

GENERIC_PATH = "tradingview"
# Each call has the forward timeout as its deadline; a redial and second call must also end by this much later.
REDIAL_MARGIN_S = 0.25
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    config: BridgeConfig, client: VigilClient | None = None, *, now_ns: Callable[[], int] = time.time_ns
) -> web.Application:
    """The bridge as an aiohttp app. Without `client` it opens its own VigilClient (inside the running loop,
    on startup) and closes it on cleanup; a given client stays the caller's to close."""
    bridge = WebhookBridge(config, client, now_ns)
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[_json_errors])
    app.router.add_get("/healthz", bridge.healthz)
    app.router.add_post("/webhook/{strategy}", bridge.webhook)
    app.router.add_post("/webhook/{strategy}/{secret}", bridge.webhook)
    app.cleanup_ctx.append(bridge.client_context)
    return app


class WebhookBridge:
    """The request handlers; holds the SDK client and the access rules."""

    def __init__(self, config: BridgeConfig, client: VigilClient | None, now_ns: Callable[[], int]) -> None:
        self.config = config
        self._client = client
        self._now_ns = now_ns
        self._retries = RetryWindow()
        self._rates = SourceRateLimiter(config.rate_per_s, config.burst)
        self._reconnect_lock = asyncio.Lock()
        self._reconnects = 0

    @property
    def client(self) -> VigilClient:
        if self._client is None:
            raise RuntimeError("the bridge's client opens when the app starts")
        return self._client

    async def client_context(self, app: web.Application) -> AsyncIterator[None]:
        if self._client is not None:
            yield
            return
        self._client = VigilClient(
            self.config.target, api_key=self.config.api_key, timeout=self.config.forward_timeout_s, reconnect=False
        )
        try:
            yield
        finally:
            await self._client.close()

    async def webhook(self, request: web.Request) -> web.Response:
        started = time.perf_counter_ns()
        path_strategy = request.match_info["strategy"]
        path_strategy = "" if path_strategy == GENERIC_PATH else path_strategy
        url_secret = request.match_info.get("secret")
        sender = source_address(request.remote, request.headers.get("X-Forwarded-For"), self.config.trust_proxy)
        strategy = path_strategy
        try:
            self.config.allowlist.check(sender)
            wait_ns = self._rates.take(sender or "", self._now_ns())
            if wait_ns:
                log.info("webhook.rate_limited", sender=sender, strategy=strategy, wait_ms=wait_ns // 1_000_000)
                response = _error(
                    429,
                    f"too many alerts from {sender} (at most {self.config.rate_per_s}/s, burst {self.config.burst})",
                    "",
                )
                response.headers["Retry-After"] = str(retry_after_s(wait_ns))
                return response
            body = await request.read()
            decoded = decode_body(body)
            strategy = path_strategy or strategy_of(decoded.fields)
            secret = url_secret or secret_of(decoded.fields)
            self._check_secret(strategy, secret, sender)
            # A body with no time is stamped with its first arrival, so a retry keeps the original's key.
            received_ns = self._retries.first_seen(body, self._now_ns())
            alert = normalise(decoded, path_strategy=path_strategy, received_ns=received_ns, secret=secret)
        except AlertRejected as rejected:
            if rejected.status != 401:
                log.info(
                    "webhook.refused",
                    status=rejected.status,
                    field=rejected.field,
                    reason=rejected.reason,
                    strategy=strategy,
                    sender=sender,
                )
            return _error(rejected.status, rejected.reason, rejected.field)
        try:
            async with asyncio.timeout(self.config.forward_timeout_s + REDIAL_MARGIN_S):
                result = await self._submit(alert.signal_input())
        except TimeoutError:
            log.warning("webhook.core_late", timeout_s=self.config.forward_timeout_s, strategy=strategy)
            return _error(503, f"the Vigil core did not answer within {self.config.forward_timeout_s:g} s", "")
        except (UnavailableError, DeadlineExceededError, ResourceExhaustedError) as error:
            log.warning("webhook.core_unavailable", code=error.code, reason=error.message, strategy=strategy)
            return _error(503, f"the Vigil core is unavailable ({error.code}): {error.message}", "")
        except InvalidArgumentError as error:
            log.info("webhook.core_refused", field=error.field, reason=error.reason, strategy=strategy)
            return _error(422, error.reason, _alert_field(error.field))
        except VigilError as error:
            log.error("webhook.core_error", code=error.code, reason=error.message, strategy=strategy)
            return _error(502, f"the Vigil core failed the request ({error.code}): {error.message}", "")
        log.info(
            "webhook.forwarded",
            signal_id=result.signal.signal_id,
            status=result.signal.status.value,
            duplicate=result.duplicate,
            strategy=strategy,
            symbol=alert.symbol,
            action=alert.action.value,
            direction=alert.direction.value,
            elapsed_us=(time.perf_counter_ns() - started) // 1000,
        )
        return _json(200, _decision(result, alert.ignored))

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            status = await self.client.health()
        except VigilError as error:
            return _json(503, {"status": "degraded", "core": "unreachable", "reason": error.message})
        healthy = status is ServingStatus.SERVING
        return _json(200 if healthy else 503, {"status": "ok" if healthy else "degraded", "core": status.value})

    async def _submit(self, signal_input: SignalInput) -> SubmitResult:
        """Submit once; if the core was unreachable, dial afresh and submit again (the idempotency key makes a
        repeat harmless). After a core restart the old channel can sit in its reconnect backoff for up to
        10 s, and TradingView never re-sends an alert that failed."""
        reconnects = self._reconnects
        try:
            return await self.client.submit_signal(signal_input)
        except UnavailableError:
            async with self._reconnect_lock:
                if self._reconnects == reconnects:  # one request reconnects; the others just retry
                    self._reconnects += 1
                    log.info("webhook.core_redial", target=self.client.target)
                    await self.client.reconnect()
            return await self.client.submit_signal(signal_input)

    def _check_secret(self, strategy: str, secret: str | None, sender: str | None) -> None:
        try:
            self.config.secrets.check(strategy, secret)
        except AlertRejected as rejected:
            cause = "missing_secret" if not secret else self.config.secrets.why_refused(strategy)
            log.warning("webhook.unauthorised", cause=cause, strategy=strategy, sender=sender)
            raise rejected from None


_CORE_FIELDS = {"stop_loss": "stopLoss", "take_profit": "takeProfit"}


def _alert_field(field: str) -> str:
    """The core's field (input.stop_loss.value) in the alert's words (stopLoss.value)."""
    head, dot, rest = field.removeprefix("input.").partition(".")
    return _CORE_FIELDS.get(head, head) + dot + rest


def _decision(result: SubmitResult, ignored: tuple[str, ...]) -> dict[str, Any]:
    signal = result.signal
    return {
        "signal_id": signal.signal_id,
        "action": signal.action.value,
        "status": signal.status.value,
        "outcome": signal.outcome,
        "duplicate": result.duplicate,
        "checks": [{"name": c.name, "outcome": c.outcome.value, "detail": c.detail} for c in signal.checks],
        "waiting_for": signal.waiting_for,
        "ignored": list(ignored),
    }


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=msgspec.json.encode(payload), content_type="application/json", headers=headers
    )


def _error(status: int, reason: str, field: str) -> web.Response:
    return _json(status, {"error": reason, "field": field})


@web.middleware
async def _json_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """aiohttp's own refusals (404, 405, 413, ...) and any bug answer JSON too; the server never falls over."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        reason = error.text if error.text and not error.text.startswith(f"{error.status}:") else error.reason
        return _json(error.status, {"error": reason, "field": ""}, headers)
    except Exception:
        log.exception("webhook.internal_error", path=request.path)
        return _error(500, "internal error in the webhook bridge; its log has the details", "")
