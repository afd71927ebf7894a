"""heavy: the framework under a product made from The Heavy Stack template.

A product imports from here, and only from here: the names below are the public API (the
modules behind them may move between releases; ``CHANGELOG.md`` says when a name changes).
``heavy`` imports nothing of any product (see ``heavy/README.md``).

- Data: ``Database`` (engines, pools, units of work; a transaction begins on the first
  statement that is not a plain read), ``SessionMaker``, ``async_url`` (a URL with the async
  driver), ``db_session`` / ``vector_db_session`` (the current unit's sessions, context
  variables; a unit's session is a ``UnitSession``, which keeps its first read by key aside
  until something uses it), ``is_unavailable`` (an outage, not a bug), ``CommitFailedError``,
  ``DB_TIMEOUT_SECONDS``, ``NoDatabaseSessionError`` (a repository used outside a unit), ``TargetT``
  (a manager's output type); ``Repository`` / ``VectorRepository`` (the only code
  that touches a session: by key, by conditions, add, update, delete); ``Manager`` (business
  rules around one model, reads by key and by conditions), ``CrudManager`` (plus writes by
  key, for a table with no rules: ``CrudManager(SQLInvoice, Invoice)``), ``NotFoundError``; ``ModelMunger`` (a row to a
  shared model that differs from it), ``FieldsMunger`` (same field names, what a manager uses
  when given a model), ``IdentityMunger`` (the row itself); ``import_submodules`` (every table
  module of a folder imported, so metadata sees a new one without a registry line).
  Back pressure: ``Turns`` (pages' units of work take turns at the pool, fairly, instead of
  timing out in its checkout: ``Database.turns``), ``TooManyWaitingError``, ``WAITING_PER_PAGE``,
  ``BUSY_AFTER_SECONDS``.
- Read replicas (``<PREFIX>SQL_READ_URLS``): read-only units read on them, with read-your-writes
  for the visitor who wrote; ``read_as`` (name the visitor of the current connection),
  ``ReadReplicas`` (``Database.replicas``: the choice, positions, where reads went),
  ``ReplicaUnavailableError`` (a replica failed under a read-only unit, which runs again).
- The development database: ``EmbeddedPostgres`` (PostgreSQL + pgvector, watched and
  restarted) and its ``EmbeddedDatabaseError``.
- Migrations: ``Migrations`` (a product's alembic migrations as a Python API: upgrade,
  downgrade, autogenerate, the stairway, ``bring_to_head`` and ``prepare_embedded_database``
  for development, ``schema_state`` for a database the app does not own) and
  ``SchemaStateError``; ``migration_engine``, ``configured_database_url``,
  ``current_revision``, ``recreate_database`` / ``drop_database`` (scratch databases),
  ``release_prepared_databases``.
- Live pages: ``install_live_pages`` (ReactPy's client files and the stream route, serving a
  root component as ``LiveLayout``s), ``LiveLayout`` (ReactPy's layout, leaner; every open one
  in ``LiveLayout.live``; ``LiveLayout.rerender_all()`` for hot reload), ``serve_live_layout``
  (its dispatch loop, for drivers that serve a layout without a socket); ``Handler`` (what an
  element's attributes take as an event handler, what ``heavy_event`` returns) and
  ``element_handler`` (a function as such a handler, cheapest to create elements with);
  ``static_html`` (a function's plain HTML made once per language and arguments, shared by
  every render of every page, ``StaticHtml``: what it returns, sent as it is); ``html``, the
  element constructors (``html.div(...)``: every one of ``reactpy.html``, the same VDOM dicts
  for the same arguments, made with about a third of the CPU).
- Pub/sub between live pages: ``publish`` (a JSON payload to every subscriber of a topic, in
  every process; ``context.publish`` does it after the unit's COMMIT), the hook
  ``heavy_use_topic`` (a component follows a topic while mounted), ``TopicMessage`` (what a
  subscriber gets; ``resync`` when it may have missed some), ``PubSub`` (a process's hub,
  ``current_pubsub`` gives it, ``using_pubsub``), ``Subscription``, ``MAX_PAYLOAD_BYTES``; between
  processes a ``Transport``: ``PostgresTransport`` (LISTEN/NOTIFY) or ``RedisTransport``.
- Presence: ``heavy_use_presence`` (how many live pages are on a topic now, in every process,
  this one counted while mounted), ``heavy_use_online_count`` (how many pages of the app are
  open: every live page is on ``PAGES``); ``Presence`` (a process's counts and heartbeats,
  ``current_presence`` gives the one of the current hub).
- The live stream: ``StreamTap`` (sees every message of a connection), ``StreamRecorder`` (a tap
  that records visits for load tests), ``LayoutMirror`` (a client's copy of a page's layout).
- Pages: the hooks ``heavy_use_state``, ``heavy_use_effect``, ``heavy_event`` (``reads_only``
  for a read-only unit of work), ``heavy_use_context``; ``HeavyContext``, what an async handler
  or effect receives (generic over the product's ``Services``; a product subclasses it), with
  ``on_commit`` (show a write once it is stored) and ``after_commit``; ``open_heavy_context``
  (one unit of work outside a page), ``ContextMaker`` (what makes a product's context),
  ``PendingUpdates`` (what a unit shows after COMMIT); ``provide_services`` (the root says which services and
  which context class handlers below get; ``ServicesContext`` and ``ProvidedServices`` carry
  them, ``MissingServicesError`` when none are above), ``provide_context`` (a ReactPy context with no
  provider element), ``NoticeContext`` / ``ShowNotice`` (where failures are reported) and the
  messages shown (``UNAVAILABLE``, ``UNAVAILABLE_WHILE_LOADING``, ``REFUSED``, ``UNCONFIRMED``,
  ``FAILED``; ``failure_message`` picks one; ``BUSY`` while a unit waits its turn, ``TOO_MANY``
  for an event refused); ``SignInRequiredError``; first paint
  (``rendering_first_paint``, ``is_first_paint``); ``finish_abandoned_work`` (shut-down).
  ``is_async_callable`` decides what the hooks run in a unit of work; ``callable_name``.
- Events: what a handler takes, declared by its event parameter's annotation and checked
  before it runs: ``Click``, ``Submit``, ``Change`` (a string ``value``), ``KeyPress``,
  ``Location`` (``pathname``, ``search``); ``clean_text`` (no NUL, no lone surrogates);
  ``EventDeclarationError`` (a handler whose event parameter names no event type); ``Event``,
  the base a product subclasses (a ``parse`` classmethod) for an event of its own;
  ``debounced`` (a field's attributes: the page sends its typing when the person pauses, one
  event per pause instead of one per keystroke, and before anything else the page sends).
- Settings: ``HeavySettings`` (the framework's settings from ``<PREFIX>*`` variables and
  ``.env``; a product subclasses it with its own prefix and fields), ``Environment``,
  ``LogFormat``, ``DbPooler`` (what stands between the app and PostgreSQL), ``DatabaseNames``,
  ``DEFAULT_SECRET_KEY``, ``parse_as_url`` (a field check),
  and the errors ``SettingsError`` / ``StartupError`` (one line per problem, naming the variable).
- Logs: ``configure_logging`` (text or JSON lines, access lines without query strings),
  ``install_log_scopes`` (every request's and websocket's lines name their connection).
- Security: ``install_security_defaults`` (size limits, the websocket origin and host check
  with its Codespaces policy, security headers), ``is_websocket_request``.
- HTTP: ``install_http_defaults`` (HEAD like GET, quiet 404s for missing files, ETag, 304 and
  gzip on the file routes), ``install_health_routes`` (``/livez``, ``/readyz``, ``/healthz``).
- The app: ``create_app`` (a product's Sanic app from its settings, root, pages, services and
  jobs: the live stream, the pages with their first paint, health routes, the logging,
  security and HTTP defaults above, the client, and the start-up/shut-down listeners that open
  the services in each worker and close them at stop), ``HeavyApp`` / ``HeavyState`` /
  ``app_state`` (its typed ``app.ctx``: settings, opened services), ``NotStartedError``;
  ``LiveWebSocketProtocol`` (Sanic's websocket protocol with less memory per open page, and a
  closed connection freed at once: pass it to ``app.prepare(protocol=...)``).
- Telemetry (``docs/telemetry.md``): ``install_telemetry`` (OpenTelemetry traces and metrics
  over OTLP/HTTP when ``OTEL_*`` variables ask for it, which ``otel_wanted`` tells without
  importing the SDK; ``create_app`` calls it), ``live_figures`` / ``LiveFigures`` (this
  process's events, handler and database times, renders: what the metrics and the development
  dashboard show). Outside PRODUCTION ``create_app`` also serves the development dashboard at
  ``/_heavy/dashboard`` (``heavy/telemetry/dashboard.py``), and ``live_census`` (what this
  process's live pages keep: layouts, states, hooks, presence watchers, subscriptions, tasks) at
  ``CENSUS_PATH`` (``/_heavy/census``).
- Mail: ``open_mailer`` (the ``Mailer`` of one server process: ``SMTPMailer``, an asyncio SMTP
  client over aiosmtplib, to ``<PREFIX>SMTP_HOST``; in DEV without one, ``dev_mail_catcher``, a
  local aiosmtpd server that keeps messages in ``mailbox_dir``; in PRODUCTION without one,
  ``NoMailer`` and the one line of ``mail_settings_problem``), ``OutgoingMail``,
  ``MailNotSentError``, ``SmtpSecurity``; ``install_dev_mailbox`` (``DEV_MAILBOX_PATH``, the
  development mailbox page), ``caught_mail`` / ``CaughtMail`` (what the catcher kept).
  dashboard show).
- Uploads: ``install_upload_route`` (a streaming ``POST`` route for one file per request: the
  page's origin, the uploader, the declared size and type checked before any byte is read, the
  limit enforced while the body streams, only a whole file handed to the product), its
  ``UploadPolicy`` (size limit, accepted kinds, the refusals in words; ``shown_name``,
  ``size_in_words``), ``Upload`` (a file received whole, with the client's id for it) and
  ``UploadResult`` (what the route answers); for the page, ``upload_zone_attributes`` (an element
  heavy's client makes an upload zone: file input and drop), ``upload_report_attributes`` (with
  a ``new_component_token`` per mounted component) and
  the ``UploadReport`` event (every file's state, ``ReportedFile``), ``upload_progress_attributes``
  (a file's progress bar).
- Jobs: ``every`` (a job run at start and every N seconds while the server serves), ``Job``.
- Tasks (work queued in PostgreSQL with pgqueuer, run by any server process): ``task`` (declares
  ``Task``: retried with backoff, started with ``Task.start``, stopped with ``Task.cancel``),
  ``TaskRun`` (what a run is given; ``report`` stores its progress), ``TaskProgress`` /
  ``TaskState`` (a run as stored), ``TaskAlreadyRunningError``, ``schedule`` / ``Schedule`` (a
  run on a cron expression, once across instances), ``heavy_use_task`` (a page's view of its
  owner's newest run, kept current), ``forget_ended_runs`` (housekeeping); for migrations
  ``create_task_queue``, ``drop_task_queue``, ``upgrade_task_queue`` and ``TASK_QUEUE_TABLES``
  (left out of the schema comparison).
- Pages: ``PageRoute`` and ``Pages`` (a product's table of pages: path, title, content, HTTP
  status), ``render_first_paint`` / ``vdom_to_html`` (a page's HTML before any websocket).
- Look: the visitor's theme, known at first paint (``THEME_COOKIE``; ``<html data-theme>``):
  ``use_theme`` gives a ``ThemeChoice`` (``current``, ``choose``; ``SYSTEM_THEME`` follows the
  system's setting), ``theme_choice_attributes`` marks a button that chooses a theme,
  ``theme_from_cookie`` reads the cookie's value; modal dialogs the page script opens and
  closes with the focus handled (``MODAL_DIALOG_ATTRIBUTE``, ``DIALOG_CANCEL_ATTRIBUTE``).
- The visitor's time zone, from a cookie heavy's page script keeps (``TIME_ZONE_COOKIE``):
  ``use_time_zone`` gives it (a ``ZoneInfo``, ``None`` while unknown), ``time_zone_from_cookie``
  reads the cookie's value, ``provide_time_zone`` gives a zone to what a component renders
  (heavy's roots do it from the cookie; tests that mount a root themselves).
- Languages: ``Languages`` (a product's catalogues, ``Languages.load(folder)``: the ``.po``
  files compiled in memory at start-up; ``create_app(languages=...)``), ``Language`` (one of
  them: its translations, ``tag`` and ``name``, and ``format_datetime`` / ``format_date`` /
  ``format_time`` / ``format_number`` / ``format_percent`` for it, in a time zone),
  ``CatalogueError``; ``gettext``, ``ngettext`` (in the current page's or handler's language,
  which the framework sets per request and per connection from ``LANGUAGE_COOKIE`` or
  ``Accept-Language``), ``N_`` (marks a module constant for the catalogue),
  ``current_language``, ``speaking`` (a language for a block: tests); ``switch_language_url``
  (the switcher's link; its route keeps the choice in the cookie); ``safe_next_path`` (a
  redirect target that stays on this site).
- Serving: ``refuse_unparsable_urls`` (a NUL byte in the request line gets a 400, not a
  dropped connection, through ``HeavyRequest``), ``hold_stops_until_workers_started`` (Sanic's worker manager stops cleanly),
  ``tune_garbage_collector``, the log scope of each connection (``LogScope``, ``start_scope``,
  ``current_scope``, ``in_scope``, ``set_scope_user``); ``utc_now``, the one clock.

Test tooling is the subpackage ``heavy.testing`` (the pytest plugin, the page drivers, the
server, browser and cluster helpers), installed with the ``testing`` extra
(``heavy-framework[testing]``). It is not re-exported here, and importing ``heavy`` does not
import it: the app never needs pytest. Import its modules (``heavy.testing.page_driver``).
"""

from __future__ import annotations

from heavy.callables import callable_name, is_async_callable
from heavy.clock import utc_now
from heavy.contexts import (
    NoticeContext,
    ProvidedServices,
    ServicesContext,
    ShowNotice,
    provide_context,
    provide_services,
)
from heavy.data.db_connection import (
    DB_TIMEOUT_SECONDS,
    CommitFailedError,
    Database,
    SessionMaker,
    async_url,
    db_session,
    is_unavailable,
    vector_db_session,
)
from heavy.data.embedded_postgres import EmbeddedDatabaseError, EmbeddedPostgres
from heavy.data.manager import CrudManager, Manager, NotFoundError, TargetT
from heavy.data.migrations import (
    Migrations,
    SchemaStateError,
    configured_database_url,
    current_revision,
    drop_database,
    migration_engine,
    recreate_database,
    release_prepared_databases,
)
from heavy.data.munger import FieldsMunger, IdentityMunger, ModelMunger
from heavy.data.replicas import ReadReplicas, ReplicaUnavailableError, read_as
from heavy.data.repository import NoDatabaseSessionError, Repository, VectorRepository
from heavy.data.tables import import_submodules
from heavy.data.turns import BUSY_AFTER_SECONDS, WAITING_PER_PAGE, TooManyWaitingError, Turns
from heavy.data.unit_session import UnitSession
from heavy.events import Change, Click, Event, EventDeclarationError, KeyPress, Location, Submit, clean_text
from heavy.heavy_context import (
    ContextMaker,
    HeavyContext,
    PendingUpdates,
    Services,
    SignInRequiredError,
    open_heavy_context,
)
from heavy.hooks import (
    BUSY,
    FAILED,
    REFUSED,
    TOO_MANY,
    UNAVAILABLE,
    UNAVAILABLE_WHILE_LOADING,
    UNCONFIRMED,
    MissingServicesError,
    failure_message,
    finish_abandoned_work,
    heavy_event,
    heavy_use_context,
    heavy_use_effect,
    heavy_use_online_count,
    heavy_use_presence,
    heavy_use_state,
    heavy_use_topic,
    is_first_paint,
    rendering_first_paint,
)
from heavy.i18n import (
    LANGUAGE_COOKIE,
    N_,
    CatalogueError,
    Language,
    Languages,
    current_language,
    gettext,
    ngettext,
    speaking,
)
from heavy.live import html
from heavy.live.layout import Handler, LiveLayout, element_handler
from heavy.live.presence import PAGES, Presence, current_presence
from heavy.live.pubsub import (
    MAX_PAYLOAD_BYTES,
    PubSub,
    Subscription,
    TopicMessage,
    Transport,
    current_pubsub,
    publish,
    using_pubsub,
)
from heavy.live.serve import serve_live_layout
from heavy.live.static import StaticHtml, static_html
from heavy.live.stream import install_live_pages
from heavy.live.transports import PostgresTransport, RedisTransport
from heavy.log_scope import LogScope, current_scope, in_scope, set_scope_user, start_scope
from heavy.mail import (
    DEV_MAILBOX_PATH,
    CaughtMail,
    Mailer,
    MailNotSentError,
    NoMailer,
    OutgoingMail,
    SMTPMailer,
    caught_mail,
    dev_mail_catcher,
    install_dev_mailbox,
    mail_settings_problem,
    mailbox_dir,
    open_mailer,
)
from heavy.settings import (
    DEFAULT_SECRET_KEY,
    DatabaseNames,
    DbPooler,
    Environment,
    HeavySettings,
    LogFormat,
    SettingsError,
    SmtpSecurity,
    StartupError,
    parse_as_url,
)
from heavy.stream.guard import StreamTap
from heavy.stream.layout_mirror import LayoutMirror
from heavy.stream.recorder import StreamRecorder
from heavy.tasks.hooks import heavy_use_task
from heavy.tasks.progress import TaskProgress, TaskState
from heavy.tasks.schema import TASK_QUEUE_TABLES, create_task_queue, drop_task_queue, upgrade_task_queue
from heavy.tasks.task import (
    Schedule,
    Task,
    TaskAlreadyRunningError,
    TaskRun,
    forget_ended_runs,
    schedule,
    task,
)
from heavy.telemetry import install_telemetry, otel_wanted
from heavy.telemetry.figures import LiveFigures, live_figures
from heavy.web.app import HeavyApp, HeavyState, NotStartedError, app_state, create_app
from heavy.web.census import CENSUS_PATH, live_census
from heavy.web.client import debounced
from heavy.web.dialogs import DIALOG_CANCEL_ATTRIBUTE, MODAL_DIALOG_ATTRIBUTE
from heavy.web.first_paint import render_first_paint, vdom_to_html
from heavy.web.garbage_collection import tune_garbage_collector
from heavy.web.health import install_health_routes
from heavy.web.http_defaults import install_http_defaults
from heavy.web.jobs import Job, every
from heavy.web.languages import switch_language_url
from heavy.web.logs import configure_logging, install_log_scopes
from heavy.web.pages import PageRoute, Pages
from heavy.web.protocol import LiveWebSocketProtocol
from heavy.web.redirects import safe_next_path
from heavy.web.requests import HeavyRequest, refuse_unparsable_urls
from heavy.web.security import install_security_defaults
from heavy.web.security.origin import is_websocket_request
from heavy.web.theme import (
    SYSTEM_THEME,
    THEME_COOKIE,
    ThemeChoice,
    theme_choice_attributes,
    theme_from_cookie,
    use_theme,
)
from heavy.web.time_zone import TIME_ZONE_COOKIE, provide_time_zone, time_zone_from_cookie, use_time_zone
from heavy.web.uploads import (
    ReportedFile,
    Upload,
    UploadPolicy,
    UploadReport,
    UploadResult,
    install_upload_route,
    new_component_token,
    shown_name,
    size_in_words,
    upload_progress_attributes,
    upload_report_attributes,
    upload_zone_attributes,
)
from heavy.web.worker_manager import hold_stops_until_workers_started

__version__ = "0.1.0"

__all__ = [
    "BUSY",
    "BUSY_AFTER_SECONDS",
    "CENSUS_PATH",
    "DB_TIMEOUT_SECONDS",
    "DEFAULT_SECRET_KEY",
    "DEV_MAILBOX_PATH",
    "DIALOG_CANCEL_ATTRIBUTE",
    "FAILED",
    "LANGUAGE_COOKIE",
    "MAX_PAYLOAD_BYTES",
    "MODAL_DIALOG_ATTRIBUTE",
    "N_",
    "PAGES",
    "REFUSED",
    "SYSTEM_THEME",
    "TASK_QUEUE_TABLES",
    "THEME_COOKIE",
    "TIME_ZONE_COOKIE",
    "TOO_MANY",
    "UNAVAILABLE",
    "UNAVAILABLE_WHILE_LOADING",
    "UNCONFIRMED",
    "WAITING_PER_PAGE",
    "CatalogueError",
    "CaughtMail",
    "Change",
    "Click",
    "CommitFailedError",
    "ContextMaker",
    "CrudManager",
    "Database",
    "DatabaseNames",
    "DbPooler",
    "EmbeddedDatabaseError",
    "EmbeddedPostgres",
    "Environment",
    "Event",
    "EventDeclarationError",
    "FieldsMunger",
    "Handler",
    "HeavyApp",
    "HeavyContext",
    "HeavyRequest",
    "HeavySettings",
    "HeavyState",
    "IdentityMunger",
    "Job",
    "KeyPress",
    "Language",
    "Languages",
    "LayoutMirror",
    "LiveFigures",
    "LiveLayout",
    "LiveWebSocketProtocol",
    "Location",
    "LogFormat",
    "LogScope",
    "MailNotSentError",
    "Mailer",
    "Manager",
    "Migrations",
    "MissingServicesError",
    "ModelMunger",
    "NoDatabaseSessionError",
    "NoMailer",
    "NotFoundError",
    "NotStartedError",
    "NoticeContext",
    "OutgoingMail",
    "PageRoute",
    "Pages",
    "PendingUpdates",
    "PostgresTransport",
    "Presence",
    "ProvidedServices",
    "PubSub",
    "ReadReplicas",
    "RedisTransport",
    "ReplicaUnavailableError",
    "ReportedFile",
    "Repository",
    "SMTPMailer",
    "Schedule",
    "SchemaStateError",
    "Services",
    "ServicesContext",
    "SessionMaker",
    "SettingsError",
    "ShowNotice",
    "SignInRequiredError",
    "SmtpSecurity",
    "StartupError",
    "StaticHtml",
    "StreamRecorder",
    "StreamTap",
    "Submit",
    "Subscription",
    "TargetT",
    "Task",
    "TaskAlreadyRunningError",
    "TaskProgress",
    "TaskRun",
    "TaskState",
    "ThemeChoice",
    "TooManyWaitingError",
    "TopicMessage",
    "Transport",
    "Turns",
    "UnitSession",
    "Upload",
    "UploadPolicy",
    "UploadReport",
    "UploadResult",
    "VectorRepository",
    "__version__",
    "app_state",
    "async_url",
    "callable_name",
    "caught_mail",
    "clean_text",
    "configure_logging",
    "configured_database_url",
    "create_app",
    "create_task_queue",
    "current_language",
    "current_presence",
    "current_pubsub",
    "current_revision",
    "current_scope",
    "db_session",
    "debounced",
    "dev_mail_catcher",
    "drop_database",
    "drop_task_queue",
    "element_handler",
    "every",
    "failure_message",
    "finish_abandoned_work",
    "forget_ended_runs",
    "gettext",
    "heavy_event",
    "heavy_use_context",
    "heavy_use_effect",
    "heavy_use_online_count",
    "heavy_use_presence",
    "heavy_use_state",
    "heavy_use_task",
    "heavy_use_topic",
    "hold_stops_until_workers_started",
    "html",
    "import_submodules",
    "in_scope",
    "install_dev_mailbox",
    "install_health_routes",
    "install_http_defaults",
    "install_live_pages",
    "install_log_scopes",
    "install_security_defaults",
    "install_telemetry",
    "install_upload_route",
    "is_async_callable",
    "is_first_paint",
    "is_unavailable",
    "is_websocket_request",
    "live_census",
    "live_figures",
    "mail_settings_problem",
    "mailbox_dir",
    "migration_engine",
    "new_component_token",
    "ngettext",
    "open_heavy_context",
    "open_mailer",
    "otel_wanted",
    "parse_as_url",
    "provide_context",
    "provide_services",
    "provide_time_zone",
    "publish",
    "read_as",
    "recreate_database",
    "refuse_unparsable_urls",
    "release_prepared_databases",
    "render_first_paint",
    "rendering_first_paint",
    "safe_next_path",
    "schedule",
    "serve_live_layout",
    "set_scope_user",
    "shown_name",
    "size_in_words",
    "speaking",
    "start_scope",
    "static_html",
    "switch_language_url",
    "task",
    "theme_choice_attributes",
    "theme_from_cookie",
    "time_zone_from_cookie",
    "tune_garbage_collector",
    "upgrade_task_queue",
    "upload_progress_attributes",
    "upload_report_attributes",
    "upload_zone_attributes",
    "use_theme",
    "use_time_zone",
    "using_pubsub",
    "utc_now",
    "vdom_to_html",
    "vector_db_session",
]
