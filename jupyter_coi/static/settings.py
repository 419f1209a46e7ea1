"""The settings of a static site that jupyter-coi isolates: the policy's three headers, and the
host config files to write. Shared by the JupyterLite addon and the Sphinx extension, each with
its own names for them; neither jupyterlite-core nor Sphinx is needed here."""

from __future__ import annotations

from traitlets import List, TraitError, Unicode, validate

from .. import hosts
from ..config import PolicySettings


def host_choices() -> str:
    return ", ".join(f"``{name}`` (``{file}``)" for name, file in hosts.HOST_FILES.items())


class StaticSiteSettings(PolicySettings):
    """:class:`~jupyter_coi.config.PolicySettings` plus ``host_files``."""

    host_files = List(
        Unicode(),
        default_value=list(hosts.HOST_FILES),
        config=True,
        help="The static hosts to write a config file for, into the built site. An empty list "
        f"writes none. Any of {host_choices()}.",
    )

    @validate("host_files")
    def _check_host_files(self, proposal):
        unknown = [name for name in proposal["value"] if name not in hosts.HOST_FILES]
        if unknown:
            raise TraitError(
                f"{self.setting_name('host_files')} = {list(proposal['value'])!r} has "
                f"{', '.join(map(repr, unknown))}, which is not a host jupyter-coi knows; "
                f"choose among {', '.join(map(repr, hosts.HOST_FILES))}"
            )
        # Once each, in the order given: a name twice would write the file twice.
        return list(dict.fromkeys(proposal["value"]))
