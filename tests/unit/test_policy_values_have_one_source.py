"""Every header name and value has one source, ``jupyter_coi/policy.py``: no other module of the
package, the labextension or the service worker writes one as a literal of its own. (Messages
may name values inside longer text; a string that *is* a value or a name is a copy.)"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from jupyter_coi import policy

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "jupyter_coi"

VALUES = {
    v
    for values in (*policy.ALLOWED.values(), policy.DOCUMENT_ISOLATION_VALUES)
    for v in values
    if v != "none"  # Document-Isolation-Policy's `none` is too common a word to tell apart
}
NAMES = {
    *policy.HEADERS.values(),
    *policy.REPORT_ONLY.values(),
    policy.REPORTING_ENDPOINTS,
    policy.DOCUMENT_ISOLATION,
}
WATCHED = {s.lower() for s in VALUES | NAMES}

# Strings that equal a header value but are something else, each with why.
NOT_HEADER_VALUES = [
    # fetch()'s credentials mode, spelled like COOP's value.
    re.compile(r"credentials:\s*'same-origin'"),
    # The stable id of the dialog's credentialless reason, which tests and users refer to.
    re.compile(r"id:\s*'credentialless'"),
]

JS_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`([^`$\\]*)`""")


def python_literals(path: Path):
    source = path.read_text(encoding="utf-8")
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError):
            continue  # an f-string: text around values, not a value
        if isinstance(value, str):
            yield tok.start[0], tok.line, value


def script_literals(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith(("//", "*", "/*")):
            continue
        for match in JS_STRING.finditer(line):
            value = next(g for g in match.groups() if g is not None)
            yield number, line, value


def copies(files, literals):
    found = []
    for path in files:
        for number, line, value in literals(path):
            if value.lower() in WATCHED and not any(p.search(line) for p in NOT_HEADER_VALUES):
                found.append(f"{path.relative_to(ROOT)}:{number}: {value!r}")
    return found


def test_python_modules_take_header_values_from_the_policy():
    files = [p for p in sorted(PACKAGE.rglob("*.py")) if p != PACKAGE / "policy.py"]
    assert len(files) > 10
    assert copies(files, python_literals) == []


def test_labextension_and_service_worker_take_header_values_from_the_policy():
    files = sorted((ROOT / "labextension" / "src").rglob("*.ts"))
    files += sorted((PACKAGE / "lite" / "js").glob("*.js"))
    assert len(files) > 10
    assert copies(files, script_literals) == []


def test_the_scan_finds_a_copy(tmp_path):
    # The check above must be able to fail: a module with copies is caught, in both languages.
    (tmp_path / "copy.py").write_text(
        'EMBEDDER = "Cross-Origin-Embedder-Policy"\nX = "credentialless"\n'
    )
    (tmp_path / "copy.ts").write_text("const a = 'require-corp';\nconst b = `same-origin`;\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(copies([tmp_path / "copy.py"], python_literals)) == 2
        assert len(copies([tmp_path / "copy.ts"], script_literals)) == 2
    finally:
        ROOT = saved
