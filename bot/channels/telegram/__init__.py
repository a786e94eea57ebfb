"""The Telegram channel (python-telegram-bot v22): thin handlers over the channel-neutral Assistant."""
