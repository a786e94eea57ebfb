"""WhatsApp webhook throughput: signed POSTs per second into the bot's durable inbox, with forged ones mixed in.

Run by hand:  .venv/bin/python bench/bench_whatsapp_webhook.py [--requests 3000] [--forged 0.1] [--concurrency 32]
The bot runs as `python -m bot run` (WhatsApp only) in a child process; this process signs realistic text-message
webhooks (each a new wamid from one of 500 users) with the app secret, forges the given share with a wrong
signature, and POSTs them concurrently to /whatsapp. Each valid one is stored (committed) before its 200.
Prints requests/s, the share refused (should equal the share forged), and the rows the inbox holds afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_graph_api import FakeGraphApi  # noqa: E402
from tests.telegram_helpers import free_port  # noqa: E402


def body(i: int, phone_number_id: str) -> bytes:
    user = f"52133{1000000 + i % 500}"
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "5213300000000",
                                                                "phone_number_id": phone_number_id},
                  "contacts": [{"profile": {"name": f"U{i % 500}"}, "wa_id": user}],
                  "messages": [{"from": user, "id": f"wamid.bench{i:08d}", "timestamp": str(int(time.time())),
                                "type": "text", "text": {"body": "hola, ¿cuánto cuesta la renovación?"}}]}}]}]}
                      ).encode()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--forged", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    async with FakeGraphApi() as graph:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            database = Path(tmp) / "bench.sqlite3"
            env = {**os.environ, "WHATSAPP_ACCESS_TOKEN": graph.access_token,
                   "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id, "WHATSAPP_APP_SECRET": graph.app_secret,
                   "WHATSAPP_VERIFY_TOKEN": "bench", "WHATSAPP_API_BASE_URL": graph.base_url,
                   "DATABASE_PATH": str(database), "PORT": str(port), "LOG_LEVEL": "ERROR"}
            env.pop("TELEGRAM_BOT_TOKEN", None)
            bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env)
            url = f"http://127.0.0.1:{port}/whatsapp"
            secret = graph.app_secret.encode()
            rng = random.Random(7)
            payloads = []
            for i in range(args.requests):
                raw = body(i, graph.phone_number_id)
                good = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
                payloads.append((raw, "sha256=" + "0" * 64 if rng.random() < args.forged else good))
            statuses: list[int] = []
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # wait for the server
                    try:
                        async with session.get(url):
                            break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                queue = iter(payloads)

                async def worker() -> None:
                    for raw, signature in queue:
                        async with session.post(url, data=raw, headers={"X-Hub-Signature-256": signature,
                                                                        "Content-Type": "application/json"}) as r:
                            statuses.append(r.status)

                start = time.monotonic()
                await asyncio.gather(*(worker() for _ in range(args.concurrency)))
                elapsed = time.monotonic() - start
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 60)
            with sqlite3.connect(database) as db:
                stored = db.execute("SELECT count(*) FROM inbox").fetchone()[0]
    forged = sum(1 for _, s in payloads if s.endswith("0" * 64))
    refused = statuses.count(403)
    print(f"{args.requests} webhook POSTs, {args.concurrency} at a time, {forged} forged")
    print(f"  requests/s:  {len(statuses) / elapsed:.0f}")
    print(f"  refused:     {refused} ({refused / len(statuses):.1%}); 200s: {statuses.count(200)}; "
          f"other: {len(statuses) - refused - statuses.count(200)}")
    print(f"  inbox rows:  {stored} (every accepted message stored once)")


if __name__ == "__main__":
    asyncio.run(main())
