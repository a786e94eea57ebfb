"""The bot as `python -m bot run` starts it, with the outgoing throttle off: its own capacity, for the bench only."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Tuning, serve  # noqa: E402
from bot.runtime.config import Settings  # noqa: E402
from bot.runtime.logs import setup_logging  # noqa: E402

if __name__ == "__main__":
    settings = Settings.from_env()
    setup_logging(settings.log_level, settings.secrets())
    asyncio.run(serve(settings, Tuning(overall_rate=0)))
