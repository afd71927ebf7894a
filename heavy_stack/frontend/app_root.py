"""The root component: app-wide contexts around the router."""

from __future__ import annotations

from reactpy import component
from reactpy.backend.sanic import use_request
from reactpy_router import browser_router, route

from heavy_stack.frontend.app_context import AppServices, AppServicesContext, CurrentUserContext
from heavy_stack.frontend.brython_executors import BrythonExecutorProvider
from heavy_stack.frontend.pages.landing import LandingPage
from heavy_stack.frontend.pages.other import NotFoundPage, OtherPage
from heavy_stack.frontend.timezone import TimezoneProvider
from heavy_stack.frontend.types import Component


@component
def AppRoot(services: AppServices) -> Component:
    """Every page of the app, under the services, the current user, Brython and the time zone."""
    pages = browser_router(
        route("/", LandingPage()),
        route("/other", OtherPage()),
        route("{path:any}", NotFoundPage()),
    )
    browser = BrythonExecutorProvider(TimezoneProvider(pages))
    return AppServicesContext(CurrentUserContext(browser, value=None), value=services)


@component
def ServerRoot() -> Component:
    """The root the Sanic server mounts for each websocket connection."""
    return AppRoot(use_request().app.ctx.services)
