"""`provider-conformance docs`: the guides and examples, wherever the package was installed.

The README and the failure messages send users to docs/guide-native.md and tell them to copy
docs/examples/native_minimal.py; from a wheel those paths were nowhere (docs/ was not packaged,
and a relative link is dead on a package index page). The wheel now carries docs/ and this
command lists the files with their paths, or prints one, so `provider-conformance docs
examples/native_minimal.py > my_provider.py` works from an empty directory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.vocabulary.data_files import docs_dir
from conformance.vocabulary.errors import UsageError

#: Files worth listing: the guides, and the examples they tell users to copy.
_SHOWN_SUFFIXES = (".md", ".py", ".json", ".yml", ".yaml")


def add_docs_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    docs = commands.add_parser(
        "docs",
        help="list the installed guides and examples, or print one",
        description="Without NAME, list the guides and examples installed with the package, "
        "each with its path and title. With NAME (a file, with or without .md: guide-native, "
        "contract, examples/native_minimal.py), print it; redirect to copy an example. "
        "A '#section' after NAME is ignored, so a link from a failure message can be pasted.",
    )
    docs.add_argument("name", nargs="?", metavar="NAME")
    docs.add_argument("--path", action="store_true", help="print the file's path, not its text")


def doc_files() -> list[Path]:
    root = docs_dir()
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SHOWN_SUFFIXES)


def find_doc(name: str) -> Path:
    """The file NAME means: `guide-native`, `docs/contract.md#st-3`, `examples/x.py`."""
    root = docs_dir()
    wanted = name.split("#", 1)[0].strip().removeprefix("docs/")
    for candidate in (wanted, f"{wanted}.md"):
        path = (root / candidate).resolve()
        if path.is_file() and path.is_relative_to(root.resolve()):
            return path
    names = ", ".join(_name(p) for p in doc_files() if p.suffix == ".md" and p.parent == root)
    raise UsageError(
        f"docs: no file {name!r} among the installed docs ({root}); the guides are: {names}. "
        "Run `provider-conformance docs` for every file."
    )


def _name(path: Path) -> str:
    relative = path.relative_to(docs_dir()).as_posix()
    return relative.removesuffix(".md") if path.suffix == ".md" else relative


def _title(path: Path) -> str:
    if path.suffix != ".md":
        return ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def docs_command(args: argparse.Namespace) -> int:
    if args.name:
        path = find_doc(args.name)
        if args.path:
            print(path)
        else:
            sys.stdout.write(path.read_text(encoding="utf-8"))
        return 0
    root = docs_dir()
    print(f"installed in {root}")
    files = doc_files()
    width = max((len(_name(p)) for p in files), default=0)
    for path in files:
        title = _title(path)
        print(f"  {_name(path):<{width}}  {title}".rstrip())
    print(
        "print one: provider-conformance docs NAME (e.g. guide-native); copy an example: "
        "provider-conformance docs examples/native_minimal.py > my_provider.py"
    )
    return 0
