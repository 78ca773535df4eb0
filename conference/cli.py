"""Command-line tools: ``flask --app app create-organiser EMAIL`` and ``seed-demo``."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from conference import demo
from conference.accounts import service as accounts
from conference.db import utcnow
from conference.errors import DomainError
from conference.extensions import db


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.command("create-organiser")
@click.argument("email")
@click.option("--name", default="", help="Display name (default: the part before the @).")
def create_organiser(email: str, name: str) -> None:
    """Create an organiser account; the password is read from a prompt or from stdin."""
    password = _read_password()
    try:
        account = accounts.create_account(db.session(), email=email, name=name, password=password)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    db.session.commit()
    click.echo(
        f"Created organiser {account.email}. Log in at {current_app.config['KNOWN_BASE_URL']}/login"
    )


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the demo event and organiser (idempotent)."""
    result = demo.ensure_demo(
        db.session(), now=utcnow(), password=current_app.config.get("KNOWN_DEMO_PASSWORD")
    )
    db.session.commit()
    base = current_app.config["KNOWN_BASE_URL"]
    click.echo(
        f"Demo event: {base}/e/{result.event.slug}" + (" (created)" if result.created else "")
    )
    if result.password and not current_app.config.get("KNOWN_DEMO_PASSWORD"):
        click.echo(f"Demo organiser: {demo.DEMO_ORGANISER}  password: {result.password}")
    elif result.password:
        click.echo(f"Demo organiser: {demo.DEMO_ORGANISER}  password: from KNOWN_DEMO_PASSWORD")
    else:
        click.echo(
            f"Demo organiser: {demo.DEMO_ORGANISER} (exists; password unchanged — set "
            "KNOWN_DEMO_PASSWORD to reset it)"
        )


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(create_organiser)
    app.cli.add_command(seed_demo)
