"""``budgetlm serve`` (the HTTP server) and ``budgetlm keys`` (its API keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from budgetlm import settings
from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    open_context,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.store import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from budgetlm.server.config import ServerConfig

keys_app = typer.Typer(help="API keys of the server, one workspace each.", no_args_is_help=True)


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; off loopback every request needs a key.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    model: Annotated[
        str, typer.Option(help="micro, micro+int8, hf:PATH[+ADAPTER] or openai:BASE_URL[#MODEL].")
    ] = "micro",
    db: DbOption = None,
    today: TodayOption = None,
    require_keys: Annotated[bool, typer.Option(help="Require API keys even on loopback.")] = False,
    rate_limit: Annotated[
        int, typer.Option(min=1, help="Requests per minute per key (or per loopback client).")
    ] = 1_200,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (each with its own model, caches and rate-limit counts).",
        ),
    ] = 1,
    model_concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Model calls each worker works on at once: a local model decodes them "
            "interleaved in one thread, its passes batched; a remote one on that many threads "
            "(default: 2 for micro, 8 for other models).",
        ),
    ] = None,
) -> None:
    """Serve the budget API, the OpenAI-compatible endpoint and the web page."""
    from budgetlm.server.config import ServerConfig

    config = ServerConfig(
        db_url=settings.resolve_db_url(db),
        host=host,
        port=port,
        model=model,
        today=settings.resolve_today(today) if today else None,
        require_keys=True if require_keys else None,
        load_model_at_start=True,
        rate_limit_per_minute=rate_limit,
        model_concurrency=model_concurrency,
    )
    keys = "required" if config.keys_required else "optional on loopback"
    console.print(f"budgetlm on http://{escape(host)}:{port} (API keys {keys}; docs at /docs)")
    if workers > 1:
        console.print(
            f"{workers} workers: each keeps its own rate-limit counts, so one key may make up "
            f"to {workers} x {rate_limit} requests a minute"
        )
    run_server(config, workers)


def run_server(config: ServerConfig, workers: int = 1) -> None:
    """Run the app with uvicorn, in this process or in ``workers`` worker processes.

    With several workers this process binds the port and hands each connection to the worker
    with the fewest open ones (``server.handoff``); each worker builds its own app from the
    settings passed in the environment (``server.app.app_from_environment``). The ledger is
    opened (and migrated) here first, so workers never race to create it, and their Prometheus
    samples are pooled in a temporary directory that is removed afterwards.
    """
    import os
    import tempfile

    from budgetlm.ledger.store import Store
    from budgetlm.server.app import CONFIG_VARIABLE, create_app
    from budgetlm.server.logs import uvicorn_log_config
    from budgetlm.server.metrics import MULTIPROCESS_VARIABLE

    if workers == 1:
        import uvicorn

        from budgetlm.server.allocator import fix_mmap_threshold

        fix_mmap_threshold()
        uvicorn.run(create_app(config), host=config.host, port=config.port,
                    log_config=uvicorn_log_config(), log_level="warning")  # fmt: skip
        return
    from budgetlm.server.handoff import serve_workers

    Store(config.db_url).close()
    with tempfile.TemporaryDirectory(prefix="budgetlm-metrics-") as samples:
        os.environ[CONFIG_VARIABLE] = config.to_json()
        os.environ[MULTIPROCESS_VARIABLE] = samples
        try:
            serve_workers(config.host, config.port, workers)
        finally:
            del os.environ[CONFIG_VARIABLE], os.environ[MULTIPROCESS_VARIABLE]


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for (an app, a person).")],
    db: DbOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Make a key for the workspace; the secret is printed once and stored only as a hash."""
    from budgetlm.server.keys import create_key

    context = open_context(db, None, workspace)
    with context.store.session() as session:
        secret = create_key(session, context.workspace_id, name)
    console.print(f"key for workspace {escape(workspace)!r} ({escape(name)}):")
    console.print(secret, soft_wrap=True, highlight=False)
    console.print("It is shown only now; the server stores its hash.")


@keys_app.command("list")
def keys_list(
    as_json: JsonOption = False,
    db: DbOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """The workspace's keys (their first characters only)."""
    from budgetlm.server.keys import list_keys

    context = open_context(db, None, workspace)
    with context.store.session() as session:
        keys: list[dict[str, Any]] = [
            {"prefix": key.prefix, "name": key.name, "created": key.created_at,
             "revoked": key.revoked_at}
            for key in list_keys(session, context.workspace_id)
        ]  # fmt: skip
    rows = [(k["prefix"] + "…", k["name"], k["created"], k["revoked"] or "") for k in keys]
    emit(as_json, keys, lambda: print_table(
        f"API keys of {workspace}", ["key", "name", "created", "revoked"], rows
    ))  # fmt: skip


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's first 12 characters, or all of it.")],
    db: DbOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from budgetlm.server.keys import revoke_key

    context = open_context(db, None, workspace)
    with context.store.session() as session:
        try:
            revoked = revoke_key(session, context.workspace_id, prefix)
        except ValueError as error:
            raise InputError(str(error)) from None
    if not revoked:
        raise InputError(f"no live key starting {prefix[:12]!r} in workspace {workspace!r}")
    console.print(f"revoked {escape(prefix[:12])}…")
