"""What gets printed never comes from a request's Host header (issue 10, fault 10).

In production the public address must be configured (the app refuses to start without it),
requests naming a host outside the trusted list are refused with 400 and change nothing, and
every issued document carries the configured address only. HSTS is sent when the request came
over TLS, directly or through a configured proxy, and never on a client's word alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evalapp import create_app
from evalapp.ballots.models import RoundStatus
from evalapp.config import ConfigError
from evalapp.documents.models import IssuedDocument
from tests.conftest import TEST_CONFIG
from tests.documents.helpers import PASSWORD, build_round
from tests.documents.pdftext import flat, pdf_text

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://bophieu.tinh.gov.vn/"
PUBLIC_HOST = "bophieu.tinh.gov.vn"
INTERNAL_HOST = "10.0.0.5:8000"  # the address a health check or the proxy itself may use


def production_app(database_url, instance_path, **extra):
    config = TEST_CONFIG | {"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": database_url,
                            "INSTANCE_PATH": instance_path, "PUBLIC_BASE_URL": PUBLIC,
                            "TRUSTED_HOSTS": ["10.0.0.5"]}
    return create_app(config | extra)


def test_production_refuses_to_start_without_a_public_base_url(tmp_path):
    """Started as gunicorn starts it (`wsgi:app`), in production, with everything else set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVALAPP_")}
    env.update(EVALAPP_ENV="production", SECRET_KEY="x" * 40,
               DATABASE_URL=f"sqlite:///{tmp_path}/evalapp.sqlite3")
    started = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "EVALAPP_PUBLIC_BASE_URL must be set when EVALAPP_ENV=production" in started.stderr

    # The same refusal from create_app, and for an address that is not one.
    with pytest.raises(ConfigError, match="EVALAPP_PUBLIC_BASE_URL must be set"):
        create_app(TEST_CONFIG | {"ENV_NAME": "production", "INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigError, match="http:// or https://"):
        create_app(TEST_CONFIG | {"ENV_NAME": "production", "INSTANCE_PATH": str(tmp_path),
                                  "PUBLIC_BASE_URL": "bophieu.tinh.gov.vn"})

    env["EVALAPP_PUBLIC_BASE_URL"] = PUBLIC
    started = subprocess.run([sys.executable, "-c", "import wsgi; print(wsgi.app.config"
                              "['PUBLIC_BASE_URL'], wsgi.app.config['TRUSTED_HOSTS'])"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == [PUBLIC, f"['{PUBLIC_HOST}']"]


def test_development_keeps_answering_any_host(tmp_path, monkeypatch):
    """`scripts/serve.sh` runs in development: no address needed, every Host answered (a
    phone on the hall's Wi-Fi opens the laptop's address)."""
    for name in ("EVALAPP_ENV", "EVALAPP_PUBLIC_BASE_URL", "EVALAPP_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    served = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert served.config["PUBLIC_BASE_URL"] is None and served.config["TRUSTED_HOSTS"] is None
    assert served.test_client().get("/login", headers={"Host": "192.168.1.20:5000"}) \
        .status_code == 200


def _documents() -> int:
    from evalapp.extensions import db

    count = db.session.scalar(select(func.count()).select_from(IssuedDocument))
    db.session.rollback()  # outside a request every transaction writes: free the lock
    return count


def test_production_refuses_other_hosts_and_prints_only_the_public_address(
        app, db, database_url):
    built = build_round(state=RoundStatus.COUNTED)
    round_id = built.round.id
    username = built.users["head"].username
    db.session.commit()
    served = production_app(database_url, app.instance_path)
    client = served.test_client()

    # Another Host: 400 before anything runs, on every page, logged in or not.
    evil = {"Host": "evil.example"}
    refused = client.post("/login", data={"username": username, "password": PASSWORD},
                          headers=evil, base_url=PUBLIC)
    assert refused.status_code == 400
    assert "Máy chủ không phục vụ địa chỉ vừa dùng" in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers
    assert client.get("/", headers={"Host": "evil.example:443"}, base_url=PUBLIC) \
        .status_code == 400

    # An officer logged in through the public address (secure cookies: over https), whose
    # request names another host: refused, nothing issued.
    logged_in = client.post("/login", data={"username": username, "password": PASSWORD},
                            base_url=PUBLIC)
    assert logged_in.status_code == 302
    assert client.get(f"/ballots/{round_id}", base_url=PUBLIC).status_code == 200
    before = _documents()
    attack = client.post(f"/ballots/{round_id}/documents/minutes", headers=evil,
                         base_url=PUBLIC)
    assert attack.status_code == 400
    assert _documents() == before

    # Through a trusted host that is not the public one: the public address is printed.
    internal = f"https://{INTERNAL_HOST}"
    assert client.post("/login", data={"username": username, "password": PASSWORD},
                       base_url=internal).status_code == 302
    issued = client.post(f"/ballots/{round_id}/documents/minutes", base_url=internal)
    assert issued.status_code == 302
    assert issued.headers["Location"].startswith("/documents/")
    assert _documents() == before + 1
    doc_id = issued.headers["Location"].rsplit("/", 1)[1].removesuffix(".pdf")
    text = flat(pdf_text(db.session.get(IssuedDocument, doc_id).pdf))
    assert f"{PUBLIC}documents/verify/{doc_id}" in text
    assert "10.0.0.5" not in text and "evil.example" not in text and "localhost" not in text


def test_the_engine_prints_the_configured_address_whatever_a_caller_passes(app, db):
    """Defence in depth: even a caller that hands the engine a request's address cannot get it
    printed while a public address is configured."""
    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots.documents import DocumentKind, issue_document

    built = build_round(state=RoundStatus.COUNTED)
    saved = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    try:
        document = issue_document(SYSTEM, built.round, DocumentKind.MINUTES,
                                  base_url="http://evil.example/")
    finally:
        app.config["PUBLIC_BASE_URL"] = saved
    text = flat(pdf_text(document.pdf))
    assert f"{PUBLIC}documents/verify/{document.id}" in text and "evil.example" not in text


HSTS = "Strict-Transport-Security"


@pytest.mark.parametrize(("proxies", "how", "expected"), [
    (1, {"headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}}, True),
    (1, {"headers": {"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.7"}}, False),
    (1, {}, False),
    # Without a configured proxy the header is a client's word: ignored.
    (0, {"headers": {"X-Forwarded-Proto": "https"}}, False),
    (0, {}, False),
    # TLS ending at the app itself (gunicorn --certfile).
    (0, {"base_url": f"https://{PUBLIC_HOST}"}, True),
], ids=["proxy-https", "proxy-http", "proxy-no-header", "no-proxy-spoofed", "no-proxy-http",
        "direct-tls"])
def test_hsts_only_when_the_request_came_over_tls(app, database_url, proxies, how, expected):
    served = production_app(database_url, app.instance_path, TRUSTED_PROXIES=proxies)
    how = {"base_url": f"http://{PUBLIC_HOST}"} | how
    response = served.test_client().get("/login", **how)
    assert response.status_code == 200
    if expected:
        assert response.headers[HSTS] == "max-age=31536000; includeSubDomains"
    else:
        assert HSTS not in response.headers
