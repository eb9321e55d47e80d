"""Console API: API Gateway HTTP API (payload 2.0) -> one service function per route."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

import json
from dataclasses import asdict
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import console_allocation, console_api, console_locations, console_views
from shared.channels.base import ChannelError
from shared.console_api import ChannelPath, ChannelQuery, ConsoleResolver, FieldError, JobIdPath, SkuPath
from shared.domain.dlq import DeadLetterQueue
from shared.domain.importing import ImportRejected, ImportTooLarge
from shared.domain.job import Job, JobKind, JobStatus
from shared.domain.listing import CreatedBy, Listing
from shared.domain.selection import FilterError
from shared.handlers import imported, observability
from shared.services import adjusting, channels, dlq, flags, history, jobs, listings, removal
from shared.services.adjusting import AdjustRequest
from shared.services.channels import (
    ChannelAlreadyExists,
    ChannelEdit,
    ChannelRefused,
    ChannelRequest,
    InvalidEdit,
    UnknownChannel,
)
from shared.services.dlq import RedriveRequest
from shared.services.flags import FlagRequest, SyncNowRequest, SyncNowSummary
from shared.services.jobs import JobConflict, JobRequest, UnknownSkus
from shared.services.once import apply_once
from shared.services.schedules import ScheduleRequest, set_schedule

logger, tracer = observability()
imported()
app = ConsoleResolver()
app.include_router(console_views.router)  # Listings and Overview
app.include_router(console_allocation.router)  # allocation rules and explain
app.include_router(console_locations.router)  # locations, location maps, bundles

# A client that sends a change again (its answer lost) with the same key gets the first answer.
IdempotencyKey = Annotated[
    str | None, Header(min_length=1, max_length=255, description="sent again: applied once")
]

TITLE, _error, _field_error = "Tidemark console API", console_api.error, console_api.field_error


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[Any]:
    return console_api.invalid_request(error.errors())


@app.exception_handler(RequestUnsupportedContentType)
def _not_json(error: RequestUnsupportedContentType) -> Response[Any]:
    return console_api.not_json(app.current_event.headers.get("content-type", ""))


@app.not_found
def _no_route(error: NotFoundError) -> Response[Any]:
    return console_api.not_found(error, app.current_event.http_method, app.current_event.path, document())


@app.exception_handler(ImportRejected)
def _import_rejected(error: ImportRejected) -> Response[Any]:
    errors = [{"line": e.line, "field": e.column, "message": e.message} for e in error.errors]
    return _error(400, str(error), errors)


@app.exception_handler(listings.ImportPartlyWritten)
def _import_stopped(error: listings.ImportPartlyWritten) -> Response[Any]:
    errors = [
        {"field": "written", "sku": sku, "message": f"listing {sku} was written"} for sku in error.written
    ]
    return _error(503, str(error), errors)


@app.exception_handler(ChannelError)
def _store_failed(error: ChannelError) -> Response[Any]:
    return _error(502 if error.retryable else 400, error.message)


@app.exception_handler([ChannelAlreadyExists, UnknownChannel])
def _channel_refused(error: Exception) -> Response[Any]:
    return _error(409 if isinstance(error, ChannelAlreadyExists) else 404, str(error))


# Errors naming their field and its fix (FieldErrors), by their status.
_FIELD_ERRORS: dict[type[Exception], int] = {
    **dict.fromkeys([UnknownSkus, InvalidEdit, jobs.BadCursor, FilterError, ChannelRefused], 400),
    JobConflict: 409,
    ImportTooLarge: 413,
}


@app.exception_handler(list(_FIELD_ERRORS))
def _bad_field(error: FieldError) -> Response[Any]:
    return _field_error(_FIELD_ERRORS[type(error)], error)


_KEY_ERRORS: dict[type[Exception], tuple[int, str]] = {}


def _key_refused(error: Exception) -> Response[Any]:
    status, problem = _KEY_ERRORS[type(error)]
    return _field_error(status, FieldError("Idempotency-Key", problem))


@cache
def _refusing_reused_keys() -> None:
    """Registered at the first request: Powertools' idempotency package imports boto3."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    _KEY_ERRORS.update(
        {
            IdempotencyValidationError: (422, "it came with another request: use a new key for a new change"),
            IdempotencyAlreadyInProgressError: (
                409,
                "a request with it is still running: send it again shortly",
            ),
        }
    )
    app.exception_handler(list(_KEY_ERRORS))(_key_refused)


@app.exception_handler(jobs.JobNotFound)
def _unknown_job(error: jobs.JobNotFound) -> Response[Any]:
    return _error(404, f"no job with id '{error}': see `tidemark jobs list`")


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document: the routes as Powertools describes them, with the refusals this API answers."""
    return console_api.with_refusals(json.loads(app.get_openapi_json_schema(title=TITLE, version="1")))


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=json.dumps(document()))


@app.post(
    "/v1/listings/import",
    summary="Create or update listings from a CSV body (text/csv)",
    openapi_extensions={"requestBody": console_api.CSV_BODY},  # read raw: Powertools cannot describe it
)
def import_listings(
    created_by: Annotated[
        CreatedBy, Query(description="sets new listings' auto sync")
    ] = CreatedBy.FILE_IMPORT,
) -> Response[Any]:
    summary = listings.import_listings(app.current_event.decoded_body or "", created_by, limited=True)
    return Response(200, content_types.APPLICATION_JSON, asdict(summary))


def _listing(listing: Listing) -> dict[str, Any]:
    return {**listing.model_dump(mode="json"), "syncable_balance": listing.syncable_balance}


@app.get("/v1/listings/<sku>", summary="One listing with its links")
def show_listing(sku: SkuPath) -> dict[str, Any]:
    view = listings.show_listing(sku)
    if view is None:
        raise NotFoundError(f"no listing with SKU '{sku}': import it first")
    return {**_listing(view.listing), "links": view.links}


@app.post("/v1/listings/adjust", summary="Change on hand or committed: of one listing, or a CSV of them")
def adjust(request: AdjustRequest, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    summary = adjusting.adjust(request, idempotency_key, app.lambda_context)
    return {**summary.model_dump(mode="json"), "listing": summary.listing and _listing(summary.listing)}


@app.post("/v1/listings/auto-sync", summary="Auto sync on or off by SKUs or filters (many: a job)")
def set_auto_sync(request: FlagRequest) -> Response[Any]:
    summary = flags.set_flags(request)
    return Response(
        202 if summary.job else 200, content_types.APPLICATION_JSON, summary.model_dump(mode="json")
    )


@app.post("/v1/listings/sync-now", summary="Push listings to their channels now; turns auto sync on")
def sync_now(request: SyncNowRequest, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    context = app.lambda_context
    summary = apply_once("sync-now", idempotency_key, request, flags.sync_now, SyncNowSummary, context)
    return Response(202, content_types.APPLICATION_JSON, summary.model_dump(mode="json"))


@app.get("/v1/settings/auto-sync-rules", summary="The auto-sync flag new listings get, by how they came")
def show_rules() -> dict[str, Any]:
    return flags.rules_now().model_dump()


@app.patch("/v1/settings/auto-sync-rules", summary="Set rules: manual, file_import, order_import, feed")
def edit_rules(changes: dict[CreatedBy, bool]) -> dict[str, Any]:
    return flags.edit_rules(changes).model_dump()


@app.post("/v1/channels", summary="Connect a channel (makes a test call to the store)")
def add_channel(request: ChannelRequest) -> Response[Any]:
    channel = channels.add_channel(request)
    return Response(201, content_types.APPLICATION_JSON, channel.model_dump(mode="json"))


@app.get("/v1/channels", summary="Every channel")
def list_channels() -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in channels.list_channels()]


@app.get("/v1/channels/<name>", summary="One channel")
def show_channel(name: ChannelPath) -> dict[str, Any]:
    return channels.get_channel(name).model_dump(mode="json")


@app.patch("/v1/channels/<name>", summary="Edit a channel (new credentials are checked with a test call)")
def edit_channel(name: ChannelPath, edit: ChannelEdit) -> dict[str, Any]:
    return channels.edit_channel(name, edit).model_dump(mode="json")


@app.delete(
    "/v1/channels/<name>", summary="Remove a channel: its schedule, jobs, links and secret go with it"
)
def remove_channel(name: ChannelPath) -> dict[str, Any]:
    return removal.remove_channel(name).model_dump(mode="json")


@app.put("/v1/channels/<name>/schedule", summary="Set a channel's sync schedule: rate, mode, on or off")
def put_schedule(name: ChannelPath, request: ScheduleRequest) -> dict[str, Any]:
    return set_schedule(name, request).model_dump(mode="json")


@app.post("/v1/jobs", summary="Queue a link, re-link, reconcile or sync job on its channel")
def start_job(request: JobRequest, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    job = apply_once("jobs", idempotency_key, request, jobs.start_job, Job, app.lambda_context)
    return Response(202, content_types.APPLICATION_JSON, job.model_dump(mode="json"))


@app.get("/v1/jobs", summary="Jobs, newest first: of one channel or of all, by status and kind")
def list_jobs(
    channel: ChannelQuery = None,
    status: Annotated[JobStatus | None, Query()] = None,
    kind: Annotated[JobKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    return [j.model_dump(mode="json") for j in jobs.list_jobs(channel, status, kind, limit)]


@app.get("/v1/jobs/<job_id>", summary="One job: status, timestamps, counts, failures with their fixes")
def show_job(job_id: JobIdPath) -> dict[str, Any]:
    return jobs.get_job(job_id).model_dump(mode="json")


@app.get("/v1/jobs/<job_id>/plan", summary="A dry run's plan: what would change, from what to what")
def show_plan(
    job_id: JobIdPath,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="`next` of the previous page")] = None,
) -> dict[str, Any]:
    changes, after = jobs.plan_page(job_id, limit, cursor)
    return {"job_id": job_id, "changes": [asdict(c) for c in changes], "next": after}


@app.post("/v1/jobs/<job_id>/prioritize", summary="Move a queued job to the top of its channel's queue")
def prioritize_job(job_id: JobIdPath) -> dict[str, Any]:
    return jobs.prioritize(job_id).model_dump(mode="json")


@app.post(
    "/v1/jobs/<job_id>/cancel", summary="Cancel a queued or running job: no push leaves after the answer"
)
def cancel_job(job_id: JobIdPath) -> dict[str, Any]:
    cancelled = jobs.cancel(job_id)
    return {**cancelled.job.model_dump(mode="json"), "pushes_in_flight": cancelled.pushes_in_flight}


@app.post("/v1/jobs/<job_id>/rerun", summary="Run a failed or partly failed job again, on current data")
def rerun_job(job_id: JobIdPath) -> Response[Any]:
    return Response(202, content_types.APPLICATION_JSON, jobs.rerun(job_id).model_dump(mode="json"))


@app.get("/v1/history/<sku>", summary="A listing's sync history, newest first, a page at a time")
def show_history(
    sku: SkuPath,
    channel: ChannelQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="`next` of the previous page")] = None,
) -> dict[str, Any]:
    entries, after = history.history_page(sku, channel, limit, cursor)
    return {"sku": sku, "entries": [e.model_dump(mode="json") for e in entries], "next": after}


@app.get("/v1/dlq", summary="Dead-letter queues: what each message was and why it failed")
def list_dead_letters(queue: Annotated[DeadLetterQueue | None, Query()] = None) -> dict[str, Any]:
    return dlq.list_dead_letters(queue).model_dump(mode="json")


@app.post("/v1/dlq/redrive", summary="Move dead letters back to their queues (stream failures: replayed)")
def redrive_dead_letters(request: RedriveRequest) -> dict[str, Any]:
    return dlq.redrive(request).model_dump(mode="json")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _refusing_reused_keys()
    return app.resolve(event, context)
