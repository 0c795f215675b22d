"""The two flows: a request is validated, signed in, checked and queued; a scan runs, is emailed and recorded.

Each invocation builds its collaborators afresh (`RequestServices.from_env`, `ScanServices.from_env`), so a
warm process carries nothing from one tenant's scan into the next. Tests pass their own services.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from o365cis.auth import AuthError
from o365cis.lambda_service import aws, mailer
from o365cis.lambda_service.config import ConfigurationError, MailSettings, ServiceConfig
from o365cis.lambda_service.events import InvalidEvent, ScanJob, parse_request_event, parse_scan_event
from o365cis.lambda_service.invoker import InvokeError, LambdaInvoker
from o365cis.lambda_service.logs import EventLog, mask_secrets
from o365cis.lambda_service.permissions import GrantedRoles, check_permissions, probe_roles
from o365cis.lambda_service.scan_step import PytestScanStep, ScanReport, ScanStep
from o365cis.lambda_service.secrets import SecretBox, SecretError, read_secret_string
from o365cis.lambda_service.status import AlreadyRecorded, ScanState, StatusStore, StoreError, one_line, summary_counts
from o365cis.settings import Secret, SettingsError

#: HTTP status for each AuthError kind: what the caller sent is refused (4xx) unless Microsoft was unreachable.
AUTH_STATUS = {
    "bad_credentials": 401,
    "bad_certificate": 401,
    "unknown_client": 400,
    "unknown_tenant": 400,
    "no_consent": 403,
    "unreachable": 502,
}


def response(status_code: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """An API Gateway proxy answer with a JSON body."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, ensure_ascii=False),
    }


def _aws_request_id(context: Any) -> str | None:
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None


def _remaining_seconds(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        return float(remaining()) / 1000.0
    except (TypeError, ValueError):
        return None


def _error_line(text: str, secret: str) -> str:
    """One line for a record, an email or an answer: the secret masked before whitespace is collapsed and cut."""
    return one_line(mask_secrets(text, (secret,)))


def _store(config: ServiceConfig) -> StatusStore:
    return StatusStore(aws.client("dynamodb"), config.table_name, config.status_ttl_days, config.scan_timeout_seconds)


#: Time kept back after the email for the status write, so a slow SMTP server cannot starve it.
RECORD_MARGIN_SECONDS = 10.0


@dataclass
class RequestServices:
    """What the request function talks to."""

    config: ServiceConfig
    store: StatusStore
    probe: Callable[[ScanJob], GrantedRoles]
    invoker: Any  # has start(job) -> None, raising InvokeError

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RequestServices:
        """Build from the function's environment; ConfigurationError names a missing variable."""
        env = os.environ if environ is None else environ
        config = ServiceConfig.from_env(env)
        if not config.scan_function_name:
            raise ConfigurationError("SCAN_FUNCTION_NAME is not set: no scan function to start")
        seal = SecretBox(aws.client("kms"), config.secret_kms_key_id).seal if config.secret_kms_key_id else None
        return cls(
            config=config,
            store=_store(config),
            probe=lambda job: probe_roles(job, env),
            invoker=LambdaInvoker(aws.client("lambda"), config.scan_function_name, seal),
        )


@dataclass
class ScanServices:
    """What the scan function talks to."""

    config: ServiceConfig
    store: StatusStore
    mail: MailSettings
    scan: ScanStep
    send: Callable[..., None] = mailer.send  # (settings, message, deadline) as mailer.send
    #: Opens a `client_secret_kms` for a requestId (SecretBox.open); built lazily, only a sealed event needs KMS.
    open_secret: Callable[[str, str], str] | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScanServices:
        """Build from the function's environment; ConfigurationError names a missing variable."""
        env = os.environ if environ is None else environ
        config = ServiceConfig.from_env(env)

        def read_password(arn: str) -> str:
            try:
                return read_secret_string(aws.client("secretsmanager"), arn)
            except SecretError as exc:
                raise ConfigurationError(str(exc)) from None

        return cls(
            config=config,
            store=_store(config),
            mail=MailSettings.from_env(env, read_password),
            scan=PytestScanStep(config.rate_limit),
            open_secret=lambda sealed, request_id: SecretBox(aws.client("kms")).open(sealed, request_id),
        )


def _invalid(exc: InvalidEvent, log: EventLog, function: str) -> dict[str, Any]:
    """The answer to an event that failed validation, each problem listed; logged as `<function>.invalid`."""
    errors = [p.as_dict() for p in exc.problems]
    log.warning(f"{function}.invalid", requestId=exc.request_id, errors=errors)
    return {"requestId": exc.request_id, "status": "INVALID", "errors": errors}


def handle_request(event: Any, context: Any, services: RequestServices | None = None) -> dict[str, Any]:
    """The request function: validate, sign in, check permissions, record QUEUED, start the scan; never raises."""
    log = EventLog(function="request", awsRequestId=_aws_request_id(context))
    try:
        return _request(event, context, services, log)
    except Exception as exc:  # noqa: BLE001 - the caller always gets an answer
        log.error("request.crashed", errorType=type(exc).__name__)
        return response(500, {"requestId": None, "status": "ERROR", "error": "internal error; see the function's log"})


def _request(event: Any, context: Any, services: RequestServices | None, log: EventLog) -> dict[str, Any]:
    try:
        job = parse_request_event(event)
    except InvalidEvent as exc:
        return response(400, _invalid(exc, log, "request"))
    log = log.bind(requestId=job.request_id, tenantId=job.tenant_id)
    log.add_secret(str(job.client_secret))
    base = {"requestId": job.request_id}

    try:
        services = services or RequestServices.from_env()
    except (ConfigurationError, ValueError) as exc:
        log.error("request.misconfigured", error=str(exc))
        return response(500, {**base, "status": "ERROR", "error": f"the function is misconfigured: {exc}"})

    try:
        roles = services.probe(job)
    except AuthError as exc:
        message = _error_line(str(exc), str(job.client_secret))
        log.warning("request.signin_failed", kind=exc.kind, error=message)
        code = AUTH_STATUS.get(exc.kind, 401)
        return response(code, {**base, "status": "REJECTED", "reason": exc.kind, "error": message})
    except SettingsError as exc:
        log.error("request.misconfigured", error=str(exc))
        return response(500, {**base, "status": "ERROR", "error": f"the function is misconfigured: {exc}"})

    check = check_permissions(roles)
    missing = check.as_list()
    if check.refused:
        names = ", ".join(m.permission for m in check.missing if m.required)
        log.warning("request.missing_permissions", missing=[m.permission for m in check.missing])
        return response(
            403,
            {
                **base,
                "status": "REJECTED",
                "reason": "missing_permissions",
                "error": f"the app lacks required application permissions: {names}; grant them with admin consent",
                "missingPermissions": missing,
            },
        )

    try:
        services.store.queue(job.request_id, job.tenant_id, job.email)
    except AlreadyRecorded:
        # A record its scan function left RUNNING past the timeout is recorded FAILED now (stale).
        try:
            if services.store.fail_stale(job.request_id):
                log.warning("request.stale_recorded")
        except StoreError as exc:
            log.error("request.store_failed", error=str(exc))
        log.warning("request.duplicate")
        return response(409, {**base, "status": "DUPLICATE", "error": "this requestId has already been used"})
    except StoreError as exc:
        log.error("request.store_failed", error=str(exc))
        return response(503, {**base, "status": "ERROR", "error": "the status table cannot be written"})

    try:
        services.invoker.start(job)
    except InvokeError as exc:
        log.error("request.invoke_failed", error=str(exc))
        try:
            services.store.fail(job.request_id, f"the scan could not be started: {exc}", expected=ScanState.QUEUED)
        except (StoreError, AlreadyRecorded) as store_exc:
            log.error("request.store_failed", error=str(store_exc))
        return response(502, {**base, "status": ScanState.FAILED.value, "error": "the scan could not be started"})

    log.info("request.queued", missing=[m.permission for m in check.missing])
    body: dict[str, Any] = {**base, "status": ScanState.QUEUED.value}
    if missing:
        body["missingPermissions"] = missing
        body["warning"] = "recommendations needing the missing permissions will end in error"
    return response(202, body)


def handle_scan(event: Any, context: Any, services: ScanServices | None = None) -> dict[str, Any]:
    """The scan function: RUNNING, run the suite, email the reports, COMPLETED or FAILED; never raises."""
    log = EventLog(function="scan", awsRequestId=_aws_request_id(context))
    try:
        return _scan(event, context, services, log)
    except Exception as exc:  # noqa: BLE001 - a crash must not make Lambda retry the scan
        _log_quietly(log, "scan.crashed", errorType=type(exc).__name__)
        return {"requestId": None, "status": ScanState.FAILED.value, "error": "internal error; see the function's log"}


def _scan(event: Any, context: Any, services: ScanServices | None, log: EventLog) -> dict[str, Any]:
    try:
        job = parse_scan_event(event)
    except InvalidEvent as exc:
        return _invalid(exc, log, "scan")
    log = log.bind(requestId=job.request_id, tenantId=job.tenant_id)
    log.add_secret(str(job.client_secret))

    try:
        services = services or ScanServices.from_env()
    except (ConfigurationError, ValueError) as exc:
        log.error("scan.misconfigured", error=str(exc))
        _fail_if_possible(job, f"the scan function is misconfigured: {exc}", log)
        return {"requestId": job.request_id, "status": ScanState.FAILED.value, "error": str(exc)}

    try:
        services.store.start(job.request_id, job.tenant_id, job.email)
    except AlreadyRecorded:
        log.warning("scan.refused", reason="requestId already running or finished, or queued for another tenant")
        return {"requestId": job.request_id, "status": "REFUSED", "error": "this requestId has already run"}
    except StoreError as exc:
        log.error("scan.store_failed", error=str(exc))
        return {"requestId": job.request_id, "status": ScanState.FAILED.value, "error": str(exc)}
    log.info("scan.started")

    try:
        return _run_started(job, context, services, log)
    except Exception as exc:  # noqa: BLE001 - the last resort: the record must not stay RUNNING
        error = _error_line(f"the scan function crashed: {type(exc).__name__}: {exc}", str(job.client_secret))
        _record_failed(services.store, job.request_id, error, log)
        return {"requestId": job.request_id, "status": ScanState.FAILED.value, "error": error}


def _run_started(job: ScanJob, context: Any, services: ScanServices, log: EventLog) -> dict[str, Any]:
    """Everything after RUNNING: open the secret, run the scan in its folder, email, record the outcome."""
    if job.client_secret_kms is not None:
        try:
            if services.open_secret is None:
                raise SecretError("cannot decrypt client_secret_kms: no KMS client is configured")
            plain = services.open_secret(job.client_secret_kms, job.request_id)
        except SecretError as exc:
            # A replayed or tampered payload: recorded FAILED, and nothing is sent to the address it names.
            error = one_line(str(exc))
            log.error("scan.secret_unopened", error=error)
            services.store.fail(job.request_id, error)
            return {"requestId": job.request_id, "status": ScanState.FAILED.value, "error": error}
        log.add_secret(plain)
        job = dataclasses.replace(job, client_secret=Secret(plain), client_secret_kms=None)

    workdir = services.config.temp_path / f"o365cis-scan-{job.request_id}"
    try:
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        try:
            report = services.scan(job, workdir, _allowance(context, services.config))
        except Exception as exc:  # noqa: BLE001 - recorded as FAILED below, like any scan error
            report = ScanReport(error=f"the scan stopped: {type(exc).__name__}: {exc}")
        return _finish(job, report, services, log, context)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _allowance(context: Any, config: ServiceConfig) -> float | None:
    remaining = _remaining_seconds(context)
    return None if remaining is None else max(remaining - config.finish_margin_seconds, 0.0)


def _finish(job: ScanJob, report: ScanReport, services: ScanServices, log: EventLog, context: Any) -> dict[str, Any]:
    secret = str(job.client_secret)
    scan_error = _error_line(report.error, secret) if report.error else None
    summary = summary_counts(report.summary) if report.has_reports else None
    mail_error: str | None = None

    attachments: list[mailer.Attachment] = []
    if summary is not None:
        assert report.json_path is not None
        if report.html_path is not None and report.html_path.is_file():
            attachments.append(mailer.Attachment(report.html_path, f"cis-report-{job.request_id}.html", "text", "html"))
        attachments.append(
            mailer.Attachment(report.json_path, f"cis-results-{job.request_id}.json", "application", "json")
        )
        note = f"The scan did not finish cleanly: {scan_error}" if scan_error else None
        message = mailer.report_message(
            services.mail,
            job.email,
            tenant_id=job.tenant_id,
            request_id=job.request_id,
            summary=summary,
            attachments=attachments,
            note=note,
        )
    else:
        scan_error = scan_error or "the scan produced no results"
        message = mailer.failure_message(
            services.mail, job.email, tenant_id=job.tenant_id, request_id=job.request_id, error=scan_error
        )

    remaining = _remaining_seconds(context)
    # The email may use what is left of the invocation except the time the status write needs.
    deadline = None if remaining is None else max(remaining - RECORD_MARGIN_SECONDS, 1.0)
    try:
        services.send(services.mail, message, deadline)
        log.info("scan.emailed", attachments=[a.filename for a in attachments])
    except mailer.MailError as exc:
        mail_error = f"email not sent: {exc}"
        log.error("scan.email_failed", error=str(exc))

    error = "; ".join(e for e in (scan_error, mail_error) if e) or None
    result: dict[str, Any] = {"requestId": job.request_id}
    try:
        if error is None and summary is not None:
            services.store.complete(job.request_id, summary)
            log.info("scan.completed", summary=summary)
            return {**result, "status": ScanState.COMPLETED.value, "summary": summary}
        assert error is not None
        services.store.fail(job.request_id, error, summary)
        log.error("scan.failed", error=error, summary=summary)
        result.update(status=ScanState.FAILED.value, error=one_line(error))
    except (StoreError, AlreadyRecorded) as exc:
        # The email went out (or not) already; a record left RUNNING reads as FAILED once it is stale.
        log.error("scan.unrecorded", error=str(exc), summary=summary)
        result.update(status=ScanState.FAILED.value, error=str(exc))
    if summary is not None:
        result["summary"] = summary
    return result


def _log_quietly(log: EventLog, event: str, **fields: Any) -> None:
    """Log from a last-resort path, which must not fail even when stdout cannot be written."""
    try:
        log.error(event, **fields)
    except Exception:  # noqa: BLE001, S110 - nothing is left to tell
        pass


def _record_failed(store: StatusStore, request_id: str, error: str, log: EventLog) -> None:
    """The last resort: RUNNING becomes FAILED; whatever goes wrong here is logged, never raised."""
    try:
        store.fail(request_id, error)
        _log_quietly(log, "scan.failed", error=error)
    except Exception as exc:  # noqa: BLE001 - a finished record, an unreachable table: logged, never raised
        _log_quietly(log, "scan.unrecorded", errorType=type(exc).__name__, error=str(exc))


def _fail_if_possible(job: ScanJob, error: str, log: EventLog) -> None:
    """Record FAILED when the table at least is known (mail settings may be what is broken)."""
    try:
        config = ServiceConfig.from_env()
        store = _store(config)
        store.start(job.request_id, job.tenant_id, job.email)
        store.fail(job.request_id, error)
    except (ConfigurationError, AlreadyRecorded, StoreError, ValueError) as exc:
        log.error("scan.unrecorded", errorType=type(exc).__name__)


def handle_failure(event: Any, context: Any, store: StatusStore | None = None) -> dict[str, Any]:
    """The scan function's on-failure destination: the platform stopped a scan (timeout, out of memory, crash).

    Lambda sends {"requestContext": {"condition": ...}, "requestPayload": <the scan event>, "responsePayload":
    {"errorMessage": ...}}. The record is moved from RUNNING (or QUEUED, when the event expired unprocessed) to
    FAILED with one line; a finished record stays as it is. Never raises: it is the last word on the scan.
    """
    log = EventLog(function="failure", awsRequestId=_aws_request_id(context))
    try:
        payload = event.get("requestPayload") if isinstance(event, dict) else None
        request_id = payload.get("requestId") if isinstance(payload, dict) else None
        if not isinstance(request_id, str) or not request_id:
            log.warning("failure.unidentified")
            return {"requestId": None, "status": "IGNORED"}
        log = log.bind(requestId=request_id)
        access = payload.get("access_input") if isinstance(payload, dict) else None
        plain = access.get("client_secret") if isinstance(access, dict) else None
        log.add_secret(plain if isinstance(plain, str) else None)
        context_info = event.get("requestContext") or {}
        answer = event.get("responsePayload") or {}
        condition = context_info.get("condition", "unknown") if isinstance(context_info, dict) else "unknown"
        message = answer.get("errorMessage", "no error message") if isinstance(answer, dict) else str(answer)
        error = _error_line(
            f"the scan function was stopped by the platform ({condition}): {message}",
            plain if isinstance(plain, str) else "",
        )
        store = store or _store(ServiceConfig.from_env())
        for expected in (ScanState.RUNNING, ScanState.QUEUED):
            try:
                store.fail(request_id, error, expected=expected)
            except AlreadyRecorded:
                continue
            log.error("failure.recorded", error=error, previousStatus=expected.value)
            return {"requestId": request_id, "status": ScanState.FAILED.value, "error": error}
        log.info("failure.already_finished")
        return {"requestId": request_id, "status": "UNCHANGED"}
    except Exception as exc:  # noqa: BLE001 - Lambda would retry a raising destination to no end
        _log_quietly(log, "failure.unrecorded", errorType=type(exc).__name__)
        return {"requestId": None, "status": "ERROR"}
