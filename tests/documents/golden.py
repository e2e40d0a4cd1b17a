"""The golden minutes: a fixed small round rendered with a fixed clock, in a fresh process.

    python -m tests.documents.golden OUT_DIR            render; print the PDF's SHA-256
    python -m tests.documents.golden --update           rewrite golden/minutes.json

The PDF embeds subsets of the shipped fonts, cut by HarfBuzz (through WeasyPrint and pydyf), so
its bytes depend on those libraries' versions: golden/minutes.json records the versions the
committed SHA-256 was made with, and the test compares against it only on the same versions.
On any versions, the test checks that a fresh process renders exactly the bytes the test
process renders.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import sys
import tempfile
from pathlib import Path

GOLDEN_FILE = Path(__file__).parent / "golden" / "minutes.json"


def environment() -> dict[str, str]:
    import fontTools
    import pydyf
    import weasyprint
    from weasyprint.text.ffi import pango

    harfbuzz = "unknown"
    library = ctypes.util.find_library("harfbuzz")
    if library:
        function = ctypes.CDLL(library).hb_version_string
        function.restype = ctypes.c_char_p
        harfbuzz = function().decode()
    return {"weasyprint": weasyprint.__version__, "pydyf": pydyf.__version__,
            "fonttools": fontTools.version, "pango": str(pango.pango_version()),
            "harfbuzz": harfbuzz}


def render_golden() -> bytes:
    """In an app context with an empty, migrated database."""
    from evalapp.ballots.documents import DocumentKind
    from evalapp.documents.services import plan_document
    from tests.documents.helpers import GOLDEN_STAMP, build_round

    built = build_round(serial=900, summoned=6, present=5,
                        governing_body_name="Đảng bộ tỉnh Hòa Bình", locality="Hòa Bình",
                        ballots_cast=[
        ["low", "high", "high"], ["low", "confidence", "high"], ["low", "low", "high"],
        ["confidence", "low", "high"], ["high", "high", "high"]])
    return plan_document(built.round, DocumentKind.MINUTES).render(GOLDEN_STAMP).pdf


def _fresh_app(directory: Path):
    from flask_migrate import upgrade

    from evalapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "golden",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'golden.sqlite3'}",
                      "INSTANCE_PATH": str(directory / "instance"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
    return app


def main(argv: list[str]) -> int:
    import logging

    logging.disable(logging.WARNING)  # alembic's progress lines would mix with the output
    update = argv[:1] == ["--update"]
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) if update or not argv else Path(argv[0])
        directory.mkdir(parents=True, exist_ok=True)
        app = _fresh_app(directory)
        with app.app_context():
            pdf = render_golden()
        digest = hashlib.sha256(pdf).hexdigest()
        (directory / "minutes.pdf").write_bytes(pdf)
        if update:
            GOLDEN_FILE.write_text(json.dumps({"sha256": digest, "environment": environment()},
                                              indent=2, sort_keys=True) + "\n")
        print(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
