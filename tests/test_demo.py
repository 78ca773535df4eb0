"""`make run`'s demo step: idempotent, and the organiser can log in."""

from typing import Any

from conference.accounts.models import Account
from conference.events.models import Event, Membership


def test_seed_demo_twice_creates_everything_once(app: Any, session: Any, client: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "(created)" in first.output
    password = first.output.split("password: ")[1].split()[0]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "password unchanged" in second.output
    assert session.query(Event).filter_by(slug="demo").count() == 1
    assert session.query(Account).filter_by(email="organiser@example.org").count() == 1
    assert session.query(Membership).count() == 1
    response = client.post("/login", data={"email": "organiser@example.org", "password": password})
    assert response.status_code == 302


def test_demo_password_comes_from_the_environment(app: Any, client: Any) -> None:
    app.config["KNOWN_DEMO_PASSWORD"] = "demo password 123"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "from KNOWN_DEMO_PASSWORD" in result.output
    assert "demo password 123" not in result.output
    response = client.post(
        "/login", data={"email": "organiser@example.org", "password": "demo password 123"}
    )
    assert response.status_code == 302
