"""Console API: API Gateway HTTP API (payload 2.0) -> one service function per route."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.channels.base import ChannelAuthError, ChannelError
from shared.domain.importing import ImportRejected
from shared.services import channels, jobs, listings
from shared.services.channels import ChannelAlreadyExists, ChannelRequest
from shared.services.jobs import JobRequest, NotAvailable, UnknownChannel
from shared.storage import channels as channel_store
from shared.storage import history
from shared.storage import jobs as job_store
from shared.storage.jobs import JobNotFound

logger = Logger()
tracer = Tracer(patch_modules=("botocore", "httpx"))
app = APIGatewayHttpResolver(enable_validation=True)

TITLE = "Tidemark console API"


def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response[Any]:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[Any]:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
        for e in error.errors()
    ]
    return _error(400, "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


@app.exception_handler(ImportRejected)
def _import_rejected(error: ImportRejected) -> Response[Any]:
    errors = [{"line": e.line, "field": e.column, "message": e.message} for e in error.errors]
    return _error(400, str(error), errors)


@app.exception_handler(ChannelAuthError)
def _store_refused(error: ChannelAuthError) -> Response[Any]:
    return _error(400, error.message)


@app.exception_handler(ChannelError)
def _store_failed(error: ChannelError) -> Response[Any]:
    return _error(502 if error.retryable else 400, error.message)


@app.exception_handler(ChannelAlreadyExists)
def _conflict(error: ChannelAlreadyExists) -> Response[Any]:
    return _error(409, str(error))


@app.exception_handler(NotAvailable)
def _not_available(error: NotAvailable) -> Response[Any]:
    return _error(400, str(error))


@app.exception_handler(UnknownChannel)
def _unknown_channel(error: UnknownChannel) -> Response[Any]:
    return _error(404, str(error))


@app.exception_handler(JobNotFound)
def _unknown_job(error: JobNotFound) -> Response[Any]:
    return _error(404, f"no job with id '{error}': see `tidemark jobs list`")


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    schema = app.get_openapi_json_schema(title=TITLE, version="1")
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=schema)


@app.post("/v1/listings/import", summary="Create or update listings from a CSV body (text/csv)")
def import_listings() -> Response[Any]:
    summary = listings.import_listings(app.current_event.decoded_body or "")
    return Response(
        200, content_types.APPLICATION_JSON, {"created": summary.created, "updated": summary.updated}
    )


@app.get("/v1/listings/<sku>", summary="One listing with its links")
def show_listing(sku: str) -> dict[str, Any]:
    view = listings.show_listing(sku)
    if view is None:
        raise NotFoundError(f"no listing with SKU '{sku}': import it first")
    return {
        **view.listing.model_dump(mode="json"),
        "syncable_balance": view.listing.syncable_balance,
        "links": view.links,
    }


@app.post("/v1/channels", summary="Connect a channel (makes a test call to the store)")
def add_channel(request: ChannelRequest) -> Response[Any]:
    channel = channels.add_channel(request)
    return Response(201, content_types.APPLICATION_JSON, channel.model_dump(mode="json"))


@app.get("/v1/channels", summary="Every channel")
def list_channels() -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in channel_store.list_all()]


@app.get("/v1/channels/<name>", summary="One channel")
def show_channel(name: str) -> dict[str, Any]:
    channel = channel_store.get(name)
    if channel is None:
        raise UnknownChannel(name)
    return channel.model_dump(mode="json")


@app.post("/v1/jobs", summary="Start a link, re-link, reconcile or sync job")
def start_job(request: JobRequest) -> Response[Any]:
    job = jobs.start_job(request)
    return Response(202, content_types.APPLICATION_JSON, job.model_dump(mode="json"))


@app.get("/v1/jobs", summary="A channel's jobs, newest first")
def list_jobs(
    channel: Annotated[str, Query(description="the channel's name")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    if channel_store.get(channel) is None:
        raise UnknownChannel(channel)
    return [j.model_dump(mode="json") for j in job_store.for_channel(channel, limit)]


@app.get("/v1/jobs/<job_id>", summary="One job: status, timestamps, counts, failures with their fixes")
def show_job(job_id: str) -> dict[str, Any]:
    return job_store.get(job_id).model_dump(mode="json")


@app.get("/v1/history/<sku>", summary="A listing's sync history, newest first")
def show_history(
    sku: str,
    channel: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    entries, _ = history.for_listing(sku, channel, limit)
    return {"sku": sku, "entries": [e.model_dump(mode="json") for e in entries]}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
