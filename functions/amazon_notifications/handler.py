"""SQS queue of Amazon's notifications (ORDER_CHANGE from Amazon itself, the listings notifications
from the partner event bus's rule) -> master; a failed record is reported as a batch item failure
(it comes back after its visibility timeout, then goes to the dead-letter queue)."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.handlers import imported, observability
from shared.metrics import emit
from shared.services.amazon_notifications import handle

logger, tracer = observability()
imported()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    channel, counts = handle(record.body)
    logger.info("amazon notification applied", extra={"channel": channel, **counts})
    if channel:
        emit(channel, {f"notification_{name}": value for name, value in counts.items()})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # one processor an invocation (local mode runs a function's invocations at once in one process)
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
