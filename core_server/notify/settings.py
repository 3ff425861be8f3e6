"""VIGIL_NOTIFY_CHANNELS and VIGIL_COACHING read and checked with the rest of the configuration, so a mistake in
either stops the server at start (and shows in `config check`) naming the variable, from the environment or the
VIGIL_CONFIG_FILE alike."""

from __future__ import annotations

from collections.abc import Mapping

from core_server.analytics.coaching import COACHING_VARIABLE, parse_coaching
from core_server.notify.channels import CHANNELS_VARIABLE, ChannelConfigError, parse_channels


def check_notify_settings(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, reason) of each problem; empty when both settings are good."""
    problems: list[tuple[str, str]] = []
    try:
        parse_channels(env)
    except ChannelConfigError as error:
        problems.append((CHANNELS_VARIABLE, str(error).removeprefix(CHANNELS_VARIABLE).removeprefix(": ")))
    try:
        parse_coaching(env)
    except ValueError as error:
        problems.append((COACHING_VARIABLE, str(error).removeprefix(COACHING_VARIABLE).removeprefix(": ")))
    return problems
