"""The jupyterlite-core build addon: a JupyterLite site that is cross-origin isolated.

Registered as the ``jupyter-coi`` addon (entry point group ``jupyterlite.addon.v0``), so that
``jupyter lite build|serve|check|status`` run it once jupyter-coi is installed. What it does:

- ``post_build``: writes the host config files (Netlify ``_headers``, ``vercel.json``, ...)
  into the built site, from the policy, through :mod:`jupyter_coi.hosts`;
- ``serve``: makes ``jupyter lite serve`` send the policy's headers (through
  ``LiteBuildConfig.extra_http_headers``, which its tornado server sends on every response);
- ``check``: reports host files that are missing or say something else than the policy;
- ``status``: prints what it would do.

- ``post_build`` also wraps JupyterLite's service worker, for hosts that cannot send headers
  (GitHub Pages), through :mod:`jupyter_coi.static.serviceworker`.

Its settings are the server extension's header settings (:class:`~jupyter_coi.config.
PolicySettings`, the same names, values and checks) in a section of their own,
``CrossOriginIsolationAddon``, plus ``enabled``, ``service_worker`` and ``host_files``. A bad
value ends the command before any task runs, as a bad server setting ends ``jupyter lab``.

It imports the policy, the settings, the host files and the site helpers, never the server
extension: ``jupyter lite build`` loads no part of jupyter_server's web application.
"""

from __future__ import annotations

from pathlib import Path

from doit.exceptions import TaskFailed
from doit.tools import config_changed
from jupyterlite_core.addons.base import BaseAddon
from jupyterlite_core.optional import has_optional_dependency
from traitlets import Bool

from .. import hosts, policy
from ..config import LOG_PREFIX, embedder_policy_trait
from ..static import serviceworker
from ..static.hostfiles import (
    check_host_files,
    host_file_paths,
    remove_host_files,
    write_host_files,
)
from ..static.litebuild import NotALiteSite
from ..static.settings import StaticSiteSettings

# Addons that write app pages in post_build, by their entry point's name.
PAGE_WRITERS = ("voici",)


class CrossOriginIsolationAddon(StaticSiteSettings, BaseAddon):
    """Cross-origin isolation of a JupyterLite site (jupyter-coi): host config files, headers
    from ``jupyter lite serve``."""

    __all__ = ("status", "post_build", "check", "pre_serve")

    enabled = Bool(
        True,
        config=True,
        help="Isolate the JupyterLite site: write the host files, send the headers from "
        "`jupyter lite serve`. False turns the addon off without uninstalling jupyter-coi "
        "(as does `--disable-addons jupyter-coi`).",
    )

    embedder_policy = embedder_policy_trait(
        policy.SETTING_DEFAULTS["embedder"],
        "isolate every browser and load what each allows. With ``service_worker`` on, the host "
        f"files and `jupyter lite serve` send ``{policy.CREDENTIALLESS}`` (Chromium and Firefox "
        "are isolated by it from the first load) and the service worker gives the browsers "
        f"without it ``{policy.CREDENTIALLESS_FALLBACK}`` (Safari, after one reload); with it "
        f"off, they send ``{policy.CREDENTIALLESS_FALLBACK}``, the only value that isolates every "
        "browser, and cross-origin resources without CORP are blocked.",
    )

    service_worker = Bool(
        True,
        config=True,
        help="Make the site isolated on hosts that send no headers (GitHub Pages, GitLab Pages, "
        "`python -m http.server`): JupyterLite's service worker is wrapped to add the headers "
        "to what it serves, and each app page reloads once into it. Where the host sends the "
        "headers itself, pages are isolated from the first load and never reload.",
    )

    @classmethod
    def setting_name(cls, trait: str) -> str:
        # As it is written in jupyter_lite_config.json's section and on the command line.
        return f"{cls.__name__}.{trait}"

    def auto_embedder(self) -> str:
        # Every file of the site and every `jupyter lite serve` response says one value to all.
        return policy.static_auto_embedder(self.service_worker)

    def webkit_note(self) -> tuple[bool, str] | None:
        """What the browsers without ``credentialless`` (Safari, WebKit) get from this site,
        where the host's headers alone would not isolate them or block what the others load;
        with whether that is what the settings mean to do (else a warning is due)."""
        auto = self.embedder_policy == policy.EMBEDDER_AUTO
        embedder = self.resolved_policy().embedder
        if embedder == policy.CREDENTIALLESS:
            if self.service_worker:
                return auto, (
                    f"the host files send COEP {policy.CREDENTIALLESS} to every browser; Safari "
                    "and other WebKit browsers do not support it and are not isolated by them; "
                    f"the service worker gives them {policy.CREDENTIALLESS_FALLBACK}, after one "
                    "reload"
                )
            return False, (
                f"the host files send COEP {policy.CREDENTIALLESS} to every browser; Safari and "
                "other WebKit browsers do not support it and are not isolated by them "
                "(service_worker is off)"
            )
        if auto:
            return False, (
                f"{self.setting_name('embedder_policy')} = {policy.EMBEDDER_AUTO!r} with "
                f"{self.setting_name('service_worker')} off: the host files send COEP "
                f"{embedder}, the only value that isolates every browser, so images, scripts and "
                f"map tiles from other sites that send no {policy.RESOURCE} are blocked; with "
                f"{self.setting_name('service_worker')} = true, Chromium and Firefox would "
                f"load them ({policy.CREDENTIALLESS}) and Safari would still be isolated"
            )
        return None

    def __init__(self, manager, *args, **kwargs):
        # jupyterlite-core logs an addon that raises an Exception here as a warning and builds
        # the site without it: load_or_refuse ends the command before any task has run.
        self.load_or_refuse(
            manager.config.get(type(self).__name__, {}),
            lambda: super(CrossOriginIsolationAddon, self).__init__(manager, *args, **kwargs),
            manager.log,
            "nothing was built: JupyterLite does not run with a half-applied isolation policy",
        )
        if self.enabled:
            self._send_headers_when_serving()

    # --- jupyter lite serve -------------------------------------------------------------------

    def _send_headers_when_serving(self) -> None:
        """Add the policy's headers to ``manager.extra_http_headers``, which the tornado server
        of ``jupyter lite serve`` sends on every response. A header the user already set (in
        ``http_headers`` or ``extra_http_headers``, even to ``None``, which sends nothing) is
        theirs: it is kept, with a warning when it differs from the policy."""
        manager = self.manager
        users = {
            name.lower(): (trait, value)
            for trait in ("http_headers", "extra_http_headers")
            for name, value in getattr(manager, trait).items()
        }
        added = {}
        for name, value in self.resolved_policy():
            if name.lower() not in users:
                added[name] = value
                continue
            trait, theirs = users[name.lower()]
            if theirs != value:
                self.log.warning(
                    "%s LiteBuildConfig.%s sets %s: %s, which `jupyter lite serve` sends instead "
                    "of the policy's %s",
                    LOG_PREFIX,
                    trait,
                    name,
                    theirs,
                    value,
                )
        if added:
            manager.extra_http_headers = {**added, **manager.extra_http_headers}

    def pre_serve(self, manager):
        if not self.enabled:
            return
        yield self.task(
            name="headers",
            doc="make sure `jupyter lite serve` sends the isolation headers",
            uptodate=[lambda: False],
            actions=[self._require_tornado],
        )

    def _require_tornado(self):
        # jupyterlite-core falls back to http.server without tornado (or with
        # JUPYTERLITE_NO_TORNADO set), which sends none of the configured headers: refuse
        # rather than serve pages that are not isolated.
        if has_optional_dependency("tornado"):
            return None
        return TaskFailed(
            f"{LOG_PREFIX} `jupyter lite serve` would use its standard-library server, which "
            "sends none of the cross-origin isolation headers (nor any other configured "
            "header), so the site would not be isolated. It uses tornado when it can import "
            "it: install tornado (`pip install tornado`, it comes with jupyter_server) and "
            "unset JUPYTERLITE_NO_TORNADO if it is set."
        )

    # --- jupyter lite build -------------------------------------------------------------------

    def post_build(self, manager):
        if self.enabled:
            yield from self.host_file_tasks(manager)
            yield from self.service_worker_tasks(manager)
        yield from self.removal_tasks(manager)

    def removal_tasks(self, manager):
        """What an earlier build wrote into the same folder and these settings no longer ask
        for (the addon, its service worker or a host turned off) is taken out again: an off
        switch that left the wrapped worker or a host file's headers would leave the site
        isolated, or half so, while `jupyter lite status` says otherwise."""
        if self._checking(manager):
            return
        out = Path(manager.output_dir)
        unwanted = [h for h in hosts.HOST_FILES if not (self.enabled and h in self.host_files)]
        if self.enabled and self.service_worker and not unwanted:
            return
        yield self.task(
            name="remove",
            doc="take out what earlier builds wrote and these settings turn off: "
            + ", ".join(
                ([] if self.enabled and self.service_worker else ["the service worker"])
                + [hosts.HOST_FILES[h] for h in unwanted]
            ),
            uptodate=[lambda: False],
            actions=[(self._remove, [out, unwanted])],
        )

    def _remove(self, out: Path, unwanted: list[str]):
        try:
            changed = remove_host_files(out, unwanted)
            if not (self.enabled and self.service_worker):
                changed += serviceworker.remove_service_worker(out)
        except (NotALiteSite, hosts.HostFileError, serviceworker.ServiceWorkerError) as e:
            return TaskFailed(f"{LOG_PREFIX} what earlier builds wrote was not taken out: {e}")
        if changed:
            self.log.info(
                "%s took out what earlier builds wrote and the settings turn off: %s",
                LOG_PREFIX,
                ", ".join(str(p.relative_to(out)) for p in changed),
            )
        return None

    def service_worker_tasks(self, manager):
        """Isolation for hosts that send no headers (GitHub Pages): JupyterLite's own service
        worker, wrapped to add the headers, and the page script that reloads once into it."""
        if not self.service_worker or self._checking(manager):
            return
        out = Path(manager.output_dir)
        # Up to date while the worker is wrapped with this policy and every page loads the
        # script: a rebuild that unpacked JupyterLite's files again (--force) is caught by
        # check_service_worker, as is a page the user edited.
        yield self.task(
            name="service-worker",
            doc="wrap JupyterLite's service worker to add "
            f"{self.resolved_policy().describe()}, and load "
            f"{serviceworker.PAGE_SCRIPT} in every app page",
            file_dep=[],
            task_dep=self._page_writers(manager),
            targets=[out / serviceworker.SERVICE_WORKER, out / serviceworker.PAGE_SCRIPT],
            actions=[(self._install_service_worker, [out])],
            uptodate=[
                config_changed({"headers": self.resolved_policy().headers()}),
                lambda: not serviceworker.check_service_worker(out, self.resolved_policy()),
            ],
        )

    def _page_writers(self, manager) -> list[str]:
        """The post_build tasks of the addons that write app pages after this one: the page
        script must reach their pages too, so it goes in once they have run.

        jupyterlite-core runs each phase's addons in the order of their names, and Voici's
        (``voici``) writes its dashboards and tree in post_build, after ``jupyter-coi``. Its
        tasks are read from its own post_build, which only yields them (as jupyterlite-core
        then does), so that the dependency holds whatever they are named. The manager has no
        public way to reach another addon: its ``_addons`` trait is the one place they are.
        """
        names = []
        for addon_name in PAGE_WRITERS:
            addon = manager._addons.get(addon_name)
            if addon is None or "post_build" not in getattr(addon, "__all__", ()):
                continue
            for task in addon.post_build(manager) or ():
                names.append(f"{manager.task_prefix}post_build:{addon_name}:{task['name']}")
        return names

    def _install_service_worker(self, out: Path):
        try:
            written = serviceworker.wrap_service_worker(out, self.resolved_policy())
            written += serviceworker.install_page_script(out)
        except (NotALiteSite, serviceworker.ServiceWorkerError) as e:
            return TaskFailed(f"{LOG_PREFIX} the service worker was not set up: {e}")
        self.log.info(
            "%s service worker for hosts without headers: %d files in %s",
            LOG_PREFIX,
            len(written),
            out,
        )
        return None

    def host_file_tasks(self, manager):
        if not self.host_files:
            return
        out = Path(manager.output_dir)
        if self._checking(manager):
            # `jupyter lite check` builds before it checks: writing here would mend the very
            # files the check is there to report (a deploy step that dropped `.htaccess`...).
            return
        # What the files depend on is the policy and the host list (config_changed) and their
        # own content (a file edited or removed since is written again): no file_dep. Not even
        # jupyter-lite.json, which other post_build tasks rewrite after this one may have run,
        # so that every second build would write the host files again for nothing.
        yield self.task(
            name="host-files",
            doc=f"write the host config files ({', '.join(self._file_names())}) for "
            f"{self.resolved_policy().describe()}",
            file_dep=[],
            targets=host_file_paths(out, self.host_files),
            actions=[(self._write_host_files, [out])],
            uptodate=[config_changed(self._fingerprint()), (self._host_files_ok, [out])],
        )

    def _fingerprint(self) -> dict:
        return {"headers": self.resolved_policy().headers(), "hosts": list(self.host_files)}

    def _file_names(self) -> list[str]:
        return [hosts.HOST_FILES[name] for name in self.host_files]

    def _host_files_ok(self, out: Path) -> bool:
        # A file the user edited or removed since the last build is written again.
        return not check_host_files(out, self.resolved_policy(), self.host_files)

    def _write_host_files(self, out: Path):
        try:
            written = write_host_files(out, self.resolved_policy(), self.host_files)
        except (NotALiteSite, hosts.HostFileError) as e:
            return TaskFailed(f"{LOG_PREFIX} no host file was written: {e}")
        self.log.info(
            "%s host files in %s: %s, with %s",
            LOG_PREFIX,
            out,
            ", ".join(p.name for p in written),
            self.resolved_policy().describe(),
        )
        if not self.resolved_policy().isolates:
            self.log.warning(
                "%s this policy does not make pages cross-origin isolated; isolation takes %s",
                LOG_PREFIX,
                policy.isolation_requirement(),
            )
        else:
            # Static hosts send one value to every browser: where credentialless does not
            # isolate, only the service worker can give those browsers another.
            note = self.webkit_note()
            if note:
                meant, text = note
                (self.log.info if meant else self.log.warning)("%s %s", LOG_PREFIX, text)
        return None

    @staticmethod
    def _checking(manager) -> bool:
        try:
            from jupyterlite_core.app import LiteCheckApp
        except ImportError:  # pragma: no cover - the app module is part of jupyterlite-core
            return False
        return isinstance(manager.parent, LiteCheckApp)

    # --- jupyter lite check, status -----------------------------------------------------------

    def check(self, manager):
        if not self.enabled:
            return
        out = Path(manager.output_dir)
        if self.host_files:
            yield self.task(
                name="host-files",
                doc="check the host config files against the policy",
                uptodate=[lambda: False],
                actions=[(self._check_host_files_task, [out])],
            )
        if self.service_worker:
            yield self.task(
                name="service-worker",
                doc="check the service worker and page script against the policy",
                uptodate=[lambda: False],
                actions=[(self._check_service_worker_task, [out])],
            )

    def _check_service_worker_task(self, out: Path):
        return _report(
            serviceworker.check_service_worker(out, self.resolved_policy()),
            failed="the site is not isolated on hosts without headers",
            mend="`jupyter lite build` sets it up again.",
            ok="service worker OK",
        )

    def _check_host_files_task(self, out: Path):
        note = self.webkit_note()
        return _report(
            check_host_files(out, self.resolved_policy(), self.host_files),
            failed="the site's host files do not isolate it",
            mend="`jupyter lite build` writes them again.",
            ok=f"host files OK: {', '.join(self._file_names())}" + (f"; {note[1]}" if note else ""),
        )

    def status(self, manager):
        yield self.task(name="policy", actions=[self._print_status])

    def _print_status(self):
        if not self.enabled:
            print(f"    {LOG_PREFIX} disabled by {self.setting_name('enabled')} = False")
            return
        chosen = self.resolved_policy()
        isolates = (
            "isolates"
            if chosen.isolates
            else f"does NOT isolate ({policy.isolation_requirement()})"
        )
        print(f"    {LOG_PREFIX} policy: {chosen.describe()} ({isolates})")
        if self.embedder_policy == policy.EMBEDDER_AUTO:
            print(
                f"    {LOG_PREFIX} {self.setting_name('embedder_policy')} = "
                f"{policy.EMBEDDER_AUTO!r} gives the host files {policy.EMBEDDER}: "
                f"{chosen.embedder}"
            )
        print(f"    {LOG_PREFIX} host files: {', '.join(self._file_names()) or 'none'}")
        print(f"    {LOG_PREFIX} service worker for hosts without headers: {self.service_worker}")


def _report(problems: list[str], failed: str, mend: str, ok: str):
    """A check task's outcome: the problems as a failed task (exit code 1), or one OK line."""
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        return TaskFailed(f"{LOG_PREFIX} {failed}:\n{listed}\n{mend}")
    print(f"    {LOG_PREFIX} {ok}")
    return None
