"""Ending a session on one instance closes its live pages on another (two instances, one Redis)."""

from __future__ import annotations

import pytest
from heavy.data.db_connection import Database
from heavy.testing.cluster import Cluster
from heavy.testing.cookie_browser import CookieBrowser

from heavy_stack_testing.brython import wait_for_navigation

from tests.server.test_accounts import new_email, sign_in, sign_up

pytestmark = [pytest.mark.server, pytest.mark.scale]

# The page's watch looks every 2 s: well within this.
LEAVES_WITHIN_SECONDS = 15.0


async def test_ending_a_session_on_one_instance_sends_its_page_on_the_other_to_sign_in(
    database: Database,  # paved before the instances start
    two_instances: Cluster,
) -> None:
    first, second = (instance.base_url for instance in two_instances.instances)
    email = new_email()
    here = CookieBrowser(first)
    assert here.get(await sign_up(here, email)).status == 303
    elsewhere = CookieBrowser(second)
    assert elsewhere.get(await sign_in(elsewhere, email)).status == 303

    async with elsewhere.open_page("/notes") as open_elsewhere:
        await open_elsewhere.wait_for_text("signed-in-as", "Signed in as Ada")
        async with here.open_page("/account/sessions") as sessions:
            await sessions.wait_for_element("end-other-sessions")
            await sessions.click("end-other-sessions")
            await sessions.wait_for_text("sessions-message", "Ended 1 session.")
        # Nothing more is done on that page: it is told, and goes.
        assert await wait_for_navigation(open_elsewhere, LEAVES_WITHIN_SECONDS) == "/sign-in?ended=1"

    async with here.open_page("/notes") as still_here:  # the browser that ended it stays signed in
        await still_here.wait_for_text("signed-in-as", "Signed in as Ada")
