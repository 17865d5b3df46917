"""The state and error names of statemachine/copy_model.asl.json that the command reads.

An execution's history names states, and a failed execution or target names errors; the
command turns them into progress and messages. Each name is written here once, and
tests/unit/test_contract_literals.py fails when one is not in the ASL, or when code writes
one out instead of reading it from here.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """States whose events move a copy's progress."""

    PREPARE_COPY = "PrepareCopy"
    WAIT_FOR_TRAINING = "WaitForTraining"
    AWAIT_APPROVAL = "AwaitApproval"
    SHARE_WITH_TARGET = "ShareWithTarget"
    ANNOUNCE_SHARE_AND_WAIT = "AnnounceShareAndWait"
    TARGET_SUCCEEDED = "TargetSucceeded"
    TARGET_FAILED = "TargetFailed"
    TARGET_DID_NOT_ANSWER = "TargetDidNotAnswer"
    TARGET_REJECTED = "TargetRejected"
    TARGET_IMPORT_FAILED = "TargetImportFailed"
    APPROVAL_TIMED_OUT = "ApprovalTimedOut"
    ANSWER_MISMATCH = "AnswerMismatch"
    SHARE_NOT_DELIVERED = "ShareNotDelivered"


class Error(StrEnum):
    """Errors a copy or one of its targets fails with, that the command explains."""

    INVALID_COPY_REQUEST = "InvalidCopyRequest"
    SOURCE_MODEL_NOT_FOUND = "SourceModelNotFound"
    SOURCE_MODEL_NOT_TRAINED = "SourceModelNotTrained"
    TRAINING_WAIT_EXPIRED = "TrainingWaitExpired"
    # A rejected approval: the target's cause is the decision, as JSON.
    MODEL_COPY_REJECTED = "ModelCopyRejected"
    TIMEOUT = "States.Timeout"


# The last state of each target's iteration of the Map: its result says how that target ended.
TARGET_ENDS = frozenset({State.TARGET_SUCCEEDED, State.TARGET_FAILED,
                         State.TARGET_DID_NOT_ANSWER, State.TARGET_REJECTED,
                         State.APPROVAL_TIMED_OUT, State.TARGET_IMPORT_FAILED,
                         State.ANSWER_MISMATCH, State.SHARE_NOT_DELIVERED})
# Execution errors that mean "the request is wrong", reported like a usage error.
REQUEST_ERRORS = frozenset({Error.INVALID_COPY_REQUEST, Error.SOURCE_MODEL_NOT_FOUND,
                            Error.SOURCE_MODEL_NOT_TRAINED, Error.TRAINING_WAIT_EXPIRED})
