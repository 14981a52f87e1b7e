"""Command line (SPEC §10): thin click commands that call services and echo a summary."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .domain.catalogue import ROLES, TRACKS
from .domain.errors import DomainError
from .services import accounts, catalogue, demo, tokens


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(getattr(exc, "message", None) or str(exc))


@click.command("seed")
@click.option("--demo", "with_demo", is_flag=True, help="Also create the demo accounts and sample work.")
@click.option("--scale", type=click.IntRange(min=1, max=1_000_000), default=None,
              help="Add N synthetic learners with capstones, reviews and portfolio items (benchmarks).")
def seed_command(with_demo: bool, scale: int | None) -> None:
    """Load the shipped catalogue and recipes (idempotent)."""
    try:
        missions, recipes = catalogue.seed_catalogue()
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Missions: {missions}.")
    click.echo(f"Recipes: {recipes}.")
    if with_demo:
        try:
            made = demo.seed_demo()
        except (DomainError, demo.DemoError) as exc:
            raise _fail(exc) from exc
        click.echo(f"Demo work: {made['capstones']} capstones, {made['attempts']} attempts, {made['reviews']} reviews, "
                   f"{made['portfolio_items']} portfolio items created.")
        click.echo("Demo accounts (password 'mastery-demo'):")
        for email in made["users"]:
            click.echo(f"  {email}")
    if scale:
        with click.progressbar(length=scale, label=f"Adding {scale} synthetic learners", file=sys.stderr) as bar:
            try:
                counts = demo.seed_scale(scale, progress=bar.update)
            except demo.DemoError as exc:
                raise _fail(exc) from exc
        click.echo(f"Scale data: {counts['learners']} learners, {counts['capstones']} capstones, "
                   f"{counts['reviews']} reviews, {counts['portfolio_items']} portfolio items.")


users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Display name.")
@click.option("--handle", required=True, help="Public handle, used in /p/<handle>.")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, name: str, handle: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is prompted for, or read from stdin."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, name, handle, password, role=role)
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(exc.message + (f" ({details})" if details else "")) from exc
    click.echo(f"Created {user.role} {user.email} (@{user.handle}).")


mentors_cli = AppGroup("mentors", help="Mentor assignments.")


@mentors_cli.command("assign")
@click.option("--mentor", "mentor_email", required=True, help="The mentor's email.")
@click.option("--learner", "learner_email", required=True, help="The learner's email.")
@click.option("--track", type=click.Choice(TRACKS), default=None, help="Only for one track.")
def mentors_assign(mentor_email: str, learner_email: str, track: str | None) -> None:
    """Assign a mentor to a learner."""
    try:
        mentor = accounts.get_user_by_email(mentor_email)
        learner = accounts.get_user_by_email(learner_email)
        accounts.assign_mentor(None, mentor, learner, track)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"{mentor.email} now mentors {learner.email}{' for ' + track if track else ''}.")


missions_cli = AppGroup("missions", help="Import and export missions.")


@missions_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def missions_import(path: Path) -> None:
    """Validate and upsert the missions of a YAML file or folder; nothing is written unless all are valid."""
    try:
        result = catalogue.import_missions(path)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(f"Imported {len(result.slugs)} missions: {result}.")


@missions_cli.command("export")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
def missions_export(path: Path) -> None:
    """Write every mission to PATH/<track>/<slug>.yaml."""
    count = catalogue.export_missions(path)
    click.echo(f"Exported {count} missions to {path}.")


tokens_cli = AppGroup("tokens", help="API tokens.")


@tokens_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="CLI token", show_default=True)
def tokens_create(email: str, name: str) -> None:
    """Create an API token and print it once."""
    try:
        user = accounts.get_user_by_email(email)
        _, secret = tokens.create_token(user, name)
    except DomainError as exc:
        raise _fail(exc) from exc
    click.echo(secret)


files_cli = AppGroup("files", help="Stored files.")


@files_cli.command("sweep")
@click.option("--hours", type=click.IntRange(min=1), default=24, show_default=True,
              help="Remove uploads left unattached for longer than this.")
def files_sweep(hours: int) -> None:
    """Delete uploads never attached to saved work (run it daily, e.g. from cron)."""
    from datetime import timedelta

    from .services import files

    count = files.sweep_unattached(grace=timedelta(hours=hours))
    click.echo(f"Removed {count} unattached upload{'' if count == 1 else 's'}.")


notifications_cli = AppGroup("notifications", help="In-app notifications.")


@notifications_cli.command("due")
@click.option("--now", "now_text", default=None, metavar="ISO-TIME",
              help="Fire as at this moment (UTC, e.g. 2026-12-07T09:00), for a test or a catch-up; default: now.")
def notifications_due(now_text: str | None) -> None:
    """Write the time-based notifications due now (next steps due tomorrow or overdue, claims about to lapse),
    each once. The mail worker runs the same; run this from cron when no worker runs."""
    from datetime import UTC, datetime

    from .services import notifications

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter(f"not an ISO time: {now_text!r}", param_hint="--now") from exc
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    counts = notifications.fire_due(now)
    click.echo(", ".join(f"{kind.replace('_', ' ')}: {n}" for kind, n in counts.items()) + ".")


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due now, then exit (tests, cron).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=None,
              help="Seconds to wait when nothing is due (default WORKER_INTERVAL, 5).")
def worker_command(once: bool, interval: float | None) -> None:
    """Send queued e-mail (and run the other background jobs); safe to run as several processes."""
    import logging

    from flask import current_app

    from . import worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    if not app.config.get("SMTP_URL"):
        click.echo("SMTP_URL is not set: e-mail is off (queued messages wait in the outbox).", err=True)
    worker.run(app, once=once, interval=interval)


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(worker_command)
    for group in (users_cli, mentors_cli, missions_cli, tokens_cli, files_cli, notifications_cli):
        app.cli.add_command(group)
