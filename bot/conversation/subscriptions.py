"""Subscriptions to update broadcasts: subscribe, unsubscribe, choose topics. Channel-neutral."""

from __future__ import annotations

from bot.conversation.assistant import Assistant, Who
from bot.actions import Action
from bot.answers.replies import Block, Button, Reply, Style
from bot.storage import SubscriptionRepository

FIXED_TOPICS = ("all", "citas", "fees")
ALL = "all"


class Subscriptions:
    def __init__(self, assistant: Assistant, broadcasts: SubscriptionRepository):
        self.assistant = assistant
        self.broadcasts = broadcasts

    @property
    def topics(self) -> tuple[str, ...]:
        """All news, appointments, fees, and each procedure of the catalogue as it is now (it can be reloaded)."""
        return FIXED_TOPICS + tuple(e.id for e in self.assistant.engine.catalogue.procedures())

    def label(self, topic: str, lang: str) -> str:
        if topic in FIXED_TOPICS:
            return self.assistant.engine.texts(lang, f"topic.{topic}")
        return self.assistant.engine.catalogue.get(topic).name.get(lang)

    def chooser(self, lang: str, chosen: tuple[str, ...], intro_key: str = "sub.done") -> Reply:
        """The topics as toggle buttons (✅ chosen), then Done."""
        t = self.assistant.engine.texts
        buttons = tuple(Button(f"{'✅' if topic in chosen else '▫️'} {self.label(topic, lang)}", Action.topic(topic))
                        for topic in self.topics)
        return Reply((Block(Style.TEXT, (t(lang, intro_key),)),),
                     buttons + (Button(t(lang, "button.topics_done"), Action.TOPICS_DONE),), lang)

    async def subscribe(self, visitor: Who) -> Reply:
        """Subscribe (idempotent; all news by default) and offer the topic choice."""
        user = await self.assistant.user(visitor)
        await self.broadcasts.subscribe(user_id=user.id)
        chosen = await self.broadcasts.topics(user_id=user.id) or (ALL,)
        return self.chooser(user.language, chosen)

    async def unsubscribe(self, visitor: Who) -> Reply:
        user = await self.assistant.user(visitor)
        await self.broadcasts.unsubscribe(user_id=user.id)
        return self.assistant.engine.composer.simple(user.language, "unsub.done")

    async def toggle(self, visitor: Who, topic: str) -> Reply | None:
        """Choosing "all" means everything; choosing a topic narrows it; an empty choice falls back to all."""
        if topic not in self.topics:
            return None
        user = await self.assistant.user(visitor)
        await self.broadcasts.subscribe(user_id=user.id)
        chosen = list(await self.broadcasts.topics(user_id=user.id) or (ALL,))
        if topic == ALL:
            chosen = [ALL]
        elif topic in chosen:
            chosen.remove(topic)
        else:
            chosen = [t for t in chosen if t != ALL] + [topic]
        chosen = chosen or [ALL]
        await self.broadcasts.set_topics(user_id=user.id, topics=chosen)
        return self.chooser(user.language, tuple(chosen))

    async def done(self, visitor: Who) -> Reply:
        user = await self.assistant.user(visitor)
        chosen = await self.broadcasts.topics(user_id=user.id)
        if chosen is None:
            return await self.subscribe(visitor)
        names = ", ".join(self.label(t, user.language) for t in chosen)
        return self.assistant.engine.composer.simple(user.language, "sub.topics_saved", topics=names)
