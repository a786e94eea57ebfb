"""The framework's floor: a minimal python-telegram-bot echo bot (run by bench_telegram.py).

Same network settings as our bot (32 concurrent updates, TCP_NODELAY), so the comparison measures our bot's own
work, not a configuration difference.
"""

import os
import socket

from telegram import Update
from telegram.ext import Application, MessageHandler, filters


async def echo(update: Update, context) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    base = os.environ["TELEGRAM_API_BASE_URL"]
    app = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(base)
           .base_file_url(base[:-4] + "/file/bot").concurrent_updates(32)
           .socket_options([(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]).build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=30)


if __name__ == "__main__":
    main()
