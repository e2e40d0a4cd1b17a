"""evalapp: secret confidence ballots and staff evaluation rounds for Vietnamese public bodies."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from evalapp.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))
    logging.getLogger("evalapp").setLevel(logging.INFO)
    if app.config["TRUSTED_PROXIES"]:
        # Behind N proxies, the client is the address the Nth one saw; without this every
        # user behind the TLS proxy (or a hall's Wi-Fi router) would look like one client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from evalapp.core import transactions, web

    # Before any route exists: ids beyond the database's integer range are a 404.
    app.url_map.converters["int"] = web.IdConverter
    from evalapp.core.routes import bp as core_bp
    from evalapp.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    transactions.init_app(app)
    from evalapp.box.models import include_name

    # The ballot boxes' partitions (PostgreSQL) are made by the boxes, not by the migrations.
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     include_name=include_name)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)  # the auth blueprint hands it its user loader

    from evalapp.api.routes import bp as api_bp
    from evalapp.audit.routes import bp as audit_bp
    from evalapp.auth.routes import bp as auth_bp
    from evalapp.ballots.routes import bp as ballots_bp
    from evalapp.documents.routes import bp as documents_bp
    from evalapp.evaluations.routes import bp as evaluations_bp
    from evalapp.ledger.public_ratings import bp as rating_bp
    from evalapp.ledger.routes import bp as ledger_bp
    from evalapp.org.routes import bp as org_bp

    for blueprint in (core_bp, auth_bp, org_bp, ballots_bp, evaluations_bp, ledger_bp, rating_bp,
                      documents_bp, audit_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never with cookies

    web.init_app(app)

    from evalapp.cli import register_commands

    register_commands(app)
    return app
