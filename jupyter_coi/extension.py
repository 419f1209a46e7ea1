"""Loading the server extension: read the settings, refuse bad ones, install the transform."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .config import LOG_PREFIX, ConfigurationError, CrossOriginIsolation
from .policy import (
    CREDENTIALLESS,
    CREDENTIALLESS_FALLBACK,
    DOCUMENT_ISOLATION,
    EMBEDDER,
    EMBEDDER_AUTO,
    isolation_requirement,
    response_headers,
)
from .reports import RateLimit, ReportsHandler, ReportStore, new_key
from .transform import make_transform

REPORTS_PATH = "api/coi/reports"


def load_or_stop(serverapp) -> CrossOriginIsolation:
    """:func:`load`, or stop the server. Jupyter Server logs an extension that fails to load
    and runs on without it: every response without the headers, while pages and users count
    on them."""
    try:
        return load(serverapp)
    except Exception as error:
        serverapp.log.critical(
            "%s could not load (%r): the server does not start without its isolation headers",
            LOG_PREFIX,
            error,
        )
        raise ConfigurationError([f"jupyter-coi could not load: {error!r}"]) from error


def load(serverapp) -> CrossOriginIsolation:
    log = serverapp.log
    settings = CrossOriginIsolation.load_or_refuse(
        serverapp.config.get(CrossOriginIsolation.__name__, {}),
        lambda: CrossOriginIsolation(parent=serverapp),
        log,
        "the server does not start with a half-applied isolation policy",
    )
    serverapp.web_app.settings["jupyter_coi"] = settings
    if not settings.enabled:
        log.info(
            "%s disabled by %s = False: responses are not cross-origin isolated",
            LOG_PREFIX,
            settings.setting_name("enabled"),
        )
        return settings

    report_url = add_report_endpoint(serverapp, settings)

    def headers(credentialless: bool) -> dict[str, str]:
        return response_headers(
            settings.resolved_policy(credentialless),
            report_only=settings.report_only,
            report_url=report_url,
            document_isolation=settings.document_isolation_policy,
        )

    auto = settings.embedder_policy == EMBEDDER_AUTO
    sent = headers(True)
    serverapp.web_app.add_transform(
        make_transform(
            sent.items(),
            serverapp.base_url,
            settings.exclude_paths,
            fallback=headers(False).items() if auto else None,
        )
    )
    policy = settings.resolved_policy()
    excluded = ", ".join(settings.exclude_paths) or "none"
    # The key in the reports' path is for the server's pages to tell browsers, not for logs.
    shown_url = report_url.rsplit("/", 1)[0] + "/<key made at start>" if report_url else ""
    sent_text = ", ".join(f"{k}: {v}" for k, v in sent.items())
    log.info(
        "%s cross-origin isolating every response with %s (excluded paths: %s)",
        LOG_PREFIX,
        sent_text.replace(report_url, shown_url) if report_url else sent_text,
        excluded,
    )
    if auto:
        log.info(
            "%s browsers without COEP %s get %s: %s",
            LOG_PREFIX,
            CREDENTIALLESS,
            EMBEDDER,
            CREDENTIALLESS_FALLBACK,
        )
    if report_url:
        log.info("%s browsers post violation reports to %s", LOG_PREFIX, shown_url)
    if settings.report_only:
        log.warning(
            "%s report-only: nothing is blocked and pages are not cross-origin isolated; set %s = "
            "False to enforce",
            LOG_PREFIX,
            settings.setting_name("report_only"),
        )
    elif not policy.isolates and settings.document_isolation_policy.startswith("isolate"):
        log.info(
            "%s only browsers that support %s (Chromium 137+) isolate pages with this policy",
            LOG_PREFIX,
            DOCUMENT_ISOLATION,
        )
    elif not policy.isolates:
        log.warning(
            "%s this policy does not make pages cross-origin isolated; isolation takes %s",
            LOG_PREFIX,
            isolation_requirement(),
        )
    return settings


def add_report_endpoint(serverapp, settings: CrossOriginIsolation) -> str | None:
    """Serve ``api/coi/reports`` and tell the page it is there; the URL browsers are to post
    to, or None when the settings ask for no reports (``GET`` still answers, saying so)."""
    path = url_path_join(serverapp.base_url, REPORTS_PATH)
    # Posts go to a path that only this server's responses name (see jupyter_coi.reports).
    post_path = url_path_join(path, new_key())
    shared = {
        "store": ReportStore(),
        "limit": RateLimit(),
        "reporting": settings.reporting,
        "mode": "report-only" if settings.report_only else "enforce",
        "log_prefix": LOG_PREFIX,
    }
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (path, ReportsHandler, shared),
            (post_path, ReportsHandler, {**shared, "takes_posts": True}),
        ],
    )
    # The labextension's dialog asks for reports only where this says the endpoint is
    # (JupyterLab and Notebook 7 pass this dict to the page).
    serverapp.web_app.settings.setdefault("page_config_data", {})["jupyterCoiReports"] = (
        REPORTS_PATH
    )
    return post_path if settings.reporting else None
