"""Settings as an operator writes them: the WhatsApp Graph API version, and `run` with no channel under a service
manager (no terminal) versus in a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from bot.runtime.config import DEFAULT_GRAPH_VERSION, ConfigError, Settings

from .conftest import ROOT

WHATSAPP = {"WHATSAPP_ACCESS_TOKEN": "EAAtoken", "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
            "WHATSAPP_APP_SECRET": "app-secret", "WHATSAPP_VERIFY_TOKEN": "verify-token"}


def test_the_graph_api_version_defaults_to_the_current_one_and_can_be_moved():
    assert DEFAULT_GRAPH_VERSION == "v26.0"
    assert Settings.from_env(WHATSAPP).whatsapp.api_version == "v26.0"
    assert Settings.from_env({**WHATSAPP, "WHATSAPP_API_VERSION": "27.0"}).whatsapp.api_version == "v27.0"
    assert Settings.from_env({**WHATSAPP, "WHATSAPP_API_VERSION": "v25.0"}).whatsapp.api_version == "v25.0"
    with pytest.raises(ConfigError) as bad:
        Settings.from_env({**WHATSAPP, "WHATSAPP_API_VERSION": "latest"})
    assert str(bad.value) == "WHATSAPP_API_VERSION must be a Graph API version like v26.0, got 'latest'"


async def test_the_client_calls_the_configured_version():
    from bot.channels.whatsapp.client import GraphClient
    client = GraphClient(Settings.from_env({**WHATSAPP, "WHATSAPP_API_VERSION": "v27.0"}).whatsapp)
    try:
        assert client.base == "https://graph.facebook.com/v27.0"
    finally:
        await client.close()


