"""A queue handler's failed records: logged and recorded, so `tidemark dlq list` can say why.

SQS keeps a dead-lettered message but not the error that put it there. The handlers of the push,
webhook and auto-push queues, and of the table stream, process their batches with these Powertools
processors: each failed record is logged with its traceback and its error is recorded under its
message id (a stream record: its sequence number) in the table, the last failure winning.

A FIFO batch stops at its first failure: the records after it fail unprocessed (with
`skip_group_on_error`, only those of the failed record's message group: the other groups go on).
Their reason names the record that failed, and never replaces an error of their own recorded on
an earlier receive.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    ExceptionInfo,
    FailureResponse,
    SqsFifoPartialProcessor,
)
from aws_lambda_powertools.utilities.batch.exceptions import (
    SQSFifoCircuitBreakerError,
    SQSFifoMessageGroupCircuitBreakerError,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.domain.dlq import DeadLetterQueue, Failure, error_text
from shared.storage import failures

_SKIPPED = (SQSFifoCircuitBreakerError, SQSFifoMessageGroupCircuitBreakerError)


def record_failure(
    logger: Logger,
    queue: DeadLetterQueue,
    message_id: str,
    exception: ExceptionInfo,
    receive_count: int | None = None,
    *,
    failed_first: str | None = None,
) -> None:
    """Log one record's failure and record its error. `failed_first`: the record was not processed
    because this one, before it in its batch, failed. Recording never fails the batch further."""
    skipped = exception[0] is not None and issubclass(exception[0], _SKIPPED)
    if skipped:
        error = f"not processed: message {failed_first or '?'} before it in its batch failed"
    else:
        error = error_text(exception[1]) if exception[1] is not None else "unknown error"
    extra = {"queue": str(queue), "message_id": message_id, "receive_count": receive_count, "error": error}
    if skipped:
        logger.info("record not processed", extra=extra)
    else:
        logger.warning("record failed", extra=extra, exc_info=exception[1])
    failure = Failure(error=error, at=datetime.now(UTC), receive_count=receive_count)
    try:
        failures.record(queue, message_id, failure, keep_existing=skipped)
    except Exception:
        logger.exception(
            "could not record the failure", extra={"queue": str(queue), "message_id": message_id}
        )


class FailureRecordingFifoProcessor(SqsFifoPartialProcessor):
    """SqsFifoPartialProcessor that records each failed message's error (see the module)."""

    def __init__(self, queue: DeadLetterQueue, logger: Logger, *, skip_group_on_error: bool = False) -> None:
        super().__init__(skip_group_on_error=skip_group_on_error)
        self.queue = queue
        self.log = logger

    def failure_handler(self, record: SQSRecord, exception: ExceptionInfo) -> FailureResponse:
        first = getattr(self.fail_messages[0], "message_id", None) if self.fail_messages else None
        count = record.attributes.approximate_receive_count
        record_failure(
            self.log,
            self.queue,
            record.message_id,
            exception,
            int(count) if count else None,
            failed_first=first,
        )
        return super().failure_handler(record, exception)


class FailureRecordingStreamProcessor(BatchProcessor):
    """A DynamoDB stream's BatchProcessor that records each failed record's error by its sequence
    number: the failed batch's on-failure record starts at it."""

    def __init__(self, logger: Logger) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams)
        self.log = logger

    def failure_handler(self, record: DynamoDBRecord, exception: ExceptionInfo) -> FailureResponse:
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        if sequence:
            record_failure(self.log, DeadLetterQueue.STREAM, sequence, exception)
        return super().failure_handler(record, exception)
