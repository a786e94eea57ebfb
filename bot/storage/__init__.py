"""Storage: the Repository is the only code that speaks SQL."""

from .repository import (Conversation, HandoffRepository, MessageLink, Broadcast, BroadcastCounts, BroadcastRepository, ConversationState, Exchange, Recipient, QuestionRecord, Repository, StorageError, UnansweredQuestion, User,
                         migrations)

__all__ = ["Conversation", "HandoffRepository", "MessageLink", "Broadcast", "BroadcastCounts", "BroadcastRepository", "ConversationState", "Exchange", "Recipient", "QuestionRecord", "Repository", "StorageError", "UnansweredQuestion", "User",
           "migrations"]
