"""The account's own pages: forgotten password, the links sent by e-mail, the account, its sessions.

- ``/forgot-password``: asks for a reset link; the answer is the same whether or not the
  address has an account.
- ``/reset-password?token=…``: the link's page; a new password ends every other session and
  signs this browser in.
- ``/verify-email?token=…``: confirms the address the link was sent to.
- ``/account``: the address and whether it is confirmed, and deleting the account.
- ``/account/sessions``: where the account is signed in; end any or all of the others.

The token of a link is read from the address only to be checked or spent on the server; a
link that has expired, was used, or is not one is refused in words (``TOKEN_REFUSED``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from heavy import N_, Handler, heavy_event, heavy_use_effect, heavy_use_state, html, ngettext
from heavy import gettext as t
from reactpy import component, use_ref
from reactpy_router import use_search_params

from heavy_stack.backend.services.accounts.passwords import MIN_PASSWORD_LENGTH
from heavy_stack.backend.services.accounts.service import TOKEN_REFUSED
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.components import (
    Button,
    ButtonKind,
    CenteredColumn,
    Feedback,
    Form,
    FormMessage,
    LineInput,
    PageTitle,
    Paragraph,
    RouterLink,
    Section,
    keep_in,
)
from heavy_stack.frontend.pages.sign_in import use_finish_sign_in
from heavy_stack.frontend.timezone import format_in_zone, use_timezone
from heavy_stack.frontend.types import Component
from heavy_stack.shared_models.account_token import TokenState
from heavy_stack.shared_models.user import User
from heavy_stack.shared_models.user_session import OpenSession

FORGOT_PASSWORD_PATH = "/forgot-password"
SESSIONS_PATH = "/account/sessions"
PASSWORD_CHANGED = N_("Your new password is saved; every other session is signed out. Signing you in…")


def _token() -> str:
    return (use_search_params().get("token") or [""])[0]


@component
def ForgotPasswordPage() -> Component:
    email = use_ref("")
    message, set_message = heavy_use_state(Feedback())

    async def submit(context: AppContext) -> None:
        result = await context.accounts.request_password_reset(context.visitor, email.current)
        context.send_after_commit(result)
        feedback = Feedback.error(result.message) if result.error else Feedback.success(result.message)
        context.on_commit(set_message, feedback)

    return CenteredColumn(
        PageTitle(t("Forgot your password?")),
        Paragraph(t("Enter your account's e-mail address: we will send it a link to choose a new password.")),
        Form(
            "forgot-password-form",
            submit,
            LineInput(t("E-mail"), keep_in(email), id="forgot-email", type="email", autocomplete="email"),
            Button(t("Send the link"), id="forgot-submit", type="submit"),
        ),
        FormMessage(message, id="forgot-message"),
        Paragraph(RouterLink(t("Back to sign in"), "/sign-in", id="forgot-to-sign-in")),
    )


@component
def ResetPasswordPage() -> Component:
    token = _token()
    unchecked: TokenState | None = None
    state, set_state = heavy_use_state(unchecked)
    done, set_done = heavy_use_state(False)
    password = use_ref("")
    message, set_message = heavy_use_state(Feedback())
    finish = use_finish_sign_in("/", set_message)

    async def check(context: AppContext) -> None:
        set_state(await context.accounts.reset_link_state(token))

    heavy_use_effect(check, [token], reads_only=True)

    async def submit(context: AppContext) -> None:
        result, ended = await context.accounts.reset_password(context.visitor, token, password.current)
        context.end_live_pages_after_commit(ended)
        if result.ticket is not None:
            context.on_commit(set_done, True)
        finish(context, result, PASSWORD_CHANGED)

    if state is None:
        body: Component = Paragraph(t("Checking your link…"), id="reset-state")
    elif done:
        body = ""  # this browser's own success: it is being signed in
    elif state is not TokenState.VALID:
        body = _refused(state, "reset-state")
    else:
        body = Form(
            "reset-password-form",
            submit,
            LineInput(
                t("New password (at least {count} characters)").format(count=MIN_PASSWORD_LENGTH),
                keep_in(password),
                id="reset-password",
                type="password",
                autocomplete="new-password",
            ),
            Button(t("Save the new password"), id="reset-submit", type="submit"),
        )
    return CenteredColumn(
        PageTitle(t("Choose a new password")), body, FormMessage(message, id="reset-message")
    )


def _refused(state: TokenState, id: str) -> Component:
    return html._(
        Paragraph(t(TOKEN_REFUSED.get(state, TOKEN_REFUSED[TokenState.UNKNOWN])), id=id),
        Paragraph(RouterLink(t("Ask for a new link"), FORGOT_PASSWORD_PATH, id=f"{id}-new-link")),
    )


@component
def VerifyEmailPage() -> Component:
    token = _token()
    outcome, set_outcome = heavy_use_state(Feedback.info(t("Confirming your address…")))

    async def confirm(context: AppContext) -> None:
        confirmed, text = await context.accounts.verify_email(token)
        context.on_commit(set_outcome, Feedback.success(text) if confirmed else Feedback.error(text))

    heavy_use_effect(confirm, [token])
    return CenteredColumn(
        PageTitle(t("Confirm your e-mail address")),
        FormMessage(outcome, id="verify-message"),
        Paragraph(RouterLink(t("Your account"), "/account", id="verify-to-account")),
    )


@component
def AccountPage() -> Component:
    """``/account`` (signed in): the address and its confirmation, sessions, deletion."""
    no_user: User | None = None
    user, set_user = heavy_use_state(no_user)
    message, set_message = heavy_use_state(Feedback())

    async def load(context: AppContext) -> None:
        set_user(await context.managers.users.get(context.require_user().id))

    heavy_use_effect(load, [], reads_only=True)

    async def send_link(context: AppContext) -> None:
        result = await context.accounts.request_verification(context.visitor)
        context.send_after_commit(result)
        context.on_commit(
            set_message, Feedback.error(result.message) if result.error else Feedback.success(result.message)
        )

    if user is None:
        address: Component = Paragraph(t("Loading…"), id="account-email")
    elif user.email_verified:
        address = Paragraph(
            t("Your e-mail address {email} is confirmed.").format(email=user.email), id="account-email"
        )
    else:
        address = html._(
            Paragraph(
                t("Your e-mail address {email} is not confirmed yet.").format(email=user.email),
                id="account-email",
            ),
            Button(t("Send the confirmation link again"), heavy_event(send_link), id="send-verification"),
        )
    return CenteredColumn(
        PageTitle(t("Your account")),
        Section(t("E-mail address"), address, FormMessage(message, id="verification-message")),
        Section(
            t("Sessions"),
            Paragraph(RouterLink(t("See where you are signed in"), SESSIONS_PATH, id="to-sessions")),
        ),
        DeleteAccountSection(),
    )


@component
def DeleteAccountSection() -> Component:
    password = use_ref("")
    message, set_message = heavy_use_state(Feedback())

    async def delete(context: AppContext) -> None:
        owner = context.require_user().id
        problem, ended = await context.accounts.delete_account(context.visitor, password.current)
        if problem is not None:
            context.on_commit(set_message, Feedback.error(problem))
            return
        context.on_commit(set_message, Feedback.info(t("Your account is deleted. Signing you out…")))
        # Then the vector database, in its own transaction (see docs/accounts-and-security.md).
        context.after_commit(lambda: context.services.note_search.forget_owner(owner))
        context.end_live_pages_after_commit(ended)

    return Section(
        t("Delete your account"),
        Paragraph(
            t(
                "This deletes your account and everything in it (your notes too) for good, and signs "
                "you out everywhere. Enter your password to confirm."
            )
        ),
        Form(
            "delete-account-form",
            delete,
            LineInput(
                t("Your password"),
                keep_in(password),
                id="delete-password",
                type="password",
                autocomplete="current-password",
            ),
            Button(
                t("Delete my account"), id="delete-account-submit", type="submit", kind=ButtonKind.DESTRUCTIVE
            ),
        ),
        FormMessage(message, id="delete-message"),
        id="delete-account",
    )


@component
def SessionsPage() -> Component:
    """``/account/sessions`` (signed in): where the account is signed in."""
    no_sessions: tuple[OpenSession, ...] | None = None
    sessions, set_sessions = heavy_use_state(no_sessions)
    message, set_message = heavy_use_state(Feedback())
    zone = use_timezone()

    async def load(context: AppContext) -> None:
        set_sessions(tuple(await context.accounts.open_sessions(context.visitor)))

    heavy_use_effect(load, [], reads_only=True)

    async def end(context: AppContext, keys: list[str] | None) -> None:
        ended = await context.accounts.end_other_sessions(context.visitor, keys)
        context.end_live_pages_after_commit(ended)
        count = len(ended.digests)
        context.on_commit(set_sessions, tuple(await context.accounts.open_sessions(context.visitor)))
        text = (
            t("No other session was open.")
            if count == 0
            else ngettext("Ended {count} session.", "Ended {count} sessions.", count).format(count=count)
        )
        context.on_commit(set_message, Feedback.success(text))

    def end_handler(keys: list[str] | None) -> Handler:
        async def end_these(context: AppContext) -> None:
            await end(context, keys)

        return heavy_event(end_these)

    if sessions is None:
        listing: Component = Paragraph(t("Loading…"), id="session-list")
    else:
        listing = html.ul(
            {"id": "session-list", "className": "session-list"},
            *[_session_item(index, session, zone, end_handler) for index, session in enumerate(sessions)],
        )
    others = sessions is not None and any(not session.is_this_browser for session in sessions)
    return CenteredColumn(
        PageTitle(t("Where you are signed in")),
        listing,
        Button(
            t("End all other sessions"),
            end_handler(None),
            id="end-other-sessions",
            kind=ButtonKind.DESTRUCTIVE,
        )
        if others
        else "",
        FormMessage(message, id="sessions-message"),
        Paragraph(RouterLink(t("← Your account"), "/account", id="sessions-to-account")),
    )


def _session_item(
    index: int,
    session: OpenSession,
    zone: ZoneInfo | None,
    end_handler: Callable[[list[str] | None], Handler],
) -> Component:
    since = _when(t(" · signed in {when}"), session.signed_in_at, zone)
    seen = _when(t(" · last seen {when}"), session.last_seen_at, zone)
    action: Component = (
        html.strong({"className": "this-browser"}, t(" · this browser"))
        if session.is_this_browser
        else Button(
            t("End"), end_handler([session.key]), id=f"end-session-{index}", kind=ButtonKind.DESTRUCTIVE
        )
    )
    # Keyed by position: the session's key stays on the server.
    return html.li(
        {"key": str(index), "className": "session", "id": f"session-{index}"},
        html.span({"className": "session-device"}, session.device or t("Unknown browser")),
        html.span({"className": "muted"}, since + seen),
        action,
    )


def _when(label: str, moment: datetime | None, zone: ZoneInfo | None) -> str:
    return "" if moment is None else label.format(when=format_in_zone(moment, zone, True))
