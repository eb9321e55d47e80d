"""SQS FIFO push queue -> one channel call per message; failed messages are reported, not raised."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

# batch before pydantic: else Powertools' batch types import the parser's event models, unused
import aws_lambda_powertools.utilities.batch  # noqa: F401
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.domain.dlq import DeadLetterQueue
from shared.domain.messages import PushMessage
from shared.handlers import fifo_queue_handler, imported, observability
from shared.metrics import emit
from shared.services.pushing import push_batch

logger, tracer = observability()
imported()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = PushMessage.model_validate_json(record.body)
    logger.set_correlation_id(message.job_id)
    counts = push_batch(message)
    emit(message.channel, {f"listings_{name}": value for name, value in counts.items()})


lambda_handler = fifo_queue_handler(DeadLetterQueue.PUSH, record_handler, logger, tracer)
