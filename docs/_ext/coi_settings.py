"""A Sphinx directive that documents jupyter-coi's settings from the traitlets that define them.

In a MyST page::

    ```{coi-settings} jupyter_coi.config:CrossOriginIsolation
    ```

renders one entry per configurable trait of the class: the name as it is written in the
configuration (``c.CrossOriginIsolation.embedder_policy``, ``CrossOriginIsolationAddon.enabled``,
from the class's own ``setting_name``), its type, its default and its help text. The option
``:json:`` writes defaults as JSON (``true``, ``[]``), for settings read from a JSON file such as
``jupyter_lite_config.json``. The page cannot drift from the code: it is the code.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from traitlets import Bool, Float, Integer, List, Unicode

# A single-backtick span that is not part of a double-backtick literal: help strings use both.
_SINGLE_BACKTICKS = re.compile(r"(?<!`)`([^`]+)`(?!`)")


def load(spec: str) -> type:
    module, _, name = spec.partition(":")
    if not name:
        raise ValueError(f"{spec!r}: expected module:ClassName")
    return getattr(importlib.import_module(module), name)


def type_name(trait) -> str:
    if isinstance(trait, List):
        inner = trait._trait
        return f"list of {type_name(inner)}" if inner is not None else "list"
    for kind, name in ((Bool, "bool"), (Unicode, "str"), (Integer, "int"), (Float, "float")):
        if isinstance(trait, kind):
            return name
    return type(trait).__name__


def default_text(trait, as_json: bool) -> str:
    value = trait.default()
    if as_json:
        return json.dumps(value)
    return repr(value)


def rst_text(help_text: str) -> str:
    """The help string as reStructuredText: its single-backtick spans (Markdown-style code) as
    literals, like its double-backtick ones."""
    return _SINGLE_BACKTICKS.sub(r"``\1``", help_text)


def setting_name(cls: type, trait: str) -> str:
    name = getattr(cls, "setting_name", None)
    return name(trait) if callable(name) else f"c.{cls.__name__}.{trait}"


def render(cls: type, as_json: bool = False, markdown: bool = False) -> list[str]:
    """The lines for every configurable trait of ``cls``, by name: ``confval`` directives in
    reStructuredText, or in MyST Markdown for a directive used in a Markdown page (whose nested
    content MyST parses as Markdown)."""
    lines: list[str] = []
    traits = cls.class_traits(config=True)
    for trait_name in sorted(traits):
        trait = traits[trait_name]
        name = setting_name(cls, trait_name)
        kind, default = type_name(trait), default_text(trait, as_json)
        help_text = trait.help or "(no description)"
        if markdown:
            # Markdown reads both of the help strings' backtick styles as code.
            lines += [f"```{{confval}} {name}", f":type: `{kind}`", f":default: `{default}`", ""]
            lines += help_text.splitlines()
            lines += ["```", ""]
        else:
            lines += [
                f".. confval:: {name}",
                f"   :type: ``{kind}``",
                f"   :default: ``{default}``",
            ]
            lines.append("")
            lines += [f"   {line}" if line else "" for line in rst_text(help_text).splitlines()]
            lines.append("")
    return lines


class CoiSettings(SphinxDirective):
    """``coi-settings``: the settings of one configurable class, generated from its traits."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict] = {"json": directives.flag}

    def run(self) -> list[nodes.Node]:
        try:
            cls = load(self.arguments[0])
        except (ImportError, AttributeError, ValueError) as error:
            raise self.error(f"coi-settings: cannot load {self.arguments[0]!r}: {error}") from None
        markdown = type(self.state).__module__.startswith("myst_parser")
        lines = render(cls, as_json="json" in self.options, markdown=markdown)
        if not lines:
            raise self.error(f"coi-settings: {self.arguments[0]} has no configurable trait")
        source = f"<coi-settings {self.arguments[0]}>"
        container = nodes.container(classes=["coi-settings"])
        self.state.nested_parse(
            StringList(lines, source=source), self.content_offset, container, match_titles=False
        )
        return container.children


def setup(app):
    app.add_directive("coi-settings", CoiSettings)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
