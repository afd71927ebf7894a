"""The theme switch in the top bar: follow the system, or always light, or always dark."""

from __future__ import annotations

from heavy import N_, SYSTEM_THEME, Handler, heavy_event, html, theme_choice_attributes, use_theme
from heavy import gettext as t

from heavy_stack.frontend.types import Component

# The themes the stylesheet has (``:root[data-theme=...]``), and what their buttons say. Add
# yours here and in the stylesheet (docs/theming.md).
THEMES = ((SYSTEM_THEME, N_("Auto")), ("light", N_("Light")), ("dark", N_("Dark")))


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def ThemeSwitcher() -> Component:
    """One pressed button among "Auto", "Light" and "Dark"; heavy's page script applies a choice
    at once and keeps it in a cookie, the server remembers it for the rest of the visit."""
    theme = use_theme()

    def chooser(name: str) -> Handler:
        def choose() -> None:
            theme.choose(name)

        return heavy_event(choose)

    buttons = [
        html.button(
            {
                "type": "button",
                "id": f"theme-{name}",
                "aria-pressed": "true" if name == theme.current else "false",
                "onClick": chooser(name),
                "key": name,
            }
            | theme_choice_attributes(name),
            t(label),
        )
        for name, label in THEMES
    ]
    return html.div({"className": "theme-switcher", "role": "group", "aria-label": t("Theme")}, *buttons)
