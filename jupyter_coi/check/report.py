"""What a check found, line by line, and its verdict; how it is printed and what it exits with."""

from __future__ import annotations

from dataclasses import dataclass, field

# A problem is one for the verdict printed below it: what keeps the target from being isolated
# (or, on an isolated one, what still goes wrong). A note is a fact that does not change it.
OK, NOT_OK, NOTE = "ok", "problem", "note"


class CheckError(Exception):
    """The target cannot be checked at all (unreachable, not a page, not a build): exit 2."""


@dataclass(frozen=True)
class Finding:
    status: str  # OK, NOT_OK or NOTE
    subject: str
    detail: str


@dataclass
class CheckReport:
    target: str
    findings: list[Finding] = field(default_factory=list)
    verdict: str = ""
    isolated: bool = False

    def add(self, ok: bool, subject: str, detail: str) -> None:
        self.findings.append(Finding(OK if ok else NOT_OK, subject, detail))

    def note(self, subject: str, detail: str) -> None:
        self.findings.append(Finding(NOTE, subject, detail))

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status == NOT_OK]

    @property
    def exit_code(self) -> int:
        return 0 if self.isolated else 1

    def render(self) -> str:
        lines = [f"jupyter coi check {self.target}"]
        lines += [f"  [{f.status}] {f.subject}: {f.detail}" for f in self.findings]
        lines.append(("ISOLATED: " if self.isolated else "NOT ISOLATED: ") + self.verdict)
        return "\n".join(lines)
