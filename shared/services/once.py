"""A console request that carries an Idempotency-Key is applied once however often it is sent
(Powertools idempotency): sent again, it is answered as the first time and changes nothing more;
the same key with another request is refused (IdempotencyValidationError), as is one sent while
the first is still running (IdempotencyAlreadyInProgressError). A request that failed keeps no
record: it can be sent again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

# How long an Idempotency-Key is remembered.
KEY_TTL_S = 24 * 60 * 60

Request = TypeVar("Request", bound=BaseModel)
Answer = TypeVar("Answer", bound=BaseModel)


def apply_once(
    use: str,
    key: str | None,
    request: Request,
    apply: Callable[[Request], Answer],
    answer: type[Answer],
    context: LambdaContext | None = None,
) -> Answer:
    """`apply(request)`, once per `key` within KEY_TTL_S for this `use` (a route); without a key,
    every time."""
    if key is None:
        return apply(request)
    # here: Powertools idempotency imports boto3, which the import of a handler leaves out
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

    from shared.storage import idempotency

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=KEY_TTL_S,
        lambda_context=context,  # a request cut off by the timeout does not hold its key for a day
    )

    def apply_keyed(keyed: dict[str, Any]) -> Answer:  # keyed: what the record is keyed by and checked
        return apply(request)

    once = idempotent_function(
        apply_keyed,
        data_keyword_argument="keyed",
        persistence_store=idempotency.store(use),
        config=config,
        output_serializer=PydanticSerializer(model=answer),
        key_prefix=use,
    )
    applied: Answer = once(keyed={"key": key, "request": request.model_dump(mode="json")})
    return applied
