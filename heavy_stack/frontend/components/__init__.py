"""The small component library the pages are built from.

Parts without state (``Button``, ``Form``, ``Section``, ``Paragraph``...) are plain functions
that return elements, as ``RouterLink`` is: a ReactPy component costs every connection a
life-cycle hook, a layout entry and one more level of nesting, for as long as the page is open.
Parts with state (``NumberInput``, ``ExpandableSection``) are components. Call both the same way.
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
