"""Web plumbing shared by every blueprint: locale, login loading, errors, security headers,
template helpers."""

from __future__ import annotations

import io
import json
import logging
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import IntegerConverter, RoutingException

from evalapp.core.errors import DomainError, ValidationFailed
from evalapp.core.schemas import MAX_ID, id_number, validation_failed

log = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")

ERROR_TITLES = {
    400: _l("The request is not valid"),
    401: _l("Please log in"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("This conflicts with the current state"),
    413: _l("The file is too large"),
    422: _l("The data entered is not valid"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on the server"),
}
ERROR_HINTS = {
    400: _l("Check what you entered and try again."),
    401: _l("Log in to continue."),
    403: _l("Your account does not have permission for this page or action."),
    404: _l("The address may be mistyped, or the item was removed."),
    405: _l("Go back and use the buttons on the page."),
    409: _l("Reload the page to see the current state."),
    413: _l("Upload a smaller file."),
    422: _l("Check what you entered and try again."),
    429: _l("Wait a minute before trying again."),
    500: _l("The error has been logged. Try again in a moment; nothing was saved."),
}


class IdConverter(IntegerConverter):
    """`<int:…>` in every route of the app (installed by create_app before any blueprint): a
    number beyond the database's integer range (MAX_ID) matches no route, so it is a 404 like
    any id that does not exist, never a database error."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def select_locale() -> str:
    if not has_request_context():
        return "vi"  # command-line output
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "vi"


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str | None = None, errors: list | None = None):
    title = str(ERROR_TITLES.get(status, ERROR_TITLES[500 if status >= 500 else 400]))
    text = message or str(ERROR_HINTS.get(status, ""))
    if wants_json():
        body = {"error": {"status": status, "title": title, "message": text}}
        if errors:
            body["error"]["errors"] = errors
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, message=text,
                           errors=errors or []), status


def _page_sent_from() -> str | None:
    """The page of this site that sent the current request (its path and query), when a GET
    can show it again; None otherwise (another site, no Referer, or a page that was itself the
    answer to a POST, such as a ballot's review)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    root = request.script_root
    if parts.netloc != request.host or not is_safe_next(parts.path) \
            or not parts.path.startswith(root + "/"):
        return None
    try:
        current_app.url_map.bind(request.host, script_name=root or None).match(
            parts.path[len(root):], method="GET")
    except (HTTPException, RoutingException):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _handle_domain_error(error: DomainError):
    """A refused action. Sent from a page (a button or form posted from a page of this site
    that can be shown again), the reason is shown as a message on that page (a redirect, 303):
    the person stays where they were, nothing changed, and they never meet a bare error page.
    Otherwise (JSON and the API, a GET, a request from no such page, an error listing several
    problems) an error page or body with the error's own status (403, 404, 409, 422)."""
    errors = None
    if isinstance(error, ValidationFailed) and error.errors:
        errors = [getattr(e, "__dict__", e) for e in error.errors]
    if request.method not in ("GET", "HEAD") and not wants_json() and errors is None:
        back = _page_sent_from()
        if back is not None:
            flash(error.text(), "danger")
            return redirect(back, 303)
    return error_response(error.status, error.text(), errors)


def _handle_schema_error(error: ValidationError):
    """A service's schema refused a value that no form or API body checked first: the same
    answer as any refusal (422, the field named, the value never quoted)."""
    return _handle_domain_error(validation_failed(None, error))


def _handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.response is not None:  # a page made for this refusal (the login's rate limit)
        return error.response
    if error.code == 401 and not wants_json():
        return error
    return error_response(error.code)


def _handle_csrf_error(error: CSRFError):
    return error_response(400, _("The form has expired or did not come from this site. "
                                 "Reload the page and try again."))


def _handle_unexpected(error: Exception):
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def _refuse_untrusted_host():
    """A Host header outside TRUSTED_HOSTS (evalapp.config): 400 before anything else runs
    (no login, no session, no database). Flask leaves such a request without URLs, so the
    answer is plain text (or the API's JSON), never a page that links anywhere."""
    if not isinstance(request.routing_exception, SecurityError):
        return None
    message = _("This server does not answer to the address that was used. "
                "Open the organisation's official address.")
    if request.path.startswith("/api/"):
        return error_response(400, message)
    return current_app.response_class(f"{ERROR_TITLES[400]}. {message}\n", status=400,
                                      mimetype="text/plain")


MAX_JSON_DEPTH = 32  # the API's bodies nest three or four levels


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL's text cannot hold it) and no lone surrogate (not UTF-8 at all)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_problem(data: bytes) -> str | None:
    """What is wrong with a JSON body that no schema can be trusted to catch: nesting deeper
    than MAX_JSON_DEPTH (Python's parser would recurse until RecursionError), or a string (or
    key) holding NUL or a lone surrogate ("\\ud800"). A body that is not JSON at all is left to
    the endpoint (400, "send a JSON object")."""
    try:
        parsed = json.loads(data)
    except RecursionError:
        return "deep"
    except ValueError:
        return None
    stack = [(parsed, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _storable(value):
                return "text"
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return "deep"
            if isinstance(value, dict):
                if not all(_storable(key) for key in value):
                    return "text"
                value = value.values()
            stack.extend((item, depth + 1) for item in value)
    return None


def _refuse_unstorable_input():
    """Refused on entry, for every page and the API alike (400, nothing read or written): NUL
    and lone surrogates in the path, the query string, form fields, file names and JSON bodies,
    and JSON nested too deeply. Nothing further down has to cope with them (a NUL reaching
    PostgreSQL fails the request, even its error page)."""
    is_api = request.path.startswith("/api/")
    problem = None
    if is_api or request.is_json:
        # Read first and kept, so that the form parser and the endpoint see the same bytes.
        problem = _json_problem(request.get_data(cache=True))
    texts = [request.path]
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            texts += (key, value)
    texts += [f.filename or "" for f in request.files.values()]
    if problem is None and not all(_storable(text) for text in texts):
        problem = "text"
    if problem is None:
        return None
    if problem == "deep":
        return error_response(400, _("The JSON body is nested too deeply."))
    return error_response(400, _("What was sent contains characters that cannot be stored "
                                 "(a NUL character or an incomplete Unicode character). "
                                 "Remove them and try again."))


def _security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


def vn_number(value, digits: int = 0) -> str:
    """Numbers with Vietnamese separators: 1.234,56."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern)


def flash_change(text: str, *, undo_url: str | None = None, undo_fields: dict | None = None,
                 category: str = "success") -> None:
    """A flash message naming what changed, with an Undo button when the change can be
    reversed by one POST (rendered by the flash_messages macro)."""
    if undo_url:
        flash({"text": str(text), "undo": {"url": undo_url, "fields": undo_fields or {}}},
              category)
    else:
        flash(str(text), category)


def back_to_list(default: str):
    """Back to the list page the request came from (its filters and page kept), or `default`."""
    target = request.referrer
    if target and target.startswith(request.host_url):
        return redirect(target)
    return redirect(default)


@dataclass(frozen=True)
class Page:
    number: int
    pages: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_of(total: int, size: int) -> Page:
    """The page asked for in ?page=, within range."""
    pages = max(1, math.ceil(total / size))
    number = min(max(1, request.args.get("page", 1, type=id_number)), pages)
    return Page(number, pages, size, total)


def sort_of(allowed, default: str) -> tuple[str, bool]:
    """(?sort= if allowed else default, ?dir=desc)."""
    sort = request.args.get("sort", default)
    return (sort if sort in allowed else default), request.args.get("dir") == "desc"


def public_base_url() -> str:
    """The address people are told to open: PUBLIC_BASE_URL (required in production, where a
    request's Host header is never trusted with what gets printed; evalapp.config), else, in
    development, the address this request came to. Ends with a slash."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/") + "/"


def public_url(endpoint: str, **values) -> str:
    """url_for() on the public address, for printed slips and QR codes."""
    return public_base_url() + url_for(endpoint, **values).lstrip("/")


def qr_svg(text: str, css_class: str = "qr-code") -> Markup:
    """A QR code as inline SVG (nothing to fetch; sized by CSS)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, border=2,
                                     omitsize=True, nl=False, svgclass=css_class)
    # Decorative for assistive technology: the page says in words what the code holds.
    # nosec B704 - segno writes the SVG; the encoded text is inside it as modules, not markup
    return Markup(buffer.getvalue().decode("ascii").replace(  # nosec B704
        "<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def init_app(app: Flask) -> None:
    """The ground floor's part of the app: error handlers, headers, filters and the globals that
    belong to no area (areas add theirs from their blueprints: `can`, `round_steps`, ...)."""
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(ValidationError, _handle_schema_error)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
    # First of all: before any area's before_request (login loading, transactions).
    app.before_request_funcs.setdefault(None, [])[0:0] = [_refuse_untrusted_host,
                                                          _refuse_unstorable_input]
    app.after_request(_security_headers)

    app.jinja_env.filters["date"] = lambda v: format_date(v, "dd/MM/yyyy") if v else ""
    app.jinja_env.filters["datetime"] = (
        lambda v: format_datetime(v, "dd/MM/yyyy HH:mm") if v else "")
    app.jinja_env.filters["number"] = vn_number
    app.jinja_env.globals.update(
        current_locale=select_locale,
        LANGUAGES=LANGUAGES,
        public_url=public_url,
        qr_svg=qr_svg,
    )

    @app.before_request
    def _remember_start():
        g.locale = select_locale()
