"""The event settings form and the staff invite form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from conference.events.models import ORGANISER, STAFF
from conference.events.service import timezone_names


class EventForm(FlaskForm):
    """Name, URL, dates, time zone, venue, registration."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "URL slug",
        validators=[DataRequired(), Length(max=64)],
        description="Lower-case letters, digits and dashes: the event lives at /e/<slug>.",
    )
    starts_on = DateField("First day", validators=[DataRequired()])
    ends_on = DateField("Last day", validators=[DataRequired()])
    timezone = SelectField("Time zone", default="UTC")
    venue = StringField("Venue", validators=[Optional(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)])
    registration_open = BooleanField("Registration is open: anyone with the join link can sign up")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(name, name) for name in timezone_names()]

    def validate_ends_on(self, field: DateField) -> None:
        """The last day is not before the first."""
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The event cannot end before it starts.")


class InviteForm(FlaskForm):
    """Who the invite is for and which role it grants."""

    role = SelectField(
        "Role",
        choices=[SelectChoice(STAFF, "Check-in staff"), SelectChoice(ORGANISER, "Organiser")],
        default=STAFF,
    )
    note = StringField(
        "For (optional)",
        validators=[Optional(), Length(max=200)],
        description="A name to remember who you sent it to.",
    )
