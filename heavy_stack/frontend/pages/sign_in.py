"""Sign in and sign up: the password is checked over the websocket, then the browser trades a
one-minute ticket for its session cookie over HTTP (see ``backend/accounts/http.py``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from heavy import N_, heavy_use_context, heavy_use_state, html, safe_next_path
from heavy import gettext as t
from reactpy import component, use_ref
from reactpy_router import use_search_params

from heavy_stack.backend.services.accounts.passwords import MIN_PASSWORD_LENGTH
from heavy_stack.backend.services.accounts.service import SignInResult
from heavy_stack.backend.web.accounts import sign_in_completion_url
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.brython_executors import BrythonExecutorContext, use_brython_soon
from heavy_stack.frontend.components import (
    Button,
    ButtonRow,
    CenteredColumn,
    Feedback,
    Form,
    FormMessage,
    LineInput,
    PageTitle,
    Paragraph,
    RouterLink,
    keep_in,
)
from heavy_stack.frontend.contexts import CurrentUserContext
from heavy_stack.frontend.types import Component
from heavy_stack_brython.navigate import navigate_to

NOTICES = {
    "expired": N_("That sign-in link has expired or was already used: please sign in again."),
    "signed_out": N_("You are signed out."),
    # A live page whose session ended elsewhere comes here (frontend/accounts.py, ENDED_FLAGS).
    "ended": N_("You were signed out: this session was ended from another browser."),
    "reset": N_("You were signed out: the account's password was changed. Sign in with the new one."),
    "deleted": N_("The account was deleted, with everything in it, and signed out everywhere."),
}
SIGNING_IN = N_("Signing you in…")


@component
def SignInPage() -> Component:
    # Inputs live in refs: a submit right after the last keystroke must still see it.
    email, password = use_ref(""), use_ref("")
    next_path, notice = _use_next_path_and_notice()
    message, set_message = heavy_use_state(Feedback.info(notice))
    finish = use_finish_sign_in(next_path, set_message)

    async def submit(context: AppContext) -> None:
        finish(
            context,
            await context.accounts.sign_in(context.visitor, email.current, password.current),
            SIGNING_IN,
        )

    return AccountForm(
        t("Sign in"),
        Form(
            "sign-in-form",
            submit,
            LineInput(t("E-mail"), keep_in(email), id="sign-in-email", type="email", autocomplete="email"),
            LineInput(
                t("Password"),
                keep_in(password),
                id="sign-in-password",
                type="password",
                autocomplete="current-password",
            ),
            ButtonRow(Button(t("Sign in"), id="sign-in-submit", type="submit")),
        ),
        message,
        html._(
            Paragraph(RouterLink(t("Forgot your password?"), "/forgot-password", id="to-forgot-password")),
            Paragraph(
                t("No account yet? "),
                RouterLink(t("Sign up"), _keeping(next_path, "/sign-up"), id="to-sign-up-from-sign-in"),
            ),
        ),
    )


@component
def SignUpPage() -> Component:
    email, name, password = use_ref(""), use_ref(""), use_ref("")
    next_path, _notice = _use_next_path_and_notice()
    message, set_message = heavy_use_state(Feedback())
    finish = use_finish_sign_in(next_path, set_message)

    async def submit(context: AppContext) -> None:
        result = await context.accounts.sign_up(
            context.visitor, email.current, name.current, password.current
        )
        if result.ticket is not None:  # a link to confirm the address, once the account is stored
            context.send_after_commit(
                await context.accounts.verification_after_sign_up(context.visitor, email.current)
            )
        finish(context, result, SIGNING_IN)

    return AccountForm(
        t("Sign up"),
        Form(
            "sign-up-form",
            submit,
            LineInput(t("E-mail"), keep_in(email), id="sign-up-email", type="email", autocomplete="email"),
            LineInput(t("Your name"), keep_in(name), id="sign-up-name", autocomplete="name"),
            LineInput(
                t("Password (at least {count} characters)").format(count=MIN_PASSWORD_LENGTH),
                keep_in(password),
                id="sign-up-password",
                type="password",
                autocomplete="new-password",
            ),
            ButtonRow(Button(t("Create account"), id="sign-up-submit", type="submit")),
        ),
        message,
        Paragraph(
            t("Have an account? "),
            RouterLink(t("Sign in"), _keeping(next_path, "/sign-in"), id="to-sign-in-from-sign-up"),
        ),
    )


@component
def AccountForm(title: str, form: Component, message: Feedback, footer: Component) -> Component:
    """The frame of both pages; who is already signed in sees that first."""
    user = heavy_use_context(CurrentUserContext)
    already = (
        Paragraph(t("You are signed in as {email}.").format(email=user.email), id="already-signed-in")
        if user
        else ""
    )
    return CenteredColumn(
        PageTitle(title),
        already,
        form,
        FormMessage(message, id="account-message"),
        footer,
    )


def _use_next_path_and_notice() -> tuple[str, str]:
    params = use_search_params()
    next_path = safe_next_path((params.get("next") or ["/"])[0])
    notice = next((t(text) for flag, text in NOTICES.items() if flag in params), "")
    return next_path, notice


def use_finish_sign_in(
    next_path: str, show: Callable[[Feedback], None]
) -> Callable[[AppContext, SignInResult, str], None]:
    """What to do with a sign-in result: send the browser on with its ticket, or explain."""
    executor = heavy_use_context(BrythonExecutorContext)
    use_brython_soon()  # the ticket's hand-off is a Brython call: not the moment to load it

    def finish(context: AppContext, result: SignInResult, signing_in: str = SIGNING_IN) -> None:
        ticket = result.ticket
        if ticket is None:
            context.on_commit(show, Feedback.error(result.error or ""))
            return
        context.on_commit(show, Feedback.info(t(signing_in)))

        async def go() -> None:
            if executor is not None:
                executor.call(navigate_to, url=sign_in_completion_url(ticket, next_path))

        # Only once the ticket is committed: a browser that is quick to follow must find it.
        context.after_commit(go)

    return finish


def _keeping(next_path: str, page: str) -> str:
    """``page``, still coming back to ``next_path`` afterwards."""
    return page if next_path == "/" else f"{page}?{urlencode({'next': next_path})}"
