"""The home page gathers the sections that the areas register (evalapp.core.home)."""

from __future__ import annotations

from evalapp.auth.models import Role
from evalapp.core.home import home_section, sections_for


def test_sections_are_shown_in_order_and_only_when_they_have_something(factory, app):
    admin = factory.user("sectionadmin", roles=(Role.ADMIN,))
    voter = factory.user("sectionvoter", roles=(Role.VOTER,))
    keys_admin = [s.key for s in sections_for(admin)]
    keys_voter = [s.key for s in sections_for(voter)]
    assert keys_admin.index("auth.roles") < keys_admin.index("org.summary")
    assert "org.summary" not in keys_voter


def test_a_registered_section_appears_on_the_page(client, login_as, factory, app):
    # The roles template with no roles says that the account has none: shown only for "hello".
    home_section("test.hello", order=1, template="auth/_home_roles.html")(
        lambda user: {"roles": []} if user.username == "hello" else None)
    try:
        login_as(factory.user("hello", roles=(Role.VOTER,)))
        assert [s.key for s in sections_for(factory.user("other", roles=(Role.VOTER,)))
                ].count("test.hello") == 0
        page = client.get("/").get_data(as_text=True)
        assert "chưa được phân vai trò" in page
    finally:
        from evalapp.core import home
        home._SECTIONS.pop("test.hello")


def test_the_admin_home_counts_what_they_manage(client, login_as, factory):
    unit = factory.unit("Sở Nội vụ")
    factory.person("Trần Thị Ánh", unit=unit)
    login_as(factory.user("tochuc", roles=(Role.ADMIN,)))
    page = client.get("/").get_data(as_text=True)
    assert 'href="/org/people"' in page
