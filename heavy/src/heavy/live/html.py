"""HTML element constructors: every one of ``reactpy.html``, each making the same VDOM dict as
ReactPy's for the same arguments, for about a quarter of the CPU (exported as ``heavy.html``).

ReactPy's constructors (``make_vdom_constructor`` → ``vdom`` → its separate functions) test
each argument against the ``Mapping`` ABC, look attributes up as event handlers through a
``typing`` Protocol and read two options per element: about 2 µs an element, a tenth of a
live worker's CPU under load. These test the exact types a component passes (``dict``,
``str``, ``list``, a component) first and fall back to ReactPy's own checks for anything else,
so an odd argument (a ``Mapping`` that is not a dict, a custom iterable) gives ReactPy's result.

Delegated to ReactPy's constructor, whole: a call with keyword arguments (ReactPy's deprecated
``key=``), a ``Mapping`` other than a dict as the attributes, any call while
``REACTPY_DEBUG_MODE`` or ``REACTPY_CHECK_JSON_ATTRS`` is on (its key warnings and JSON check),
and ``script``, whose rules are its own. One difference, outside the model: ReactPy takes
``key`` out of the caller's attributes dict; these leave the caller's dict as it was.
"""

from __future__ import annotations

import builtins  # this module's map, input and object are elements
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any, cast

from heavy.live.layout import AttributeHandler
from heavy.live.static import StaticHtml
from reactpy import html as reactpy_html
from reactpy.config import REACTPY_CHECK_JSON_ATTRS, REACTPY_DEBUG_MODE
from reactpy.core.component import Component
from reactpy.core.types import EventHandlerType, VdomDict, VdomDictConstructor
from reactpy.core.vdom import _is_single_child

# Whether ReactPy's debug checks are on (its constructors then warn and check what these would
# not), kept by the two options' subscriptions: reading ``Option.current`` costs about 0.8 µs
# while the option is unset (it catches an AttributeError), more than a whole element here.
_checking = False


def _follow_checks(_value: Any) -> None:
    global _checking  # the one flag the options' subscriptions keep
    _checking = bool(REACTPY_DEBUG_MODE.current or REACTPY_CHECK_JSON_ATTRS.current)


REACTPY_DEBUG_MODE.subscribe(_follow_checks)
REACTPY_CHECK_JSON_ATTRS.subscribe(_follow_checks)


# First arguments of these types are children, not attributes (no Mapping ABC check for them).
_NEVER_ATTRIBUTES = frozenset((str, Component, StaticHtml, list, tuple))


def _children(items: tuple[Any, ...]) -> list[Any]:
    """``items`` as ReactPy's children: each iterable but a string or a mapping flattened one
    level, everything else as it is (``separate_attributes_and_children``)."""
    children: list[Any] = []
    for item in items:
        kind = type(item)
        if kind is str or kind is dict or kind is Component or kind is StaticHtml:  # the usual
            children.append(item)
        elif kind is list or kind is tuple:
            children.extend(item)
        elif _is_single_child(item):  # ReactPy's own test, for any other type
            children.append(item)
        else:
            children.extend(item)
    return children


# Attribute values of these exact types are neither callable nor event handlers.
_PLAIN_VALUES = frozenset((str, bool, int, float, type(None), dict, list, tuple))


def _split(attributes: dict[str, Any]) -> tuple[dict[str, Any], Any, dict[str, Any] | None]:
    """The plain attributes, the key and the event handlers of an attributes dict, as ReactPy
    separates them (``separate_attributes_and_event_handlers``): a callable becomes ReactPy's
    ``EventHandler`` (an ``AttributeHandler``, which makes ReactPy's wrapper when it is read),
    an ``EventHandler`` (or its Protocol's like) is kept."""
    if _PLAIN_VALUES.issuperset(builtins.map(type, attributes.values())):  # no handler, tested in C
        plain = attributes.copy()
        return plain, plain.pop("key", None), None
    plain = {}
    handlers: dict[str, Any] | None = None
    for name, value in attributes.items():
        if type(value) in _PLAIN_VALUES or name == "key":  # no callable or Protocol test for these
            plain[name] = value
        elif callable(value):
            if handlers is None:
                handlers = {}
            handlers[name] = AttributeHandler(value)
        elif hasattr(value, "function") and isinstance(value, EventHandlerType):
            if handlers is None:
                handlers = {}
            handlers[name] = value
        else:
            plain[name] = value
    key = plain.pop("key", None)
    return plain, key, handlers


def _made_by_reactpy(
    stock: VdomDictConstructor, arguments: tuple[Any, ...], kwargs: dict[str, Any]
) -> VdomDict:
    """``stock(*arguments, **kwargs)``, its warnings (a key missing in a list, the deprecated
    ``key=``) said at the caller's line as ReactPy says them, not at a line of this module."""
    said: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")  # the caller's filters apply below, once restored
            return cast(Callable[..., VdomDict], stock)(*arguments, **kwargs)
    finally:
        if said:
            depth, frame = 0, inspect.currentframe()
            while frame is not None and frame.f_globals.get("__name__") == __name__:
                depth, frame = depth + 1, frame.f_back
            for warning in said:
                warnings.warn(warning.message, warning.category, stacklevel=depth + 1)


def _constructor(tag: str, stock: VdomDictConstructor, *, allow_children: bool = True) -> VdomDictConstructor:
    """ReactPy's constructor ``stock`` (``make_vdom_constructor(tag, allow_children)``), leaner."""

    def constructor(*arguments: Any, **kwargs: Any) -> VdomDict:
        if kwargs or _checking:
            return _made_by_reactpy(stock, arguments, kwargs)
        model: VdomDict = {"tagName": tag}
        if not arguments:
            return model
        first = arguments[0]
        kind = type(first)
        attributes = None
        if kind is dict:
            if "tagName" not in first:  # else an element: a child
                attributes = first
        elif kind not in _NEVER_ATTRIBUTES and isinstance(first, Mapping) and "tagName" not in first:
            return stock(*arguments)  # attributes in a mapping of another type: ReactPy's own way
        key = handlers = None
        if attributes is None:
            children = _children(arguments)
        else:
            plain, key, handlers = _split(attributes)
            if plain:
                model["attributes"] = plain
            children = _children(arguments[1:])
        if children:
            if not allow_children:
                msg = f"{tag!r} nodes cannot have children."
                raise TypeError(msg)
            model["children"] = children
        if key is not None:
            model["key"] = key
        if handlers:
            model["eventHandlers"] = handlers
        return model

    constructor.__name__ = constructor.__qualname__ = tag or "_"
    constructor.__doc__ = stock.__doc__
    return cast(VdomDictConstructor, constructor)


_fragment_element = _constructor("", reactpy_html._)


def _fragment(*arguments: Any, **kwargs: Any) -> VdomDict:
    """An HTML fragment: its children, with no element of its own in the DOM (ReactPy's ``_``)."""
    model = _fragment_element(*arguments, **kwargs)
    if "attributes" in model or "eventHandlers" in model:
        msg = "Fragments cannot have attributes besides 'key'"
        raise TypeError(msg)
    return model


_ = cast(VdomDictConstructor, _fragment)

# Document metadata
base = _constructor("base", reactpy_html.base)
head = _constructor("head", reactpy_html.head)
link = _constructor("link", reactpy_html.link)
meta = _constructor("meta", reactpy_html.meta)
style = _constructor("style", reactpy_html.style)
title = _constructor("title", reactpy_html.title)

# Content sectioning
address = _constructor("address", reactpy_html.address)
article = _constructor("article", reactpy_html.article)
aside = _constructor("aside", reactpy_html.aside)
footer = _constructor("footer", reactpy_html.footer)
header = _constructor("header", reactpy_html.header)
h1 = _constructor("h1", reactpy_html.h1)
h2 = _constructor("h2", reactpy_html.h2)
h3 = _constructor("h3", reactpy_html.h3)
h4 = _constructor("h4", reactpy_html.h4)
h5 = _constructor("h5", reactpy_html.h5)
h6 = _constructor("h6", reactpy_html.h6)
main = _constructor("main", reactpy_html.main)
nav = _constructor("nav", reactpy_html.nav)
section = _constructor("section", reactpy_html.section)

# Text content
blockquote = _constructor("blockquote", reactpy_html.blockquote)
dd = _constructor("dd", reactpy_html.dd)
div = _constructor("div", reactpy_html.div)
dl = _constructor("dl", reactpy_html.dl)
dt = _constructor("dt", reactpy_html.dt)
figcaption = _constructor("figcaption", reactpy_html.figcaption)
figure = _constructor("figure", reactpy_html.figure)
hr = _constructor("hr", reactpy_html.hr, allow_children=False)
li = _constructor("li", reactpy_html.li)
ol = _constructor("ol", reactpy_html.ol)
p = _constructor("p", reactpy_html.p)
pre = _constructor("pre", reactpy_html.pre)
ul = _constructor("ul", reactpy_html.ul)

# Inline text semantics
a = _constructor("a", reactpy_html.a)
abbr = _constructor("abbr", reactpy_html.abbr)
b = _constructor("b", reactpy_html.b)
bdi = _constructor("bdi", reactpy_html.bdi)
bdo = _constructor("bdo", reactpy_html.bdo)
br = _constructor("br", reactpy_html.br, allow_children=False)
cite = _constructor("cite", reactpy_html.cite)
code = _constructor("code", reactpy_html.code)
data = _constructor("data", reactpy_html.data)
em = _constructor("em", reactpy_html.em)
i = _constructor("i", reactpy_html.i)
kbd = _constructor("kbd", reactpy_html.kbd)
mark = _constructor("mark", reactpy_html.mark)
q = _constructor("q", reactpy_html.q)
rp = _constructor("rp", reactpy_html.rp)
rt = _constructor("rt", reactpy_html.rt)
ruby = _constructor("ruby", reactpy_html.ruby)
s = _constructor("s", reactpy_html.s)
samp = _constructor("samp", reactpy_html.samp)
small = _constructor("small", reactpy_html.small)
span = _constructor("span", reactpy_html.span)
strong = _constructor("strong", reactpy_html.strong)
sub = _constructor("sub", reactpy_html.sub)
sup = _constructor("sup", reactpy_html.sup)
time = _constructor("time", reactpy_html.time)
u = _constructor("u", reactpy_html.u)
var = _constructor("var", reactpy_html.var)
wbr = _constructor("wbr", reactpy_html.wbr)

# Image and video
area = _constructor("area", reactpy_html.area, allow_children=False)
audio = _constructor("audio", reactpy_html.audio)
img = _constructor("img", reactpy_html.img, allow_children=False)
map = _constructor("map", reactpy_html.map)  # noqa: A001
track = _constructor("track", reactpy_html.track)
video = _constructor("video", reactpy_html.video)

# Embedded content
embed = _constructor("embed", reactpy_html.embed, allow_children=False)
iframe = _constructor("iframe", reactpy_html.iframe, allow_children=False)
object = _constructor("object", reactpy_html.object)  # noqa: A001
param = _constructor("param", reactpy_html.param)
picture = _constructor("picture", reactpy_html.picture)
portal = _constructor("portal", reactpy_html.portal, allow_children=False)
source = _constructor("source", reactpy_html.source, allow_children=False)

# SVG and MathML
svg = _constructor("svg", reactpy_html.svg)
math = _constructor("math", reactpy_html.math)

# Scripting: ReactPy's own script (its key and child rules are its own, and it is rare)
canvas = _constructor("canvas", reactpy_html.canvas)
noscript = _constructor("noscript", reactpy_html.noscript)
script = reactpy_html.script

# Demarcating edits
del_ = _constructor("del", reactpy_html.del_)
ins = _constructor("ins", reactpy_html.ins)

# Table content
caption = _constructor("caption", reactpy_html.caption)
col = _constructor("col", reactpy_html.col)
colgroup = _constructor("colgroup", reactpy_html.colgroup)
table = _constructor("table", reactpy_html.table)
tbody = _constructor("tbody", reactpy_html.tbody)
td = _constructor("td", reactpy_html.td)
tfoot = _constructor("tfoot", reactpy_html.tfoot)
th = _constructor("th", reactpy_html.th)
thead = _constructor("thead", reactpy_html.thead)
tr = _constructor("tr", reactpy_html.tr)

# Forms
button = _constructor("button", reactpy_html.button)
fieldset = _constructor("fieldset", reactpy_html.fieldset)
form = _constructor("form", reactpy_html.form)
input = _constructor("input", reactpy_html.input, allow_children=False)  # noqa: A001
label = _constructor("label", reactpy_html.label)
legend = _constructor("legend", reactpy_html.legend)
meter = _constructor("meter", reactpy_html.meter)
option = _constructor("option", reactpy_html.option)
output = _constructor("output", reactpy_html.output)
progress = _constructor("progress", reactpy_html.progress)
select = _constructor("select", reactpy_html.select)
textarea = _constructor("textarea", reactpy_html.textarea)

# Interactive elements
details = _constructor("details", reactpy_html.details)
dialog = _constructor("dialog", reactpy_html.dialog)
menu = _constructor("menu", reactpy_html.menu)
menuitem = _constructor("menuitem", reactpy_html.menuitem)
summary = _constructor("summary", reactpy_html.summary)

# Web components
slot = _constructor("slot", reactpy_html.slot)
template = _constructor("template", reactpy_html.template)

__all__ = reactpy_html.__all__
