"""setuptools hook for what pyproject.toml cannot say.

- The package index shows README.md as the project's description, where a relative link
  (``docs/validate.md``, the screenshot) leads nowhere: links are made absolute against the
  ``Repository`` URL of ``[project.urls]`` (files under ``blob/main/``, images from the raw
  file host so they render).
- setuptools' own build folder is ``.setuptools-build/``: its default, ``build/``, is this
  project's ``semicon.build`` package.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
BRANCH = "main"
#: an inline Markdown link or image whose target is relative: ``[text](target)``
_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
_ABSOLUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|#|/)")


def repository_url() -> str:
    """``[project.urls] Repository`` of pyproject.toml, without a trailing slash."""
    project = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["urls"]["Repository"]).rstrip("/")


def raw_url(repository: str, path: str) -> str:
    """Where a code host serves the file itself (for images); GitHub's raw host, else
    ``<repository>/raw/<branch>/<path>`` (GitLab, Codeberg, Gitea)."""
    github = "https://github.com/"
    if repository.startswith(github):
        return f"https://raw.githubusercontent.com/{repository.removeprefix(github)}/{BRANCH}/{path}"
    return f"{repository}/raw/{BRANCH}/{path}"


def absolute_links(markdown: str, repository: str) -> str:
    """``markdown`` with every relative link and image pointing into the repository."""

    def fix(match: re.Match[str]) -> str:
        target = match["target"]
        if _ABSOLUTE.match(target):
            return match[0]
        path = target.removeprefix("./")
        url = raw_url(repository, path) if match["bang"] else f"{repository}/blob/{BRANCH}/{path}"
        return f"{match['bang']}[{match['text']}]({url})"

    return _LINK.sub(fix, markdown)


def long_description() -> str:
    return absolute_links((HERE / "README.md").read_text(encoding="utf-8"), repository_url())


if __name__ == "__main__":  # run by the build backend; importing this file runs nothing
    from setuptools import setup

    setup(
        long_description=long_description(),
        long_description_content_type="text/markdown",
        options={"build": {"build_base": ".setuptools-build"}},
    )
