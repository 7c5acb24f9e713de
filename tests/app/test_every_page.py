"""Every page for every role: it renders its title without errors, or refuses the role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import PAGES
from streamlit.testing.v1 import AppTest

from cloudoptima.auth import allowed

# What each page needs beyond viewing (the navigation and the page both check it).
NEEDS = {"ask": "analyse", "reports": "analyse", "data": "admin", "settings": "admin"}


@pytest.mark.parametrize("role", ["admin", "analyst", "viewer"])
def test_every_page_as_every_role(app_as: Callable[..., AppTest], role: str) -> None:
    at = app_as(role)
    for page in PAGES:
        if not allowed(role, NEEDS.get(page, "view")):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app_as(role).switch_page(f"pages/{page}.py")  # a fresh session: not in its menu
            continue
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (role, page, at.exception)
        assert not at.error, (role, page, [e.value for e in at.error])
        assert at.title, (role, page)
