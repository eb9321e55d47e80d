"""SQS FIFO auto-push queue -> the listings pushed at once to one channel (auto sync, sync now,
a channel edit overwritten); failed messages are reported, not raised."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

from typing import Any

# batch before pydantic: else Powertools' batch types import the parser's event models, unused
import aws_lambda_powertools.utilities.batch  # noqa: F401
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.dlq import DeadLetterQueue
from shared.domain.messages import AutoPushMessage
from shared.handlers import fifo_queue_handler, imported, observability
from shared.metrics import emit
from shared.services.pushing import config_read_once, push_at_once

logger, tracer = observability()
imported()


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    message = AutoPushMessage.model_validate_json(record.body)
    logger.set_correlation_id(message.id)
    counts = push_at_once(message, lambda_context)
    emit(
        message.channel,
        {f"auto_push_{name}": value for name, value in counts.items()},
        origin=message.origin.value,
    )


_batch_handler = fifo_queue_handler(DeadLetterQueue.AUTO_PUSH, record_handler, logger, tracer)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # each channel's config read once for the batch, not once a message
    with config_read_once():
        return _batch_handler(event, context)
