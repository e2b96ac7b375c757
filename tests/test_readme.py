"""The README's commands stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _shell_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)]


def test_ci_runs_exactly_the_readme_test_command():
    install_and_build, install_and_test = _shell_blocks((ROOT / "README.md").read_text())[:2]
    assert "build-deck" in install_and_build and "pytest" in install_and_test
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install_and_test in ci_lines


def test_ci_deselects_no_test_the_old_anki_engines_included():
    """The engine tests (old Anki versions, each in a venv of its own) run in CI: neither the
    README's test command nor pytest's configured options pick tests by marker or keyword."""
    install_and_test = _shell_blocks((ROOT / "README.md").read_text())[1]
    addopts = re.search(r'^addopts = "(.*)"$', (ROOT / "pyproject.toml").read_text(),
                        re.MULTILINE)
    assert addopts is not None
    for options in (install_and_test.split("pytest", 1)[1], addopts.group(1)):
        assert not re.search(r"(^|\s)(-m|-k|--deselect|--ignore)\b", options), options


def test_readme_build_command_installs_the_console_script():
    install_and_build = _shell_blocks((ROOT / "README.md").read_text())[0]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'build-deck = "deckbuilder.cli:main"' in pyproject
    assert install_and_build.endswith(".venv/bin/build-deck")


def test_readme_commands_work_as_typed_without_an_active_venv():
    """A new user types them straight after the install command: no `build-deck` on PATH."""
    readme = (ROOT / "README.md").read_text()
    typed = re.findall(r"^\$ (.*)$", readme, re.MULTILINE)
    assert len(typed) >= 5
    assert [line for line in typed if not line.startswith(".venv/bin/build-deck")] == []


def _commands():
    from deckbuilder.cli import cli

    return sorted(cli.commands.items())


@pytest.mark.parametrize("name,command", _commands())
def test_every_command_and_option_is_in_the_readme(name, command):
    """As sqlite-utils' test_docs: a command or option the README never names is never found."""
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"build-deck {name}\b", readme), f"README never shows `build-deck {name}`"
    missing = [opt for param in command.params for opt in param.opts
               if opt.startswith("--") and opt != "--help" and not re.search(
                   rf"(?<![\w-]){re.escape(opt)}(?![\w-])", readme)]
    assert not missing, f"README never mentions {name}'s options {missing}"
