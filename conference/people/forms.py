"""Attendee profile forms, shared by the organiser's editor and the attendee's own profile page.

The three parts are separate ``FlaskForm`` classes so each page combines what it needs::

    class MyProfileForm(ProfileFields, HandleFields, ConsentFields): ...

WTForms collects fields across the bases in the order they were defined here: profile, handles,
consents.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from conference.people import service
from conference.people.handles import (
    ACCEPTED_FORMS,
    PLATFORM_LABELS,
    PLATFORMS,
    Handle,
    HandleError,
    parse_handle,
)
from conference.people.models import Attendee

# Which form field a service error belongs to, so the message shows next to the input.
FIELD_OF_ERROR = {
    "name_required": "name",
    "invalid_email": "email",
    "email_taken": "email",
}


def handle_field_name(platform: str) -> str:
    """The form field of one platform: ``handle_x``, ``handle_linkedin`` …"""
    return f"handle_{platform}"


class HandleValidator:
    """Accepts an empty field, or text ``parse_handle(text, platform)`` understands."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def __call__(self, form: Any, field: Any) -> None:
        value = (field.data or "").strip()
        if not value:
            return
        try:
            parse_handle(value, self.platform)
        except HandleError as err:
            raise ValidationError(err.message) from None


class ProfileFields(FlaskForm):
    """Name, e-mail, company, job title, pronouns, bio."""

    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name."), Length(max=service.LIMITS["name"])],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter an e-mail address."), Length(max=service.LIMITS["email"])],
        render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"},
    )
    company = StringField(
        "Company",
        validators=[Optional(), Length(max=service.LIMITS["company"])],
        render_kw={"autocomplete": "organization"},
    )
    job_title = StringField(
        "Job title",
        validators=[Optional(), Length(max=service.LIMITS["job_title"])],
        render_kw={"autocomplete": "organization-title"},
    )
    pronouns = StringField(
        "Pronouns",
        validators=[Optional(), Length(max=service.LIMITS["pronouns"])],
        description="Optional, e.g. she/her, he/him, they/them.",
    )
    bio = TextAreaField(
        "About",
        validators=[Optional(), Length(max=service.LIMITS["bio"])],
        description="A line or two shown on the badge card.",
    )

    def validate_email(self, field: EmailField) -> None:
        """The same rule the service applies, so the message appears next to the field."""
        if field.data and not service.EMAIL_RE.match(service.normalise_email(field.data)):
            raise ValidationError("Enter a valid e-mail address.")


class HandleFields(FlaskForm):
    """One optional field per platform (``handle_x`` …) and the handle printed on the badge."""

    def validate_primary_platform(self, field: SelectField) -> None:
        """The handle chosen for the badge must be filled in."""
        if field.data not in PLATFORMS:
            return  # "" (no choice) or a value the choice check has already refused
        if not (getattr(self, handle_field_name(field.data)).data or "").strip():
            label = PLATFORM_LABELS[field.data]
            raise ValidationError(f"Fill in the {label} handle to print it on the badge.")


for _platform in PLATFORMS:
    # FormMeta notices fields set on the class after its creation; they keep PLATFORMS order.
    setattr(
        HandleFields,
        handle_field_name(_platform),
        StringField(
            PLATFORM_LABELS[_platform],
            validators=[Optional(), HandleValidator(_platform)],
            description=ACCEPTED_FORMS[_platform],
            render_kw={
                "autocomplete": "off",
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "data-handle-platform": _platform,
            },
        ),
    )
# Defined after the handle fields so that it renders below them.
HandleFields.primary_platform = SelectField(
    "Handle on the badge",
    choices=[SelectChoice("", "The first one filled in")]
    + [SelectChoice(p, PLATFORM_LABELS[p]) for p in PLATFORMS],
    default="",
    description="The one handle printed under the name; all of them show on the badge card.",
)


class ConsentFields(FlaskForm):
    """The three separate consents, each off until the attendee says yes."""

    consent_card = BooleanField(
        "Show my card (name, company, picture and handles) to people who scan my badge"
    )
    consent_game = BooleanField(
        "I may be an answer in quizzes and a person to find in the scavenger hunt"
    )
    consent_leaderboard = BooleanField(
        "Show my name on leaderboards (otherwise “Anonymous attendee”)"
    )


class AttendeeForm(ProfileFields, HandleFields, ConsentFields):
    """Everything an organiser can set on an attendee."""


def handle_fields(form: Any) -> list[Any]:
    """The form's handle fields, in ``PLATFORMS`` order (for templates)."""
    return [getattr(form, handle_field_name(p)) for p in PLATFORMS]


def handles_from_form(form: Any) -> list[Handle]:
    """The handles typed into a validated form; the badge's handle first, then PLATFORMS order."""
    handles = [
        parse_handle(value, platform)
        for platform in PLATFORMS
        if (value := (getattr(form, handle_field_name(platform)).data or "").strip())
    ]
    primary = getattr(getattr(form, "primary_platform", None), "data", "") or ""
    # sorted() is stable: only the chosen platform moves to the front.
    return sorted(handles, key=lambda handle: handle.platform != primary)


def profile_from_form(form: Any) -> service.Profile:
    """The profile typed into a validated form (the service trims and lower-cases)."""
    return service.Profile(
        name=form.name.data or "",
        email=form.email.data or "",
        company=form.company.data or "",
        job_title=form.job_title.data or "",
        pronouns=form.pronouns.data or "",
        bio=form.bio.data or "",
    )


def consents_from_form(form: Any) -> service.Consents:
    """The consents ticked in a validated form."""
    return service.Consents(
        card=bool(form.consent_card.data),
        game=bool(form.consent_game.data),
        leaderboard=bool(form.consent_leaderboard.data),
    )


def fill_form_from_attendee(form: Any, attendee: Attendee) -> None:
    """Put the attendee's current values into the form's fields it has (call on GET only)."""
    for attr in ("name", "email", "company", "job_title", "pronouns", "bio"):
        if hasattr(form, attr):
            getattr(form, attr).data = getattr(attendee, attr) or ""
    if hasattr(form, "primary_platform"):
        primary = attendee.primary_handle
        form.primary_platform.data = primary.platform if primary is not None else ""
        current = {h.platform: h for h in attendee.handles}
        for platform in PLATFORMS:
            row = current.get(platform)
            # The display form (@name, github.com/name …) parses back to the same handle.
            getattr(form, handle_field_name(platform)).data = row.display if row else ""
    for attr in ("consent_card", "consent_game", "consent_leaderboard"):
        if hasattr(form, attr):
            getattr(form, attr).data = bool(getattr(attendee, attr))


def apply_domain_error(form: Any, err: service.PeopleError) -> None:
    """Show a service error next to its field when there is one, else at the top of the form."""
    name = FIELD_OF_ERROR.get(err.code)
    field = getattr(form, name, None) if name else None
    if field is None:
        form.form_errors.append(err.message)
        return
    # Before validation ``errors`` can be a tuple; make it a list we can add to.
    field.errors = [*field.errors, err.message]
