"""Signing in to the console as `tidemark local up` prints it: the form, a wrong password refused
beside its field, the operator's and the viewer's roles shown."""

import re

from playwright.sync_api import expect

from tests.browser.pages import check_screen, sign_in


def test_the_sign_in_form_refuses_a_wrong_password_beside_it(anonymous, console):
    check_screen(anonymous, "sign-in")
    anonymous.get_by_label("User name").fill("operator")
    anonymous.get_by_label("Password", exact=True).fill("not-the-password-1A!")
    anonymous.get_by_role("button", name="Sign in").click()
    password = anonymous.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("password", re.I))
    expect(anonymous.get_by_role("navigation", name="Screens")).to_have_count(0)


def test_the_operator_signs_in_and_lands_on_the_overview(anonymous, console):
    sign_in(anonymous, console, "operator")
    expect(anonymous.get_by_role("heading", level=1)).to_be_visible()
    expect(anonymous.get_by_text("operator", exact=True).first).to_be_visible()
    expect(anonymous.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_viewer_is_told_it_reads_only(viewer):
    expect(viewer.get_by_role("note")).to_contain_text("viewer")
