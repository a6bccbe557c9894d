"""How every command fails: one line on stderr and an exit code (CLI.md), or the traceback under `--debug`.

A module of its own so that the main CLI and its sub-apps (`signaldesk onchain …`) share one
decorator and one debug flag without importing each other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer

from signaldesk.errors import EXIT_FAILED, EXIT_USAGE

F = TypeVar("F", bound=Callable[..., Any])

_STATE = {"debug": False}


def set_debug(on: bool) -> None:
    """Set by the main CLI's callback for the command it is about to run (`--debug`)."""
    _STATE["debug"] = on


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.echo(f"signaldesk: error: {message}", err=True)
    raise typer.Exit(code)


def guarded(func: F) -> F:
    """Turn any failure into one line on stderr (and the right exit code) unless --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from signaldesk.errors import SignaldeskError, UsageError
        from signaldesk.settings import preflight

        try:
            preflight()  # the configuration and settings, checked before any work or network call
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except UsageError as exc:
            if _STATE["debug"]:
                raise
            _fail(str(exc), EXIT_USAGE)
        except SignaldeskError as exc:
            if _STATE["debug"]:
                raise
            _fail(str(exc))
        except Exception as exc:
            if _STATE["debug"]:
                raise
            _fail(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)")

    return wrapper  # type: ignore[return-value]
