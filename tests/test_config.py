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


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_", "WEBHOOK_"))}
    env.update(extra)
    return env


def test_run_with_no_channel_and_no_terminal_is_a_configuration_error(tmp_path):
    """systemd and Docker give the bot no terminal: it must not start a chat nobody can type into (or hang)."""
    database = tmp_path / "bot.sqlite3"
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=clean_env(DATABASE_PATH=str(database)),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: no channel is configured (set TELEGRAM_BOT_TOKEN, or the four WHATSAPP_* variables); the terminal "
        "chat needs an interactive terminal"]
    assert not database.exists()
    bare = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=clean_env(DATABASE_PATH=str(database)),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert bare.returncode == 2 and "no channel is configured" in bare.stderr   # `python -m bot` means run


def test_run_with_no_channel_in_a_terminal_still_starts_the_chat(tmp_path):
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, stdin=secondary,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=clean_env(DATABASE_PATH=str(tmp_path / "bot.sqlite3")))
        os.write(primary, b"/quit\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.returncode == 0, err
    assert b"no channel is configured" not in err and out   # the chat greeted and said goodbye


def test_env_example_lists_every_setting_the_bot_reads():
    import re
    source = (ROOT / "bot" / "runtime" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r'get\("([A-Z][A-Z0-9_]+)"\)', source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert read and read == listed, (sorted(read - listed), sorted(listed - read))
