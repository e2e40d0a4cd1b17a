from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from evalapp.auth import home as _home  # noqa: F401  (registers its home sections)
from evalapp.auth import remember, services, throttle
from evalapp.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
)
from evalapp.auth.models import ROLE_LABELS, Role
from evalapp.auth.permissions import can, can_manage_accounts
from evalapp.core.errors import DomainError, ValidationFailed
from evalapp.core.forms import attach_error
from evalapp.core.web import back_to_list, flash_change, is_safe_next, page_of, sort_of
from evalapp.extensions import db, limiter, login_manager
from evalapp.org.services import find_person_by_code, unit_tree

bp = Blueprint("auth", __name__)

# The permission vocabulary, for every template: {% if can(current_user, "ballots.manage", round) %}
bp.add_app_template_global(can, "can")


@bp.record_once
def _init_login(_state) -> None:
    """Flask-Login asks this area who is logged in and where to log in."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    login_manager.user_loader(services.load_session_user)
    login_manager.request_loader(remember.load_remembered_user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.account_limit, key_func=throttle.account_key, methods=["POST"],
               deduct_when=throttle.failed, on_breach=throttle.refuse_for_account)
@limiter.limit(throttle.client_limit, key_func=throttle.client_key, methods=["POST"],
               deduct_when=throttle.failed, exempt_when=throttle.client_exempt,
               on_breach=throttle.refuse_for_client)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm(username=request.args.get("u", "")[:80] or None)
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            # A new CSRF token for the new session: one read before the login is worth nothing.
            session.pop("csrf_token", None)
            g.pop("csrf_token", None)
            login_user(user)
            db.session.commit()
            target = request.args.get("next")
            response = redirect(target if is_safe_next(target) else url_for("core.home"))
            throttle.remember_device(response, form.username.data)
            if form.remember.data:
                remember.issue(response, user)
            return response
        form.password.errors.append(_("The username or password is not correct."))
        return render_template("auth/login.html", form=form), throttle.FAILED_STATUS
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    services.logout(current_user)
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    response = redirect(url_for("auth.login"))
    remember.forget(response)
    return response


def _render_account(password_form=None, token_form=None, new_token=None, status=200):
    return render_template(
        "auth/account.html",
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        token_form=token_form or ApiTokenForm(prefix="tk"),
        tokens=services.list_tokens(current_user),
        new_token=new_token,
    ), status


@bp.get("/account")
@login_required
def account():
    return _render_account()


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if not form.validate_on_submit():
        return _render_account(password_form=form, status=422)
    try:
        services.change_password(current_user, form.current_password.data,
                                 form.new_password.data)
    except DomainError as error:
        attach_error(form, error)
        return _render_account(password_form=form, status=error.status)
    db.session.commit()
    # The session id carries the password version: renew this session, others end.
    login_user(current_user._get_current_object())
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@login_required
def create_token():
    form = ApiTokenForm(prefix="tk")
    if not form.validate_on_submit():
        return _render_account(token_form=form, status=422)
    _token, plain = services.create_api_token(current_user, form.name.data, form.days.data)
    db.session.commit()
    return _render_account(new_token=plain)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = services.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(_("The token “%(name)s” has been revoked; programs using it can no longer connect.",
            name=token.name), "success")
    return redirect(url_for("auth.account"))


# ---------------------------------------------------------------- account management


def _require_account_admin() -> None:
    if not can_manage_accounts(current_user):
        abort(403)


USERS_PAGE_SIZE = 50


def _user_filters() -> dict:
    role = request.args.get("role", "")
    status = request.args.get("status", "all")
    sort, descending = sort_of(services.USER_SORTS, "name")
    return {"search": request.args.get("q", "")[:200],
            "role": Role(role) if role in {r.value for r in Role} else None,
            "status": status if status in ("active", "inactive", "all") else "all",
            "sort": sort, "descending": descending}


def _users_page(status: int = 200, problem: str | None = None):
    filters = _user_filters()
    found = services.list_users(**filters)
    page = page_of(len(found), USERS_PAGE_SIZE)
    return render_template("auth/users.html", users=found[page.offset:page.offset + page.size],
                           total=page.total, page=page.number, pages=page.pages,
                           filters=filters, roles=ROLE_LABELS, problem=problem), status


@bp.get("/users")
@login_required
def users():
    _require_account_admin()
    return _users_page()


def _user_form_page(form, user=None, status=200, reset_form=None):
    return render_template("auth/user_form.html", form=form, user=user,
                           reset_form=reset_form or ResetPasswordForm(prefix="reset")), status


def _refused(form, error: DomainError) -> None:
    """Show the error on the form; a refusal for a voter who is voting now is itself recorded
    (services.VoterAccountLocked), so that record is kept: it is the only thing written."""
    attach_error(form, error)
    if isinstance(error, services.VoterAccountLocked):
        db.session.commit()


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    _require_account_admin()
    form = UserForm()
    form.set_choices(unit_tree())
    if not form.validate_on_submit():
        return _user_form_page(form, status=422 if form.errors else 200)
    try:
        user = services.create_user(
            current_user, username=form.username.data, full_name=form.full_name.data,
            password=form.password.data or "", grants=form.grant_specs(),
            person=find_person_by_code(form.staff_code.data))
    except DomainError as error:
        _refused(form, error)
        return _user_form_page(form, status=error.status)
    db.session.commit()
    flash(_("The account %(name)s has been created.", name=user.username), "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    _require_account_admin()
    user = services.get_user(user_id)
    form = UserForm(data=None if request.method == "POST" else UserForm.data_of(user))
    form.set_choices(unit_tree())
    if not form.validate_on_submit():
        return _user_form_page(form, user, status=422 if form.errors else 200)
    try:
        services.update_user(current_user, user, full_name=form.full_name.data,
                             grants=form.grant_specs(),
                             person=find_person_by_code(form.staff_code.data))
    except DomainError as error:
        _refused(form, error)
        return _user_form_page(form, user, status=error.status)
    db.session.commit()
    flash(_("The account has been saved."), "success")
    return redirect(url_for("auth.users"))


@bp.post("/users/<int:user_id>/active")
@login_required
def set_user_active(user_id: int):
    _require_account_admin()
    user = services.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_user_active(current_user, user, active)
    except ValidationFailed as error:  # one's own account: said on the list, not an error page
        return _users_page(error.status, error.text())
    db.session.commit()
    name = f"{user.full_name} ({user.username})"
    flash_change(_("The account %(name)s is active again.", name=name) if active else
                 _("The account %(name)s has been deactivated; it can no longer log in.",
                   name=name),
                 undo_url=url_for("auth.set_user_active", user_id=user.id),
                 undo_fields={"active": "0" if active else "1"})
    return back_to_list(url_for("auth.users"))


@bp.post("/users/<int:user_id>/password")
@login_required
def reset_user_password(user_id: int):
    _require_account_admin()
    user = services.get_user(user_id)
    form = ResetPasswordForm(prefix="reset")
    if not form.validate_on_submit():
        abort(422)
    try:
        services.reset_password(current_user, user, form.new_password.data)
    except DomainError as error:
        _refused(form, error)
        user_form = UserForm(data=UserForm.data_of(user))
        user_form.set_choices(unit_tree())
        return _user_form_page(user_form, user, status=error.status, reset_form=form)
    db.session.commit()
    flash(_("The password of %(name)s has been set.", name=user.username), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))
