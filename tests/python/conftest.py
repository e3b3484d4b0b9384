"""Shared fixtures of the Python package's tests (run by scripts/python.sh,
part of `make test`): the repository root and the atscale CLI the package
is compared against."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def root() -> pathlib.Path:
    return ROOT


def _cli_path() -> str:
    path = os.path.abspath(os.environ.get("ATSCALE_BIN", ""))
    if not os.environ.get("ATSCALE_BIN") or not os.path.isfile(path):
        pytest.fail(
            "ATSCALE_BIN must name the atscale binary the package is compared with "
            "(scripts/python.sh sets it to target/debug/atscale)",
            pytrace=False,
        )
    return path


class Cli:
    """Runs the atscale command line from the repository root."""

    def __init__(self, path: str):
        self.path = path

    def run(self, *args, check=True, cwd=ROOT) -> subprocess.CompletedProcess:
        out = subprocess.run([self.path, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
        if check and out.returncode != 0:
            raise AssertionError(f"atscale {' '.join(map(str, args))} failed ({out.returncode}):\n{out.stderr}")
        return out

    def json(self, *args) -> dict:
        return json.loads(self.run(*args, "--json").stdout)

    def error(self, *args, cwd=ROOT) -> str:
        """The message after `error: ` of a refused command (exit 2)."""
        return self.message(self.run(*args, check=False, cwd=cwd))

    @staticmethod
    def message(out: subprocess.CompletedProcess) -> str:
        """The message after `error: ` of a command that exited with 2."""
        assert out.returncode == 2, f"expected exit 2, got {out.returncode}:\n{out.stderr}"
        lines = [l for l in out.stderr.splitlines() if l.startswith("error: ")]
        assert lines, out.stderr
        start = out.stderr.index(lines[0]) + len("error: ")
        return out.stderr[start:].rstrip("\n")


@pytest.fixture
def cli() -> Cli:
    return Cli(_cli_path())
