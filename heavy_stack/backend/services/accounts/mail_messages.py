"""The messages the accounts code sends: what each says, in one place."""

from __future__ import annotations

from heavy import OutgoingMail


def password_reset_mail(to: str, name: str, link: str, app_title: str, minutes: int) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Choose a new password for {app_title}",
        text=(
            f"Hello {name},\n\n"
            f"Someone (we hope you) asked to choose a new password for your {app_title} account.\n"
            f"Open this link within {minutes} minutes to choose one (it works once):\n\n"
            f"{link}\n\n"
            "Choosing a new password signs your account out everywhere else.\n"
            "If you did not ask for this, ignore this message: your password stays as it is.\n"
        ),
    )


def verification_mail(to: str, name: str, link: str, app_title: str, hours: int) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Confirm your e-mail address for {app_title}",
        text=(
            f"Hello {name},\n\n"
            f"Open this link within {hours} hours to confirm that {to} is yours (it works once):\n\n"
            f"{link}\n\n"
            f"If you did not sign up for {app_title}, ignore this message.\n"
        ),
    )
