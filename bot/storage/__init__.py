"""Storage: the Repository is the only code that speaks SQL."""

from .repository import (ConversationState, Exchange, QuestionRecord, Repository, StorageError, UnansweredQuestion, User,
                         migrations)

__all__ = ["ConversationState", "Exchange", "QuestionRecord", "Repository", "StorageError", "UnansweredQuestion", "User",
           "migrations"]
