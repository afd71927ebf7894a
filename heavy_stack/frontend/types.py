"""``Component``: the return type of components.

ReactPy's own types reject many valid return values (a component, a VDOM dict, a string,
None...), so components and lists of children are annotated with this alias instead.
"""

from typing import Any, TypeAlias

Component: TypeAlias = Any
