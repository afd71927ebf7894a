"""The small component library the pages are built from.

Parts without state or handlers of their own (``Paragraph``, ``Section``, ``Button``...) are
plain functions that return elements: a component costs a life-cycle hook and a layout node per
use on every open page. Parts with state or heavy handlers (``Form``, ``LineInput``,
``ExpandableSection``...) are components.
"""

from heavy_stack.frontend.components.forms import Feedback, Form, FormMessage
from heavy_stack.frontend.components.inputs import Button, LineInput, NumberInput, TextArea, keep_in
from heavy_stack.frontend.components.layout import (
    CenteredColumn,
    ExpandableSection,
    PageTitle,
    Section,
    Spacer,
)
from heavy_stack.frontend.components.navigation import RouterLink
from heavy_stack.frontend.components.text import Paragraph, Preformatted

__all__ = [
    "Button",
    "CenteredColumn",
    "ExpandableSection",
    "Feedback",
    "Form",
    "FormMessage",
    "LineInput",
    "NumberInput",
    "PageTitle",
    "Paragraph",
    "Preformatted",
    "RouterLink",
    "Section",
    "Spacer",
    "TextArea",
    "keep_in",
]
