"""SQS FIFO webhook queue -> a channel's webhook applied to master and the links; failed messages
are reported, not raised (they come back, then go to the dead-letter queue)."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

from typing import Any

# batch before pydantic: else Powertools' batch types import the parser's event models, unused
import aws_lambda_powertools.utilities.batch  # noqa: F401
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.dlq import DeadLetterQueue
from shared.domain.messages import WebhookMessage
from shared.handlers import fifo_queue_handler, imported, observability
from shared.metrics import emit
from shared.services.channel_events import applied_read_once, handle
from shared.services.webhooks import body_of

logger, tracer = observability()
imported()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = WebhookMessage.model_validate_json(record.body)
    logger.set_correlation_id(message.delivery)
    counts = handle(message.channel, message.type, message.topic, body_of(message))
    logger.info("webhook applied", extra={"channel": message.channel, "topic": message.topic, **counts})
    emit(message.channel, {f"webhook_{name}": value for name, value in counts.items()})


# A failed webhook holds back only the later ones of its own resource (its message group), never
# another order's or item's.
_batch_handler = fifo_queue_handler(
    DeadLetterQueue.WEBHOOKS, record_handler, logger, tracer, skip_group_on_error=True
)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # the batch's resources read once (when they were last applied), not once a message
    with applied_read_once(str(r.get("body", "")) for r in event.get("Records", [])):
        return _batch_handler(event, context)
