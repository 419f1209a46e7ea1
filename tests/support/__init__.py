"""What the tests share: the harness (real servers, browsers, sites) and the fixtures.

Importable as ``support`` because pytest puts tests/ on ``sys.path`` (tests/ is no package: its
conftest.py is a rootdir conftest); tests import ``from support.harness import ...``.
"""
