"""The one policy module: values, validation, and what isolates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_coi import policy


def test_defaults_are_the_isolating_triple():
    assert policy.Policy().headers() == {
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    assert policy.Policy().isolates


@pytest.mark.parametrize(
    "kwargs,isolates",
    [
        ({"embedder": "credentialless"}, True),
        ({"resource": "cross-origin"}, True),
        ({"opener": "same-origin-allow-popups"}, False),
        ({"embedder": "unsafe-none"}, False),
    ],
)
def test_which_policies_isolate(kwargs, isolates):
    assert policy.Policy(**kwargs).isolates is isolates


@pytest.mark.parametrize("field", ["opener", "embedder", "resource"])
def test_invalid_values_are_refused_with_the_header_and_choices(field):
    with pytest.raises(policy.PolicyError) as e:
        policy.Policy(**{field: "Same-Origin "})
    assert e.value.field == field
    assert policy.HEADERS[field] in str(e.value)
    for allowed in policy.ALLOWED[field]:
        assert repr(allowed) in str(e.value)


def test_policy_is_immutable():
    with pytest.raises(AttributeError):
        policy.Policy().opener = "unsafe-none"  # type: ignore[misc]


def test_describe_names_every_header():
    assert policy.Policy(embedder="credentialless").describe() == (
        "Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: credentialless, "
        "Cross-Origin-Resource-Policy: same-origin"
    )


def test_runs_as_a_script_without_the_package(tmp_path):
    # Build steps run it by path, before jupyter_coi is installed.
    out = tmp_path / "policy.json"
    done = subprocess.run(
        [sys.executable, policy.__file__, str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == policy.as_json()


def test_labextension_takes_the_policy_from_here():
    # Regenerate with: python -m jupyter_coi.policy labextension/src/policy.json
    generated = Path(__file__).resolve().parent.parent / "labextension" / "src" / "policy.json"
    assert generated.read_text() == policy.render_json()
