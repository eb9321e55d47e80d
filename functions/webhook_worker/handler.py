"""SQS FIFO webhook queue -> a channel's webhook applied to master and the links; failed messages
are reported, not raised (they come back, then go to the dead-letter queue)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.dlq import DeadLetterQueue
from shared.domain.messages import WebhookMessage
from shared.services.channel_events import handle
from shared.services.failures import FailureRecordingFifoProcessor

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))  # not httpx: unused here, and patching would import it
metrics = Metrics()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = WebhookMessage.model_validate_json(record.body)
    logger.set_correlation_id(message.delivery)
    counts = handle(message.channel, message.type, message.topic, message.body)
    logger.info("webhook applied", extra={"channel": message.channel, "topic": message.topic, **counts})
    for name, value in counts.items():
        metrics.add_metric(name=f"webhook_{name}", unit=MetricUnit.Count, value=value)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # errors kept for `dlq list`; one processor an invocation, as its state is the batch's (local
    # mode runs a function's invocations at once in one process)
    processor = FailureRecordingFifoProcessor(DeadLetterQueue.WEBHOOKS, logger)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
