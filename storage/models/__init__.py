"""All models, imported here so Alembic sees every table."""

from storage.models.appeals import Appeal
from storage.models.base import Base
from storage.models.calibration import (
    CalibrationDraft,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationResult,
    CalibrationSession,
    CalibrationVote,
)
from storage.models.core import Claim
from storage.models.digest import (
    BacklogSnapshot,
    DailyErrorPair,
    DailyLabelerOutput,
    Decision,
    IngestedFile,
)
from storage.models.escalation import DirectoryContact, Escalation, EscalationEvent
from storage.models.local import LocalWorkspaceFile, LocalWorkspaceSnapshot
from storage.models.policy import PolicySection, PolicyVersion
from storage.models.policy_answers import PolicyFeedback, PolicyOwnerAsk, PolicyQuestion, PolicyVerifiedAnswer
from storage.models.policy_cascade import PolicyCascade, PolicyCascadeMember, PolicyCascadeTarget
from storage.models.quiz import (
    QuizAnswer,
    QuizAssignment,
    QuizAttempt,
    QuizQuestion,
    QuizReviewCard,
    QuizTopic,
)
from storage.models.sampling import SamplingDraw, SamplingDrawnItem, SamplingLot, SamplingState
from storage.models.teams import TeamsConversation, TeamsPerson
from storage.models.training import TrainingAttendance, TrainingCohort, TrainingMember, TrainingSession

__all__ = [
    "Appeal",
    "BacklogSnapshot",
    "Base",
    "CalibrationDraft",
    "CalibrationItem",
    "CalibrationParticipant",
    "CalibrationResult",
    "CalibrationSession",
    "CalibrationVote",
    "Claim",
    "DailyErrorPair",
    "DailyLabelerOutput",
    "Decision",
    "DirectoryContact",
    "Escalation",
    "EscalationEvent",
    "IngestedFile",
    "LocalWorkspaceFile",
    "LocalWorkspaceSnapshot",
    "PolicyCascade",
    "PolicyCascadeMember",
    "PolicyCascadeTarget",
    "PolicyFeedback",
    "PolicyOwnerAsk",
    "PolicyQuestion",
    "PolicySection",
    "PolicyVerifiedAnswer",
    "PolicyVersion",
    "QuizAnswer",
    "QuizAssignment",
    "QuizAttempt",
    "QuizQuestion",
    "QuizReviewCard",
    "QuizTopic",
    "SamplingDraw",
    "SamplingDrawnItem",
    "SamplingLot",
    "SamplingState",
    "TeamsConversation",
    "TeamsPerson",
    "TrainingAttendance",
    "TrainingCohort",
    "TrainingMember",
    "TrainingSession",
]
