"""The accessibility check is not vacuous: axe-core, injected as the tests inject it, finds a
critical violation where one is."""

from tests.browser.pages import accessibility_violations


def test_an_unlabelled_input_and_an_unnamed_button_are_reported(anonymous):
    anonymous.set_content("<html lang='en'><title>t</title><main><input><button></button></main></html>")
    found = {v["id"] for v in accessibility_violations(anonymous)}
    assert {"label", "button-name"} <= found
