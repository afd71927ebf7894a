"""The browser end of the bridge that lets server code run Brython functions.

The server renders a tiny script per call (``heavyBridge.call({...})``); the page's shim queues
calls until ``start()`` runs here, so a call made before Brython has loaded is not lost. Each
call names a module and a function marked with ``@called_from_reactpy``; its keyword arguments
arrive as JSON. When the server wants the result, it is sent back as JSON through a hidden
button's click, i.e. as an ordinary ReactPy event.

This module is imported on the server too (to mark functions), so ``browser`` imports are
guarded. It uses Brython's own ``javascript.JSON`` rather than ``json``, so pages need not load
Brython's standard library.
"""

try:
    from browser import document, window  # type: ignore[import-not-found]
    from javascript import JSON  # type: ignore[import-not-found]
except ImportError:  # on the server
    document = window = JSON = None

CALLABLE_MARK = "__called_from_reactpy__"
RESULT_BUTTON_ID = "heavy-bridge-result"


def called_from_reactpy(function):  # type: ignore[no-untyped-def]
    """Mark ``function`` as callable from the server. Its parameters must be keyword-only."""
    if getattr(getattr(function, "__code__", None), "co_argcount", 0):
        raise TypeError(
            f"{function.__name__}: parameters of a @called_from_reactpy function must be keyword-only"
        )
    setattr(function, CALLABLE_MARK, True)
    return function


def start():  # type: ignore[no-untyped-def]
    """Take over from the page's shim: run the queued calls, then every new one."""
    bridge = window.heavyBridge
    bridge.run = _run
    queued = list(bridge.pending)
    bridge.pending.length = 0
    for call in queued:
        _run(call)


def _run(call):  # type: ignore[no-untyped-def]
    call_id, wants_reply = call.id, bool(call.reply)
    try:
        module = __import__(call.module, fromlist=[call.name])
        function = getattr(module, call.name)
        if not getattr(function, CALLABLE_MARK, False):
            raise PermissionError(f"{call.module}.{call.name} is not marked @called_from_reactpy")
        result = function(**JSON.parse(call.kwargs))
    except Exception as error:
        window.console.error(f"Brython call {call.module}.{call.name} failed: {error!r}")
        if wants_reply:
            _reply(call_id, False, repr(error))
        return
    if wants_reply:
        if hasattr(result, "then"):  # a JavaScript promise: answer when it settles
            result.then(
                lambda value: _reply(call_id, True, value), lambda error: _reply(call_id, False, str(error))
            )
        else:
            _reply(call_id, True, result)


def _reply(call_id, ok, value):  # type: ignore[no-untyped-def]
    button = document.getElementById(RESULT_BUTTON_ID)
    if button is None:
        window.console.error("Brython bridge: the result button is not on the page")
        return
    button.value = JSON.stringify({"id": call_id, "ok": ok, "value": value})
    button.click()
