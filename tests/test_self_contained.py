"""The repository is self-contained: no code, script, configuration or data reads or cites a folder
beside the clone (the research notes once lived in a sibling ``shared`` folder), and every reference
note or table the code cites is in the repository (``docs/standards/``, ``tests/data/``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Files that run or configure something, and the package data (its ``source`` columns are cited to
# users). Markdown prose is left out: it may tell the project's history.
_CHECKED_SUFFIXES = {".py", ".sh", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".json", ".csv", ".txt"}
_CHECKED_NAMES = {"Makefile", "Dockerfile", "run"}
_SKIPPED_PARTS = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", ".geo_risk"}

# The sibling folder's name, built from pieces so that this file does not match itself. Caught: the
# folder reached upwards from the clone, its ``domain`` subfolder, its absolute path on the build
# machine, and a path join onto it (``parent / "<name>"``).
_SHARED = "sha" + "red"
_OUTSIDE = re.compile(
    r"\.\./" + _SHARED
    + r"|" + _SHARED + r"/domain"
    + r"|/work/" + _SHARED
    + r"|/\s*[\"']" + _SHARED + r"[\"']"
)
_NOTE_CITATION = re.compile(r"docs/standards/([\w.-]+\.md)(?: §(\d+(?:\.\d+)*))?")
_DATA_CITATION = re.compile(r"tests/data/[\w/.-]+\.(?:csv|md)")


def _repository_files() -> list[Path]:
    """Tracked files and new files not ignored (so a check fails before the commit, not after)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, capture_output=True, check=True,
        ).stdout.decode("utf-8")
        names = [n for n in out.split("\0") if n]
        files = [REPO / n for n in names]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        files = [p for p in REPO.rglob("*") if p.is_file()]
    return [
        p for p in files
        if p.is_file() and not _SKIPPED_PARTS.intersection(p.relative_to(REPO).parts)
        and (p.suffix in _CHECKED_SUFFIXES or p.name in _CHECKED_NAMES)
    ]


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def test_the_file_list_covers_code_scripts_and_data() -> None:
    names = {p.relative_to(REPO).as_posix() for p in _repository_files()}
    assert {"Makefile", "pyproject.toml", "tests/conftest.py", "geo_risk/standards/gbt37243.py",
            "geo_risk/standards/data/design_code_distances.csv", ".ci/run"} <= names


def test_the_pattern_catches_every_form_of_the_sibling_folder() -> None:
    sibling = "sha" + "red"
    for text in (f"../{sibling}/domain/x.csv", f"{sibling}/domain/gb18218-2018.md", f"/work/{sibling}/STYLE.md",
                 f'REPO.parent / "{sibling}"', f"parents[2].parent / '{sibling}' / 'domain'"):
        assert _OUTSIDE.search(text), text
    assert not _OUTSIDE.search('conf["shared_buffers"] = "256MB"')


def test_nothing_reads_or_cites_a_folder_outside_the_repository() -> None:
    hits = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}"
        for path in _repository_files()
        for number, line in enumerate(_text(path).splitlines(), start=1)
        if _OUTSIDE.search(line)
    ]
    assert not hits, (
        "these lines read or cite the folder beside the clone; use the repository's own copies "
        "(docs/standards/ for the notes, tests/data/ for reference tables):\n" + "\n".join(hits)
    )


def test_every_cited_note_section_and_reference_table_is_in_the_repository() -> None:
    headings: dict[str, list[str]] = {}
    missing = []
    for path in _repository_files():
        text = _text(path)
        for m in _NOTE_CITATION.finditer(text):
            note = REPO / "docs" / "standards" / m.group(1)
            if not note.is_file():
                missing.append(f"{path.relative_to(REPO)} cites {m.group(0)}: no such note")
                continue
            if m.group(2):
                lines = headings.setdefault(m.group(1), [
                    line for line in note.read_text(encoding="utf-8").splitlines() if line.startswith("#")])
                section = re.compile(r"^#+ " + re.escape(m.group(2)) + r"[. ]")
                if not any(section.match(line) for line in lines):
                    missing.append(f"{path.relative_to(REPO)} cites {m.group(0)}: no such section")
        for m in _DATA_CITATION.finditer(text):
            if not (REPO / m.group(0)).is_file():
                missing.append(f"{path.relative_to(REPO)} cites {m.group(0)}: no such file")
    assert not missing, "\n".join(sorted(set(missing)))
