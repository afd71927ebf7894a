"""The small component library the pages are built from.

Parts without state or handlers of their own (``Paragraph``, ``Section``, ``Button``...) are
plain functions that return elements: a component costs a life-cycle hook and a layout node per
use on every open page. Parts with state or heavy handlers (``Form``, ``LineInput``,
``ExpandableSection``...) are components.
"""

from heavy_stack.frontend.components.feedback import Badge, Dialog, Notice, ProgressBar, Tone, dialog_cancel
from heavy_stack.frontend.components.forms import Feedback, Form, FormMessage
from heavy_stack.frontend.components.inputs import (
    Button,
    ButtonKind,
    ButtonRow,
    LineInput,
    NumberInput,
    TextArea,
    keep_in,
)
from heavy_stack.frontend.components.layout import (
    CenteredColumn,
    ExpandableSection,
    PageTitle,
    Section,
    Spacer,
)
from heavy_stack.frontend.components.navigation import RouterLink
from heavy_stack.frontend.components.text import Paragraph, Preformatted
from heavy_stack.frontend.components.theme_switcher import ThemeSwitcher

__all__ = [
    "Badge",
    "Button",
    "ButtonKind",
    "ButtonRow",
    "CenteredColumn",
    "Dialog",
    "ExpandableSection",
    "Feedback",
    "Form",
    "FormMessage",
    "LineInput",
    "Notice",
    "NumberInput",
    "PageTitle",
    "Paragraph",
    "Preformatted",
    "ProgressBar",
    "RouterLink",
    "Section",
    "Spacer",
    "TextArea",
    "ThemeSwitcher",
    "Tone",
    "dialog_cancel",
    "keep_in",
]
