"""Loading the server extension: read the settings, refuse bad ones, install the transform."""

from __future__ import annotations

from traitlets import TraitError

from .config import CrossOriginIsolation
from .policy import isolation_requirement
from .transform import make_transform

LOG_PREFIX = "jupyter_coi |"


class ConfigurationError(SystemExit):
    """Stops the server. Jupyter Server logs and swallows an ``Exception`` raised while an
    extension loads and starts anyway, which would serve pages that are not isolated while the
    user believes they are; ``SystemExit`` is not an ``Exception``, so it ends the start-up."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__(1)

    def __str__(self) -> str:
        return "; ".join(self.messages)


def load(serverapp) -> CrossOriginIsolation:
    log = serverapp.log
    problems = CrossOriginIsolation.unknown_settings(
        serverapp.config.get(CrossOriginIsolation.__name__, {})
    )
    settings = None
    try:
        settings = CrossOriginIsolation(parent=serverapp)
    except TraitError as e:
        problems.append(str(e))
    if problems:
        for message in problems:
            log.critical("%s invalid configuration: %s", LOG_PREFIX, message)
        log.critical("%s the server does not start with a half-applied isolation policy", LOG_PREFIX)
        raise ConfigurationError(problems)
    assert settings is not None

    serverapp.web_app.settings["jupyter_coi"] = settings
    if not settings.enabled:
        log.info(
            "%s disabled by %s = False: responses are not cross-origin isolated",
            LOG_PREFIX,
            settings.setting_name("enabled"),
        )
        return settings

    policy = settings.policy()
    serverapp.web_app.add_transform(
        make_transform(policy, serverapp.base_url, settings.exclude_paths)
    )
    excluded = ", ".join(settings.exclude_paths) or "none"
    log.info(
        "%s cross-origin isolating every response with %s (excluded paths: %s)",
        LOG_PREFIX,
        policy.describe(),
        excluded,
    )
    if not policy.isolates:
        log.warning(
            "%s this policy does not make pages cross-origin isolated; isolation takes %s",
            LOG_PREFIX,
            isolation_requirement(),
        )
    return settings
