#!/usr/bin/env python3
"""Build the Lambda deployment package: the pinned dependencies plus the product's code, nothing else.

The archive is reproducible: entries in sorted order, one fixed timestamp (SOURCE_DATE_EPOCH if set, else
1980-01-01), fixed permissions, no bytecode. The same sources and lock give the same bytes.

    python deploy/build_zip.py                       # pip-installs deploy/requirements-lambda.txt for Lambda
    python deploy/build_zip.py --deps-dir site/      # use dependencies already installed in site/
"""

from __future__ import annotations

import argparse
import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: What the functions import or the in-process pytest run reads, relative to the repository root.
CODE = ("lambda_handler.py", "conftest.py", "pytest.ini", "o365cis", "plugins", "cis_tests")
LOCK = REPO / "deploy" / "requirements-lambda.txt"
#: Lambda's python3.13 runtime runs on Amazon Linux 2023 (glibc 2.34) on x86_64.
PYTHON_VERSION = "3.13"
PLATFORMS = ("manylinux_2_34_x86_64", "manylinux2014_x86_64")

_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
_SKIP_SUFFIXES = (".pyc", ".pyo")
#: Console scripts carry the build machine's interpreter path in their shebang: useless in Lambda, and not reproducible.
_SKIP_DEPENDENCY_TOPS = {"bin"}
_EPOCH_1980 = 315532800


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """SOURCE_DATE_EPOCH (as reproducible-builds.org defines it), never before the zip format's 1980 floor."""
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", _EPOCH_1980)), _EPOCH_1980)
    return time.gmtime(epoch)[:6]


def _walk(root: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith(_SKIP_SUFFIXES):
                yield Path(directory) / name


def code_files(repo: Path = REPO, entries: Iterable[str] = CODE) -> dict[str, Path]:
    """Archive name -> file, for the product's own code."""
    files: dict[str, Path] = {}
    for entry in entries:
        path = repo / entry
        if path.is_file():
            files[entry] = path
        elif path.is_dir():
            files.update({p.relative_to(repo).as_posix(): p for p in _walk(path)})
    return files


def dependency_files(site: Path) -> dict[str, Path]:
    """Archive name -> file, for an installed dependencies folder (pip --target)."""
    return {
        p.relative_to(site).as_posix(): p
        for p in _walk(site)
        if p.relative_to(site).parts[0] not in _SKIP_DEPENDENCY_TOPS
    }


def install_dependencies(target: Path, lock: Path = LOCK, python_version: str = PYTHON_VERSION) -> None:
    """pip-install the lock's wheels for Lambda's platform and Python into `target` (no bytecode, no resolver drift)."""
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-compile", "--no-deps",
        "--only-binary=:all:", "--implementation", "cp", "--python-version", python_version,
        *[arg for platform in PLATFORMS for arg in ("--platform", platform)],
        "--target", str(target), "-r", str(lock),
    ]  # fmt: skip
    subprocess.run(command, check=True)


def write_archive(output: Path, files: dict[str, Path]) -> None:
    """A zip with sorted entries, one timestamp, 0644/0755 modes and maximum deflate."""
    stamp = zip_timestamp()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            source = files[name]
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that external_attr holds the mode on every build machine
            executable = source.stat().st_mode & stat.S_IXUSR
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    partial.replace(output)


def build(output: Path, deps_dir: Path | None = None, *, repo: Path = REPO, lock: Path = LOCK) -> dict[str, Path]:
    """Build the package; returns the archive's contents (name -> source file)."""
    with tempfile.TemporaryDirectory(prefix="o365cis-lambda-") as scratch:
        site = deps_dir
        if site is None:
            site = Path(scratch) / "site"
            install_dependencies(site, lock)
        files = dependency_files(site)
        code = code_files(repo)
        clashes = sorted(set(files) & set(code))
        if clashes:
            raise SystemExit(f"a dependency ships files the product also has: {', '.join(clashes[:5])}")
        files.update(code)
        write_archive(output, files)
    return files


def main(argv: list[str] | None = None) -> int:
    """Command line: build, then print the archive's path, size, entry count and SHA-256."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "build" / "o365cis-lambda.zip", help="archive to write")
    parser.add_argument("--deps-dir", type=Path, help="use dependencies already installed here instead of pip")
    parser.add_argument("--lock", type=Path, default=LOCK, help="pinned requirements to install")
    args = parser.parse_args(argv)
    files = build(args.output, args.deps_dir, lock=args.lock)
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    print(f"{args.output}  {args.output.stat().st_size} bytes  {len(files)} files  sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
