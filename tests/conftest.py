"""Shared fixtures: the real catalogue and engine (built once), a fresh database per test.

The classifier is trained once per test session: DATA_DIR points every engine of the session, and every
`python -m bot` a test starts, at one session folder, so they load the cached weights instead of retraining.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio

os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: RetryAfter.retry_after as timedelta, no deprecation warning
SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="inm-test-data-"))
os.environ["DATA_DIR"] = str(SESSION_DATA_DIR)  # child processes inherit it: the weights are trained once

from bot.knowledge.catalogue import load_catalogue  # noqa: E402
from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR, Engine  # noqa: E402
from bot.storage import Storage  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(DEFAULT_KNOWLEDGE_DIR)


@pytest.fixture(scope="session", autouse=True)
def _session_data_dir():
    yield SESSION_DATA_DIR
    shutil.rmtree(SESSION_DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(catalogue):
    return Engine(catalogue, data_dir=SESSION_DATA_DIR)


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    """A copy of knowledge/ a test may edit (tests/knowledge_helpers.py has the helpers)."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


@pytest_asyncio.fixture
async def storage(tmp_path):
    opened = await Storage.open(tmp_path / "bot.sqlite3")
    yield opened
    await opened.close()


@pytest_asyncio.fixture
async def repo(storage):
    """The users repository (most storage tests are about users and their questions)."""
    yield storage.users


# The WhatsApp bot with its Telegram staff desk (a forum group with Lupita as staff), against both fake servers.
@pytest_asyncio.fixture
async def graph():
    from tests.fake_graph_api import FakeGraphApi
    from tests.whatsapp_bot import add_templates
    async with FakeGraphApi() as fake:
        add_templates(fake)
        yield fake
        fake.assert_no_validation_errors()


@pytest_asyncio.fixture
async def telegram():
    from tests.telegram_helpers import server_with_staff_chat
    from tests.whatsapp_bot import LUPITA, STAFF_CHAT
    async with server_with_staff_chat(STAFF_CHAT, [LUPITA], forum=True) as fake:
        yield fake


@pytest_asyncio.fixture
async def bot(graph, telegram, tmp_path, engine):
    from tests.whatsapp_bot import STAFF_CHAT, whatsapp_bot
    async with whatsapp_bot(graph, tmp_path / "bot.sqlite3", engine, telegram, staff_chat_id=STAFF_CHAT) as app:
        yield app


# Recording fakes of the ports (tests/service_fakes.py) for the services' own tests.
@pytest.fixture
def channel(engine):
    from tests.service_fakes import RecordingUserChannel
    return RecordingUserChannel(engine.texts)


@pytest.fixture
def desk(engine):
    from tests.service_fakes import RecordingStaffDesk
    return RecordingStaffDesk(engine.texts)
