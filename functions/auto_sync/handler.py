"""The table's stream -> auto sync: a listing whose balance moved with auto sync on is queued to
every channel it is linked on. The change and the push it causes are never a dual write."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.handlers import imported, observability
from shared.services.autosync import links_read_once, on_listing_change
from shared.services.failures import FailureRecordingStreamProcessor

logger, tracer = observability()
imported()


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    assert change is not None  # the event source filter passes listing writes only
    queued = on_listing_change(
        change.old_image or None, change.new_image or None, str(change.sequence_number)
    )
    if queued:
        logger.info("auto sync queued", extra={"pushes": queued})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # errors kept for `dlq list`; one processor an invocation, as its state is the batch's (local
    # mode runs a function's invocations at once in one process)
    processor = FailureRecordingStreamProcessor(logger)
    changes = [DynamoDBRecord(r).dynamodb for r in event.get("Records", [])]
    with links_read_once((c.old_image or None, c.new_image or None) for c in changes if c):
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
