"""SQS FIFO push queue -> one channel call per message; failed messages are reported, not raised."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.dlq import DeadLetterQueue
from shared.domain.messages import PushMessage
from shared.services.failures import FailureRecordingFifoProcessor
from shared.services.pushing import push_batch

logger = Logger()
tracer = Tracer(patch_modules=("botocore", "httpx"))
metrics = Metrics()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = PushMessage.model_validate_json(record.body)
    logger.set_correlation_id(message.job_id)
    counts = push_batch(message)
    for name, value in counts.items():
        metrics.add_metric(name=f"listings_{name}", unit=MetricUnit.Count, value=value)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # errors kept for `dlq list`; one processor an invocation, as its state is the batch's (local
    # mode runs a function's invocations at once in one process)
    processor = FailureRecordingFifoProcessor(DeadLetterQueue.PUSH, logger)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
