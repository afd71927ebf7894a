"""The messages the accounts code sends: what each says, in one place, in the language of the
page that asked for them."""

from __future__ import annotations

from heavy import OutgoingMail
from heavy import gettext as t


def password_reset_mail(to: str, name: str, link: str, app_title: str, minutes: int) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=t("Choose a new password for {app}").format(app=app_title),
        text=t(
            "Hello {name},\n\n"
            "Someone (we hope you) asked to choose a new password for your {app} account.\n"
            "Open this link within {minutes} minutes to choose one (it works once):\n\n"
            "{link}\n\n"
            "Choosing a new password signs your account out everywhere else.\n"
            "If you did not ask for this, ignore this message: your password stays as it is.\n"
        ).format(name=name, app=app_title, minutes=minutes, link=link),
    )


def verification_mail(to: str, name: str, link: str, app_title: str, hours: int) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=t("Confirm your e-mail address for {app}").format(app=app_title),
        text=t(
            "Hello {name},\n\n"
            "Open this link within {hours} hours to confirm that {to} is yours (it works once):\n\n"
            "{link}\n\n"
            "If you did not sign up for {app}, ignore this message.\n"
        ).format(name=name, hours=hours, to=to, link=link, app=app_title),
    )
