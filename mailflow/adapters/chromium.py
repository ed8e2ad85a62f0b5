"""HTML to PDF through headless Chromium's print (the same print as the minutes PDF test)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from mailflow.services.ports import PrintFailure

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
)  # fmt: skip


def binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """The minutes' printer (the port `services.ports.PdfPrinter`)."""

    def available(self) -> bool:
        return binary() is not None

    def print_pdf(self, html: str) -> bytes:
        try:
            return print_pdf(html)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintFailure(f"chromium: {type(exc).__name__}: {exc}") from None


def print_pdf(html: str, timeout: float = 120.0) -> bytes:
    """The PDF Chromium prints of ``html``; PrintFailure when it cannot."""
    exe = binary()
    if exe is None:
        raise PrintFailure("chromium is not installed (Debian package: chromium)")
    with tempfile.TemporaryDirectory(prefix="mailflow-pdf-") as tmp:
        page, pdf = Path(tmp) / "minutes.html", Path(tmp) / "minutes.pdf"
        page.write_text(html, encoding="utf-8")
        done = subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={pdf}",
             page.as_uri()],
            capture_output=True, timeout=timeout, check=False,
        )  # fmt: skip
        if not pdf.is_file():
            raise PrintFailure(f"chromium printed no PDF (exit status {done.returncode})")
        return pdf.read_bytes()
