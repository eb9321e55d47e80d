"""What the Lambda handlers share: their observability, built once per container, and the body of
an SQS FIFO queue's handler.

`observability` gives the function's Logger and Tracer (Powertools keeps one of each per process);
httpx is patched for tracing when the first channel client is made (shared/channels/factory.py), so
a function that calls no channel, as most console API requests, never imports it.
`fifo_queue_handler` is the handler of a FIFO queue: each record through `record_handler` in
order, a failed one reported as a batch item failure (with the records after it, or with
`skip_group_on_error` only those of its message group) and its error recorded for
`tidemark dlq list`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

    from shared.domain.dlq import DeadLetterQueue

LambdaHandler: TypeAlias = "Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]"


def imported() -> None:
    """The end of a handler's cold import, which ran with the garbage collector off (its first
    lines): the import makes a few hundred thousand objects that live as long as the container, and
    collecting while they are made cost about 5 % of it (bench/cold_import.py). Collection resumes,
    and what the import made is frozen out of it: later collections do not walk it again."""
    gc.freeze()
    gc.enable()


def observability() -> tuple[Logger, Tracer]:
    """The function's Logger and Tracer."""
    return Logger(), Tracer(patch_modules=("botocore",))


def fifo_queue_handler(
    queue: DeadLetterQueue,
    record_handler: Callable[..., None],
    logger: Logger,
    tracer: Tracer,
    *,
    skip_group_on_error: bool = False,
) -> LambdaHandler:
    """The Lambda handler of the FIFO queue whose dead letters are `queue`. With
    `skip_group_on_error`, a failed record holds back only the later records of its own message
    group; without, every record after it."""
    # imported here, by the queues' handlers only: the others' cold imports stay without them
    from aws_lambda_powertools.utilities.batch import process_partial_response

    from shared.services.failures import FailureRecordingFifoProcessor

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        # one processor an invocation, as its state is the batch's (local mode runs a function's
        # invocations at once in one process)
        processor = FailureRecordingFifoProcessor(queue, logger, skip_group_on_error=skip_group_on_error)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return lambda_handler
