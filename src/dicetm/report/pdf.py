"""The HTML report printed to PDF by a headless Chromium (for auditors who want one file to file away)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from dicetm.errors import InputError, Location, Problem

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PRINT_TIMEOUT_SECONDS = 120
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
          "--run-all-compositor-stages-before-draw")


def find_chromium() -> str | None:
    """``$DICETM_CHROMIUM``, else the first Chromium or Chrome on the PATH."""
    named = os.environ.get("DICETM_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_pdf(html: str, output: Path) -> None:
    """Print ``html`` (a self-contained page) to ``output``. InputError says what to do when no Chromium is
    installed or it fails; nothing is written then."""
    where = Location(file=str(output), path="--format pdf")
    browser = find_chromium()
    if browser is None:
        raise InputError([Problem("PDF output needs Chromium (or Chrome), and none was found", where,
                                  "install it (e.g. `apt-get install chromium`) or set DICETM_CHROMIUM to its path; "
                                  "or write --format html and print that")])
    with tempfile.TemporaryDirectory(prefix="dicetm-pdf-") as folder:
        page = Path(folder) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(folder) / "report.pdf"
        try:
            done = subprocess.run([browser, *_FLAGS, f"--user-data-dir={folder}/profile",
                                   f"--print-to-pdf={target}", page.as_uri()],
                                  capture_output=True, timeout=PRINT_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise InputError([Problem(f"Chromium could not print the report: {exc}", where,
                                      "check that the browser starts: run it with --version")]) from None
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise InputError([Problem(f"Chromium could not print the report (exit {done.returncode}): {detail[0]}",
                                      where, "check that the browser starts: run it with --version")])
        from dicetm.store.atomic import write_bytes_atomic

        write_bytes_atomic(output, target.read_bytes())
