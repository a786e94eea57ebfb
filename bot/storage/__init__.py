"""Storage: one SQLite connection (db.py) and a repository per thing it owns; only these modules speak SQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.storage.attached_examples import AttachedExample, AttachedExampleRepository
from bot.storage.broadcasts import Broadcast, BroadcastCounts, BroadcastRepository, Recipient
from bot.storage.db import Database, StorageError, from_utc_iso, migrations, utc_iso
from bot.storage.deliveries import DeliveryRepository
from bot.storage.handoff import Conversation, HandoffRepository, MessageLink
from bot.storage.health import HealthRepository, Heartbeat, SendOutcome
from bot.storage.inbox import Arrival, InboxItem, InboxRepository
from bot.storage.reminders import Deadline, Reminder, ReminderRepository
from bot.storage.subscriptions import SubscriptionRepository
from bot.storage.users import ConversationState, Exchange, QuestionRecord, UnansweredQuestion, User, UserRepository


@dataclass
class Storage:
    """Every repository over one connection, opened and closed together."""

    db: Database
    users: UserRepository
    subscriptions: SubscriptionRepository
    broadcasts: BroadcastRepository
    handoff: HandoffRepository
    inbox: InboxRepository
    deliveries: DeliveryRepository
    reminders: ReminderRepository
    health: HealthRepository
    attached_examples: AttachedExampleRepository

    @classmethod
    async def open(cls, path: str | Path) -> "Storage":
        db = await Database.open(path)
        return cls(db, UserRepository(db), SubscriptionRepository(db), BroadcastRepository(db),
                   HandoffRepository(db), InboxRepository(db), DeliveryRepository(db), ReminderRepository(db),
                   HealthRepository(db), AttachedExampleRepository(db))

    async def close(self) -> None:
        await self.users.close()
        await self.db.close()


__all__ = ["Arrival", "AttachedExample", "AttachedExampleRepository", "Broadcast", "BroadcastCounts", "BroadcastRepository", "Conversation", "ConversationState",
           "Database", "Deadline", "DeliveryRepository", "Exchange", "HandoffRepository", "HealthRepository", "Heartbeat", "InboxItem", "InboxRepository", "MessageLink",
           "QuestionRecord", "Recipient", "Reminder", "ReminderRepository", "SendOutcome", "Storage", "StorageError", "SubscriptionRepository",
           "UnansweredQuestion", "User", "UserRepository", "from_utc_iso", "migrations", "utc_iso"]
