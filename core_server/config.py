"""Server configuration: one settings model (Config) from the environment and an optional TOML file
(VIGIL_CONFIG_FILE), validated once at start with every problem reported at once.

Precedence: an environment variable wins over the file, the file over the default. `python -m core_server config
check` prints the effective configuration with secrets masked (core_server.config_check).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS
from core_server.notify.settings import check_notify_settings
from core_server.risk.presets import preset

FEED_KINDS = ("simulated", "replay", "tradovate", "projectx", "trade_manager")
QUOTE_PRICES = ("mid", "bid", "ask")
EXCURSION_PRICES = ("last", "bid_ask")
SWITCHES = {"on": True, "off": False}
DEFAULT_SYMBOLS = ("NQ", "MNQ", "ES", "MES")


class ConfigError(Exception):
    """A configuration value is missing or invalid; names the environment variable."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason


class ConfigProblems(ConfigError):
    """Several problems at once; `variable` names the first, `problems` holds them all."""

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        super().__init__(first.variable, first.reason)
        self.problems = problems
        self.args = ("; ".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return str(self.args[0])


T = TypeVar("T")
CONFIG_FILE_ENV = "VIGIL_CONFIG_FILE"
# Settings a TOML file may name without the VIGIL_ prefix (those with another prefix keep theirs).
OTHER_PREFIXES = ("DATABASE_URL", "TRADOVATE_", "PROJECTX_", "TRADE_MANAGER_")


def _variable_of(key: str) -> str:
    """A TOML key as its environment variable: `feed` -> VIGIL_FEED, `paper_seed` -> VIGIL_PAPER_SEED,
    `database_url` -> DATABASE_URL, `tradovate_username` -> TRADOVATE_USERNAME; `VIGIL_FEED` stays."""
    name = key.strip().upper().replace("-", "_").replace(".", "_")
    if name.startswith("VIGIL_") or name.startswith(OTHER_PREFIXES):
        return name
    return "VIGIL_" + name


def _text_of(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ",".join(_text_of(v) for v in value)
    return str(value)


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Tables nest by prefix: [paper] seed = 3 is VIGIL_PAPER_SEED."""
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}_"))
        else:
            out[_variable_of(prefix + key)] = _text_of(value)
    return out


def settings_env(env: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The environment with VIGIL_CONFIG_FILE's settings beneath it, and where each value came from ("env" or
    the file's path). Raises ConfigError naming VIGIL_CONFIG_FILE when the file cannot be read or parsed."""
    env = os.environ if env is None else env
    values = dict(env)
    origins = dict.fromkeys(values, "env")
    path_text = values.get(CONFIG_FILE_ENV, "").strip()
    if not path_text:
        return values, origins
    path = Path(path_text).expanduser()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(CONFIG_FILE_ENV, f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(CONFIG_FILE_ENV, f"{path} is not valid TOML: {exc}") from None
    for name, text in _flatten(table).items():
        if name not in values:
            values[name] = text
            origins[name] = str(path)
    return values, origins


class _Reads(dict[str, str]):
    """Settings that remember which names were asked for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)


def unknown_file_settings(
    values: Mapping[str, str], origins: Mapping[str, str], parse: Callable[[Mapping[str, str]], object]
) -> list[ConfigError]:
    """VIGIL_ settings from the file that `parse` never reads (a typo would otherwise be ignored silently)."""
    from_file = [name for name, origin in origins.items() if origin != "env" and name.startswith("VIGIL_")]
    if not from_file:
        return []
    _, _, read = collect_problems(parse, values)
    return [ConfigError(name, f"unknown setting in {origins[name]}") for name in sorted(from_file) if name not in read]


def collect_problems(
    parse: Callable[[Mapping[str, str]], T], env: Mapping[str, str], *, limit: int = 100
) -> tuple[list[ConfigError], T | None, set[str]]:
    """Every problem `parse` finds, not only the first: after each one the variable it names is set aside (its
    default applies) or, when it was missing, given a stand-in, and the settings are checked again. Also returns
    what `parse` made of the settings with the problems set aside (None when that never succeeded), and the
    names it read."""
    shadow = _Reads(env)
    problems: list[ConfigError] = []
    seen: set[str] = set()
    while len(problems) < limit:
        try:
            return problems, parse(shadow), shadow.read
        except ConfigProblems as many:
            return problems + many.problems, None, shadow.read
        except ConfigError as exc:
            problems.append(exc)
            if exc.variable in seen:
                return problems, None, shadow.read
            seen.add(exc.variable)
            if (shadow.get(exc.variable) or "").strip():
                del shadow[exc.variable]
            else:
                shadow[exc.variable] = "set"
    return problems, None, shadow.read


@dataclass(frozen=True, slots=True)
class Config:
    listen: str = "127.0.0.1:50051"
    api_keys: tuple[str, ...] = ()  # static keys (VIGIL_API_KEYS): admin keys; named keys live in the store
    require_keys: bool = False  # VIGIL_REQUIRE_KEYS: no no-key mode even on loopback
    tls_cert: Path | None = None  # VIGIL_TLS_CERT: the server's certificate chain (PEM); with tls_key: TLS
    tls_key: Path | None = None  # VIGIL_TLS_KEY: its private key (PEM)
    tls_client_ca: Path | None = None  # VIGIL_TLS_CLIENT_CA: require client certificates signed by this CA (mTLS)
    insecure: bool = False  # VIGIL_INSECURE=1: allow plaintext on a non-loopback address (behind your own TLS proxy)
    order_rate: Decimal = Decimal(20)  # VIGIL_ORDER_RATE: order-placing RPCs a second per key (0: no limit) ...
    order_burst: int = 40  # VIGIL_ORDER_BURST: ... and at most this many at once
    database_url: str | None = None
    data_dir: Path | None = None  # embedded PostgreSQL lives under it; None = the user's data directory
    feed: str = "simulated"
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    sim_seed: int = 7
    sim_rate: float = 2000.0
    sim_hours: str = "always"
    replay_file: Path | None = None
    replay_from: str = ""  # with no file: replay stored ticks from this instant (RFC 3339 or ns) ...
    replay_to: str = ""  # ... to this one (default: now)
    replay_speed: float = 1.0
    quote_price: str = "mid"
    log_level: str = "info"
    log_format: str = "auto"
    tick_buffer_max: int = 2_000_000
    forming_interval_ms: int = 250
    metrics_listen: str = ""  # VIGIL_METRICS_LISTEN host:port of /metrics (Prometheus); empty: not served
    shutdown_timeout_s: float = 30.0  # VIGIL_SHUTDOWN_TIMEOUT_S: the orderly stop's bound, then exit anyway
    signal_approval: str = "auto"  # auto: confirmed signals trade at once; manual: wait for ApproveSignal
    excursion_price: str = "last"  # MFE/MAE from the last trade, or bid for longs and ask for shorts
    break_even: bool = True
    break_even_r: Decimal = Decimal(1)  # exact: the MFE in R that moves the stop to entry
    break_even_offset_ticks: int = 0  # the break-even stop's distance from entry, in the trade's favour
    risk_preset: str = ""  # VIGIL_RISK_PRESET: the rules of accounts without their own ('' = none)
    paper: PaperConfig = field(default_factory=lambda: PaperConfig())  # paper execution (VIGIL_PAPER_*)
    strategy_dir: Path | None = None  # VIGIL_STRATEGY_DIR: *.toml/*.json strategy files loaded at start
    import_dirs: tuple[Path, ...] = ()  # VIGIL_IMPORT_DIRS: where ImportTicks may read server-side files
    upload_dir: Path | None = None  # VIGIL_UPLOAD_DIR: where UploadTicks spools files (default: temp directory)
    # VIGIL_BACKTEST_WORKERS: backtests running at once, each in its own process (default: every core but one,
    # which stays with live trading; at least 1)
    backtest_workers: int = 1
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # for adapters' own settings

    @property
    def market_declared_open(self) -> bool:
        """Whether risk treats the market as open around the clock: only for a market that is not CME's (the
        simulator with VIGIL_SIM_HOURS=always, a replay of recorded ticks). A broker feed, and the simulator on
        exchange hours, are held to CME Globex hours."""
        return (self.feed == "simulated" and self.sim_hours == "always") or self.feed == "replay"

    @property
    def listens_on_loopback(self) -> bool:
        host = self.listen.rsplit(":", 1)[0].strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def no_key_mode(self) -> bool:
        """Calls without a key act as the local admin: only on loopback, with no static keys configured and
        VIGIL_REQUIRE_KEYS unset. A call that presents a key is checked (and gets that key's role) regardless."""
        return self.listens_on_loopback and not self.api_keys and not self.require_keys

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def check_transport(self) -> None:
        """ConfigError unless the listener is safe: TLS files given together and readable, and plaintext only on
        loopback (or with VIGIL_INSECURE=1)."""
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("VIGIL_TLS_KEY" if self.tls_key is None else "VIGIL_TLS_CERT", "set both or neither")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ConfigError("VIGIL_TLS_CLIENT_CA", "mutual TLS needs VIGIL_TLS_CERT and VIGIL_TLS_KEY too")
        files = {
            "VIGIL_TLS_CERT": self.tls_cert,
            "VIGIL_TLS_KEY": self.tls_key,
            "VIGIL_TLS_CLIENT_CA": self.tls_client_ca,
        }
        for variable, path in files.items():
            if path is not None and not path.is_file():
                raise ConfigError(variable, f"{path} is not a readable file")
        if not self.tls and not self.listens_on_loopback and not self.insecure:
            raise ConfigError(
                "VIGIL_TLS_CERT",
                f"listening on {self.listen} (not loopback) without TLS: set VIGIL_TLS_CERT and VIGIL_TLS_KEY "
                "(make certs makes development ones), or VIGIL_INSECURE=1 behind a TLS proxy of your own",
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """The settings from the environment (os.environ by default) over VIGIL_CONFIG_FILE. Raises ConfigError
        (ConfigProblems when there are several) naming every variable that is wrong."""
        values, origins = settings_env(env)
        problems, config, _ = collect_problems(cls.parse, values)
        problems += unknown_file_settings(values, origins, cls.parse)
        if problems or config is None:
            raise problems[0] if len(problems) == 1 else ConfigProblems(problems)
        return config

    @classmethod
    def parse(cls, env: Mapping[str, str]) -> Config:
        """The settings from these values alone; raises ConfigError at the first problem."""
        get = env.get
        feed = get("VIGIL_FEED", "simulated").strip().lower()
        if feed not in FEED_KINDS:
            raise ConfigError("VIGIL_FEED", f"{feed!r} is not one of {', '.join(FEED_KINDS)}")
        quote_price = get("VIGIL_QUOTE_PRICE", "mid").strip().lower()
        if quote_price not in QUOTE_PRICES:
            raise ConfigError("VIGIL_QUOTE_PRICE", f"{quote_price!r} is not one of {', '.join(QUOTE_PRICES)}")
        signal_approval = get("VIGIL_SIGNAL_APPROVAL", "auto").strip().lower()
        if signal_approval not in ("auto", "manual"):
            raise ConfigError("VIGIL_SIGNAL_APPROVAL", "use 'auto' or 'manual'")
        excursion_price = get("VIGIL_EXCURSION_PRICE", "last").strip().lower()
        if excursion_price not in EXCURSION_PRICES:
            raise ConfigError(
                "VIGIL_EXCURSION_PRICE", f"{excursion_price!r} is not one of {', '.join(EXCURSION_PRICES)}"
            )
        break_even = get("VIGIL_BREAK_EVEN", "on").strip().lower()
        if break_even not in SWITCHES:
            raise ConfigError("VIGIL_BREAK_EVEN", f"{break_even!r}: use 'on' or 'off'")
        sim_hours = get("VIGIL_SIM_HOURS", "always").strip().lower()
        if sim_hours not in ("always", "exchange"):
            raise ConfigError("VIGIL_SIM_HOURS", "use 'always' or 'exchange'")
        symbols = tuple(s.strip() for s in get("VIGIL_SYMBOLS", ",".join(DEFAULT_SYMBOLS)).split(",") if s.strip())
        if not symbols:
            raise ConfigError("VIGIL_SYMBOLS", "at least one symbol is required")
        listen = get("VIGIL_LISTEN", "127.0.0.1:50051").strip()
        if ":" not in listen:
            raise ConfigError("VIGIL_LISTEN", "use host:port, e.g. 127.0.0.1:50051")
        for variable, reason in check_notify_settings(env):  # read here, so the file and `config check` see them
            raise ConfigError(variable, reason)
        metrics_listen = get("VIGIL_METRICS_LISTEN", "").strip()
        if metrics_listen and not metrics_listen.rpartition(":")[2].isdigit():
            raise ConfigError("VIGIL_METRICS_LISTEN", "use host:port, e.g. 127.0.0.1:9464")
        replay_file = get("VIGIL_REPLAY_FILE")
        if feed == "replay" and not replay_file and not get("VIGIL_REPLAY_FROM"):
            raise ConfigError(
                "VIGIL_REPLAY_FILE", "the replay feed needs a CSV file, or VIGIL_REPLAY_FROM for stored ticks"
            )
        config = cls(
            listen=listen,
            api_keys=tuple(k.strip() for k in get("VIGIL_API_KEYS", "").split(",") if k.strip()),
            require_keys=_switch(get, "VIGIL_REQUIRE_KEYS", False),
            tls_cert=_path(get, "VIGIL_TLS_CERT"),
            tls_key=_path(get, "VIGIL_TLS_KEY"),
            tls_client_ca=_path(get, "VIGIL_TLS_CLIENT_CA"),
            insecure=_switch(get, "VIGIL_INSECURE", False),
            order_rate=_rate(get, "VIGIL_ORDER_RATE", Decimal(20)),
            order_burst=_bounded_int(get, "VIGIL_ORDER_BURST", 40, 1, 100_000),
            database_url=get("DATABASE_URL") or None,
            data_dir=Path(get("VIGIL_DATA_DIR", "")).expanduser() if get("VIGIL_DATA_DIR") else None,
            feed=feed,
            symbols=symbols,
            sim_seed=_int(get, "VIGIL_SIM_SEED", 7),
            sim_rate=_number(get, "VIGIL_SIM_RATE", 2000.0, low=1.0, high=20_000.0),
            sim_hours=sim_hours,
            replay_file=Path(replay_file).expanduser() if replay_file else None,
            replay_from=get("VIGIL_REPLAY_FROM", "").strip(),
            replay_to=get("VIGIL_REPLAY_TO", "").strip(),
            replay_speed=_number(get, "VIGIL_REPLAY_SPEED", 1.0, low=0.0, high=1_000_000.0),
            quote_price=quote_price,
            log_level=get("VIGIL_LOG_LEVEL", "info").strip().lower(),
            log_format=get("VIGIL_LOG_FORMAT", "auto").strip().lower(),
            tick_buffer_max=_int(get, "VIGIL_TICK_BUFFER_MAX", 2_000_000),
            forming_interval_ms=_int(get, "VIGIL_FORMING_INTERVAL_MS", 250),
            metrics_listen=metrics_listen,
            shutdown_timeout_s=_number(get, "VIGIL_SHUTDOWN_TIMEOUT_S", 30.0, low=1.0, high=3600.0),
            excursion_price=excursion_price,
            break_even=SWITCHES[break_even],
            break_even_r=_positive_decimal(get, "VIGIL_BREAK_EVEN_R", Decimal(1)),
            break_even_offset_ticks=_int(get, "VIGIL_BREAK_EVEN_OFFSET_TICKS", 0),
            signal_approval=signal_approval,
            paper=_paper_config(get),
            import_dirs=tuple(
                Path(d.strip()).expanduser() for d in get("VIGIL_IMPORT_DIRS", "").split(",") if d.strip()
            ),
            upload_dir=Path(get("VIGIL_UPLOAD_DIR", "")).expanduser() if get("VIGIL_UPLOAD_DIR") else None,
            risk_preset=_risk_preset(get("VIGIL_RISK_PRESET", "")),
            strategy_dir=Path(get("VIGIL_STRATEGY_DIR", "")).expanduser() if get("VIGIL_STRATEGY_DIR") else None,
            backtest_workers=_bounded_int(get, "VIGIL_BACKTEST_WORKERS", DEFAULT_BACKTEST_WORKERS, 1, 64),
            env=dict(env),
        )
        config.check_transport()
        return config  # a non-loopback listener with no key at all is refused at start (app), once keys are loaded


def _path(get: object, name: str) -> Path | None:
    raw = (get(name) or "").strip()  # type: ignore[operator]
    return Path(raw).expanduser() if raw else None


def _rate(get: object, name: str, default: Decimal) -> Decimal:
    raw = (get(name) or "").strip()  # type: ignore[operator]
    if not raw:
        return default
    try:
        value = parse_decimal(raw, name, places=3, low=Decimal(0), high=Decimal(1_000_000))
    except InvalidArgument as exc:
        raise ConfigError(name, f"{raw!r}: {exc.reason} (requests a second; 0: no limit)") from None
    assert value is not None
    return value


DEFAULT_BACKTEST_WORKERS = min(64, max(1, (os.cpu_count() or 2) - 1))


def _bounded_int(get: object, name: str, default: int, low: int, high: int) -> int:
    value = _int(get, name, default)
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is outside {low}..{high}")
    return value


def _risk_preset(raw: str) -> str:
    name = raw.strip()
    if not name:
        return ""
    try:
        return preset(name).name
    except InvalidArgument as exc:
        raise ConfigError("VIGIL_RISK_PRESET", exc.reason) from None


def _int(get: object, name: str, default: int) -> int:
    raw = get(name)  # type: ignore[operator]
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None


def _number(get: object, name: str, default: float, *, low: float, high: float) -> float:
    raw = get(name)  # type: ignore[operator]
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is outside {low}..{high}")
    return value


def _positive_decimal(
    get: object, name: str, default: Decimal, *, places: int = 10, high: Decimal | None = None
) -> Decimal:
    """An exact decimal above 0 (never parsed through a float), through the one bounded decimal parser."""
    raw = get(name)  # type: ignore[operator]
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse_decimal(raw, name, places=places, high=high)
    except InvalidArgument as exc:
        raise ConfigError(name, f"{raw.strip()!r}: {exc.reason}") from None
    if value is None or value <= 0:
        raise ConfigError(name, f"{raw!r} must be a number above 0")
    return value


@dataclass(frozen=True, slots=True)
class PaperConfig:
    """Paper execution and the signal-to-order path."""

    seed: int = 1  # VIGIL_PAPER_SEED: latency and slippage draws
    latency_ms: tuple[int, int] = (50, 200)  # VIGIL_PAPER_LATENCY_MS "50-200" (or one value)
    slippage_ticks: int = 2  # VIGIL_PAPER_SLIPPAGE_TICKS: at most this many ticks against a market fill
    fill_on_touch: bool = False  # VIGIL_PAPER_FILL_ON_TOUCH
    partial_fills: bool = False  # VIGIL_PAPER_PARTIAL_FILLS
    # Per side, all-in dollars per contract. VIGIL_COMMISSION: one flat rate for every root (unset: the documented
    # per-root defaults, execution.accounts.BROKER_RATES); VIGIL_COMMISSIONS="ES=2.25,MES=0.62": per root, over both.
    commission: Decimal | None = None
    commissions: tuple[tuple[str, Decimal], ...] = ()
    account_name: str = "paper"  # VIGIL_PAPER_ACCOUNT: the default account (id and name), opened on first start
    account_balance: Decimal = Decimal(50_000)  # VIGIL_PAPER_BALANCE
    signal_execution: bool = True  # VIGIL_SIGNAL_EXECUTION on|off: confirmed signals place brackets
    signal_account: str = "paper"  # VIGIL_SIGNAL_ACCOUNT (default: the default paper account)
    signal_target_r: Decimal = Decimal(2)  # VIGIL_SIGNAL_TARGET_R: take-profit at entry + R x risk
    # VIGIL_PRICE_BAND: limit and stop prices farther than this fraction of the market's price are refused;
    # VIGIL_PRICE_BANDS="NQ=0.05,ES=0.08" overrides it per root (a micro follows its mini unless named).
    price_band: Decimal = Decimal("0.10")
    price_bands: tuple[tuple[str, Decimal], ...] = ()
    max_order_size: int = 100  # VIGIL_MAX_ORDER_SIZE: contracts per order unless an account's rules say otherwise


def _switch(get: object, name: str, default: bool) -> bool:
    raw = (get(name) or "").strip().lower()  # type: ignore[operator]
    if raw == "":
        return default
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    raise ConfigError(name, f"{raw!r}: use 'on' or 'off'")


def _paper_config(get: object) -> PaperConfig:
    raw_latency = (get("VIGIL_PAPER_LATENCY_MS") or "50-200").strip()  # type: ignore[operator]
    try:
        low, _, high = raw_latency.partition("-")
        latency = (int(low), int(high or low))
    except ValueError:
        raise ConfigError("VIGIL_PAPER_LATENCY_MS", f"{raw_latency!r}: use MIN-MAX milliseconds, e.g. 50-200") from None
    if not 0 <= latency[0] <= latency[1] <= 60_000:
        raise ConfigError("VIGIL_PAPER_LATENCY_MS", f"{raw_latency!r}: need 0 <= MIN <= MAX <= 60000")
    slippage = _int(get, "VIGIL_PAPER_SLIPPAGE_TICKS", 2)
    if not 0 <= slippage <= 100:
        raise ConfigError("VIGIL_PAPER_SLIPPAGE_TICKS", f"{slippage} is outside 0..100")
    raw_commission = (get("VIGIL_COMMISSION") or "").strip()  # type: ignore[operator]
    commission = _commission(raw_commission, "VIGIL_COMMISSION") if raw_commission else None
    max_order_size = _int(get, "VIGIL_MAX_ORDER_SIZE", 100)
    if not 1 <= max_order_size <= 10_000:
        raise ConfigError("VIGIL_MAX_ORDER_SIZE", f"{max_order_size} is outside 1..10000")
    account = (get("VIGIL_PAPER_ACCOUNT") or "paper").strip()  # type: ignore[operator]
    if not account or len(account) > 64:
        raise ConfigError("VIGIL_PAPER_ACCOUNT", "a name of 1 to 64 characters is required")
    return PaperConfig(
        seed=_int(get, "VIGIL_PAPER_SEED", 1),
        latency_ms=latency,
        slippage_ticks=slippage,
        fill_on_touch=_switch(get, "VIGIL_PAPER_FILL_ON_TOUCH", False),
        partial_fills=_switch(get, "VIGIL_PAPER_PARTIAL_FILLS", False),
        commission=commission,
        commissions=_commissions(get("VIGIL_COMMISSIONS") or ""),  # type: ignore[operator]
        account_name=account,
        account_balance=_positive_decimal(
            get, "VIGIL_PAPER_BALANCE", Decimal(50_000), places=2, high=Decimal(100_000_000)
        ),
        signal_execution=_switch(get, "VIGIL_SIGNAL_EXECUTION", True),
        signal_account=(get("VIGIL_SIGNAL_ACCOUNT") or "").strip() or account,  # type: ignore[operator]
        signal_target_r=_positive_decimal(get, "VIGIL_SIGNAL_TARGET_R", Decimal(2)),
        price_band=_band(get("VIGIL_PRICE_BAND") or "0.10", "VIGIL_PRICE_BAND"),  # type: ignore[operator]
        price_bands=_bands(get("VIGIL_PRICE_BANDS") or ""),  # type: ignore[operator]
        max_order_size=max_order_size,
    )


def _band(raw: str, name: str) -> Decimal:
    try:
        value = parse_decimal(raw, name, places=4, low=Decimal("0.0001"), high=Decimal(1))
    except InvalidArgument as exc:
        raise ConfigError(name, f"{raw.strip()!r}: {exc.reason} (a fraction of the price, e.g. 0.10)") from None
    if value is None:
        raise ConfigError(name, "a fraction of the price, e.g. 0.10")
    return value


def _commission(raw: str, name: str) -> Decimal:
    try:
        value = parse_decimal(raw, name, places=4, low=Decimal(0), high=Decimal(1000))
    except InvalidArgument as exc:
        raise ConfigError(name, f"{raw.strip()!r}: {exc.reason} (dollars per contract per side)") from None
    if value is None:
        raise ConfigError(name, "dollars per contract per side, e.g. 2.25")
    return value


def _root_pairs(
    raw: str, name: str, example: str, parse: Callable[[str, str], Decimal]
) -> tuple[tuple[str, Decimal], ...]:
    """ROOT=value pairs of known roots ("ES=2.25,MES=0.62"), each root once, each value read by `parse`."""
    pairs: dict[str, Decimal] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        root, sep, value = item.partition("=")
        root = root.strip().upper()
        if not sep or root not in INSTRUMENTS:
            raise ConfigError(name, f"{item!r}: use ROOT=value pairs of known roots, e.g. {example}")
        if root in pairs:
            raise ConfigError(name, f"{root} is given twice")
        pairs[root] = parse(value, name)
    return tuple(pairs.items())


def _commissions(raw: str) -> tuple[tuple[str, Decimal], ...]:
    """ROOT=dollars pairs (per contract per side, all-in), e.g. "ES=2.25,MES=0.62"."""
    return _root_pairs(raw, "VIGIL_COMMISSIONS", "ES=2.25", _commission)


def _bands(raw: str) -> tuple[tuple[str, Decimal], ...]:
    """ROOT=fraction pairs, e.g. "NQ=0.05,ES=0.08"."""
    return _root_pairs(raw, "VIGIL_PRICE_BANDS", "NQ=0.05", _band)
