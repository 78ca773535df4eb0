"""Organiser forms: a hunt, a mission (every kind's fields, shown per kind), voiding."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from conference.hunt.missions import KINDS, PersonMission, TraitMission
from conference.hunt.service import MAX_HINTS, MAX_POINTS, HuntFields, MissionFields
from conference.people.handles import PLATFORM_LABELS, PLATFORMS

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
HINT_SLOTS = range(MAX_HINTS)


def to_utc(value: datetime | None, zone: str) -> datetime | None:
    """A naive local time typed into the form, as an aware time in the event's zone."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone))


def to_local(value: datetime | None, zone: str) -> datetime | None:
    """An aware time as the naive local time the form shows."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class HuntForm(FlaskForm):
    """A hunt's name and window, in the event's time zone."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(
        "Starts", format=LOCAL_FORMAT, validators=[DataRequired("When does the hunt start?")]
    )
    ends_at = DateTimeLocalField(
        "Ends", format=LOCAL_FORMAT, validators=[DataRequired("When does the hunt end?")]
    )

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        """The hunt ends after it starts."""
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The hunt has to end after it starts.")

    def fields(self, zone: str) -> HuntFields:
        """The service's view of the form."""
        starts, ends = to_utc(self.starts_at.data, zone), to_utc(self.ends_at.data, zone)
        assert starts is not None and ends is not None
        return HuntFields(name=self.name.data or "", starts_at=starts, ends_at=ends)


def _points(label: str, default: int, description: str = "") -> IntegerField:
    return IntegerField(
        label,
        default=default,
        description=description,
        validators=[Optional(), NumberRange(0, MAX_POINTS)],
        render_kw={"min": 0, "max": MAX_POINTS, "inputmode": "numeric"},
    )


class MissionForm(FlaskForm):
    """One mission; the fields of the other kinds are ignored (the page shows only its own)."""

    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=200)],
        description="Shown to attendees and on the event screen, e.g. “Find the Rustacean”.",
    )
    kind = SelectField(
        "Kind", choices=[SelectChoice(k.key, k.label) for k in KINDS.values()], default="person"
    )
    points = _points("Points", 100)
    first_bonus = _points("First-finder bonus", 0, "Extra points for the first to complete it.")
    requires_confirmation = BooleanField(
        "The person found confirms on their phone",
        description="Points count once they confirm: a photo of a badge is not enough.",
    )
    opens_at = DateTimeLocalField("Opens (optional)", format=LOCAL_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(
        "Closes (optional)", format=LOCAL_FORMAT, validators=[Optional()]
    )
    # person
    person_id = SelectField("Person to find", choices=[], validate_choice=False)
    clue = SelectField(
        "Clue",
        choices=[SelectChoice(k, v) for k, v in PersonMission.CLUES.items()],
        default="handle",
        validate_choice=False,
    )
    # trait. The kinds' own fields are checked by the kind (``clean_params``), not here: the
    # fields of the other kinds are left empty.
    rule = SelectField(
        "They…",
        choices=[SelectChoice(k, v) for k, v in TraitMission.RULES.items()],
        validate_choice=False,
    )
    company = StringField("Company", validators=[Optional(), Length(max=200)])
    platform = SelectField(
        "Platform",
        choices=[SelectChoice(p, PLATFORM_LABELS[p]) for p in PLATFORMS],
        validate_choice=False,
    )
    list_id = SelectField("Check-in list", choices=[], validate_choice=False)
    # checkpoint
    place = StringField(
        "Where the poster hangs",
        validators=[Optional(), Length(max=200)],
        description="e.g. “The coffee bar”, “Sponsor booth B3”.",
    )
    # counting kinds
    n = IntegerField(
        "How many people",
        default=3,
        validators=[Optional(), NumberRange(1, 100)],
        render_kw={"min": 1, "max": 100, "inputmode": "numeric"},
    )
    hint_text_0 = TextAreaField(
        "Hint 1", validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    hint_cost_0 = _points("Costs", 0)
    hint_text_1 = TextAreaField(
        "Hint 2", validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    hint_cost_1 = _points("Costs", 0)
    hint_text_2 = TextAreaField(
        "Hint 3", validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    hint_cost_2 = _points("Costs", 0)

    def hint_slots(self) -> list[tuple[Any, Any]]:
        """(text field, cost field) per hint slot."""
        return [
            (getattr(self, f"hint_text_{i}"), getattr(self, f"hint_cost_{i}")) for i in HINT_SLOTS
        ]

    def fill(self, mission: Any, zone: str) -> None:
        """Show an existing mission."""
        self.title.data = mission.title
        self.kind.data = mission.kind
        self.points.data = mission.points
        self.first_bonus.data = mission.first_bonus
        self.requires_confirmation.data = mission.requires_confirmation
        self.opens_at.data = to_local(mission.opens_at, zone)
        self.closes_at.data = to_local(mission.closes_at, zone)
        params = mission.params
        if mission.kind == "person":
            self.person_id.data = str(params.get("attendee_id", ""))
            self.clue.data = params.get("clue", "handle")
        elif mission.kind == "trait":
            self.rule.data = params.get("rule")
            value = params.get("value")
            if params.get("rule") == "company":
                self.company.data = value
            elif params.get("rule") == "platform":
                self.platform.data = value
            else:
                self.list_id.data = str(value)
        elif mission.kind == "checkpoint":
            self.place.data = params.get("place", "")
        else:
            self.n.data = params.get("n", 1)
        for (text, cost), hint in zip(self.hint_slots(), mission.hints, strict=False):
            text.data, cost.data = hint.text, hint.cost

    def fields(self, zone: str) -> MissionFields:
        """The service's view of the form."""
        return MissionFields(
            title=self.title.data or "",
            kind=self.kind.data or "",
            params={
                "attendee_id": self.person_id.data,
                "clue": self.clue.data,
                "rule": self.rule.data,
                "company": self.company.data,
                "platform": self.platform.data,
                "list_id": self.list_id.data,
                "place": self.place.data,
                "n": self.n.data,
            },
            points=self.points.data or 0,
            first_bonus=self.first_bonus.data or 0,
            requires_confirmation=bool(self.requires_confirmation.data),
            opens_at=to_utc(self.opens_at.data, zone),
            closes_at=to_utc(self.closes_at.data, zone),
            hints=[(text.data or "", cost.data or 0) for text, cost in self.hint_slots()],
        )


class VoidForm(FlaskForm):
    """Why a completion is voided (kept in the ledger)."""

    reason = StringField(
        "Reason",
        validators=[DataRequired("Say why."), Length(max=200)],
        render_kw={"placeholder": "e.g. scanned a photo of a badge"},
    )
