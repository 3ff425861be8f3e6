"""Prop-firm risk (SPEC §6): rules, presets, pre-trade decisions and per-tick evaluation, pure and synchronous."""

from core_server.risk.engine import RiskEngine
from core_server.risk.evaluation import RiskFigures, status_of
from core_server.risk.events import RiskEvent, RiskEventKind, RiskResult, RiskStatus, Rule
from core_server.risk.presets import Preset, list_presets, preset
from core_server.risk.rules import BreachMode, DrawdownMode, RuleSet, ScalingTier

__all__ = [
    "BreachMode",
    "DrawdownMode",
    "Preset",
    "RiskEngine",
    "RiskEvent",
    "RiskEventKind",
    "RiskFigures",
    "RiskResult",
    "RiskStatus",
    "Rule",
    "RuleSet",
    "ScalingTier",
    "list_presets",
    "preset",
    "status_of",
]
