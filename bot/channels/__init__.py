"""Thin adapters that turn a channel's messages into Assistant calls (terminal, Telegram, later WhatsApp)."""
