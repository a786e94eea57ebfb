"""Storage: the Repository is the only code that speaks SQL."""

from .repository import (ConversationState, QuestionRecord, Repository, StorageError, UnansweredQuestion, User,
                         migrations)

__all__ = ["ConversationState", "QuestionRecord", "Repository", "StorageError", "UnansweredQuestion", "User",
           "migrations"]
