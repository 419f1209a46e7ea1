"""Host config files made from the policy, as written into a site folder without one of its own:
one file per host, every header of the policy in it with the policy module's names and values,
each format exactly as its host reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_coi import hosts
from jupyter_coi.policy import EMBEDDER, OPENER, RESOURCE, Policy
from support.host_files import new_host_file

ALL_HOSTS = ["netlify", "apache", "nginx", "vercel", "firebase"]
OTHER = Policy(embedder="credentialless", resource="cross-origin")


def test_host_files():
    assert hosts.HOST_FILES == {
        "netlify": "_headers",
        "vercel": "vercel.json",
        "apache": ".htaccess",
        "nginx": "nginx-coi.conf",
        "firebase": "firebase.json",
    }


def test_header_names_and_values_come_from_the_policy_module():
    modules = sorted(Path(hosts.__file__).parent.glob("*.py"))
    assert len(modules) >= 4
    for module in modules:
        source = module.read_text()
        assert "Cross-Origin" not in source, module
        for values in ("same-origin", "require-corp", "credentialless"):
            assert f'"{values}"' not in source, module


@pytest.mark.parametrize("policy", [Policy(), OTHER], ids=["default", "other"])
@pytest.mark.parametrize("host", ALL_HOSTS)
def test_a_new_file_sets_every_header_of_the_policy(host, policy):
    text = new_host_file(host, policy)
    for name, value in policy:
        assert name in text and value in text
    assert text.endswith("\n")


def test_new_line_format_files_exactly():
    assert new_host_file("netlify", Policy()).splitlines()[-5:] == [
        "/*",
        f"  {OPENER}: same-origin",
        f"  {EMBEDDER}: require-corp",
        f"  {RESOURCE}: same-origin",
        "# END jupyter-coi",
    ]
    apache = new_host_file("apache", Policy()).splitlines()
    assert apache[0] == "# BEGIN jupyter-coi"
    assert apache[-6:] == [
        "<IfModule mod_headers.c>",
        f'  Header always set {OPENER} "same-origin"',
        f'  Header always set {EMBEDDER} "require-corp"',
        f'  Header always set {RESOURCE} "same-origin"',
        "</IfModule>",
        "# END jupyter-coi",
    ]
    nginx = new_host_file("nginx", Policy())
    assert f'add_header {EMBEDDER} "require-corp" always;\n' in nginx
    comments = [line for line in nginx.splitlines() if line.startswith("#")]
    assert any("include /path/to/nginx-coi.conf;" in line for line in comments)
    assert any("add_header of their own" in line for line in comments)


def test_new_json_format_files_exactly():
    entries = [{"key": name, "value": value} for name, value in Policy()]
    assert json.loads(new_host_file("vercel", Policy())) == {
        "headers": [{"source": "/(.*)", "headers": entries}]
    }
    firebase = json.loads(new_host_file("firebase", Policy()))["hosting"]
    assert firebase["public"] == "."
    assert "firebase.json" in firebase["ignore"]
    assert firebase["headers"] == [{"source": "**", "headers": entries}]


def test_unknown_host_names_the_hosts(tmp_path):
    with pytest.raises(ValueError, match="unknown host 'gh-pages'; choose one of netlify, vercel"):
        hosts.write("gh-pages", Policy(), tmp_path)
