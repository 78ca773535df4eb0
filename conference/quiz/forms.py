"""Authoring forms: a quiz, its settings, one question, a people round, an import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from conference.quiz.models import MAX_TIME_LIMIT, MIN_TIME_LIMIT
from conference.quiz.people_round import MAX_ROUND
from conference.quiz.service import AUTHORED_TYPES, MAX_OPTIONS, MAX_PROMPT_LENGTH, TYPE_LABELS

OPTION_SLOTS = range(MAX_OPTIONS)


class NewQuizForm(FlaskForm):
    """A title is all a new quiz needs."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])


class SettingsForm(FlaskForm):
    """Title and how the quiz plays."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    allow_guests = BooleanField(
        "Guests may join with a nickname",
        description="Off: only attendees logged in on their phone can play.",
    )
    fair_mode = BooleanField(
        "Fair mode for people questions",
        description="People questions pay full points however long the answer took.",
    )
    streaks_enabled = BooleanField(
        "Streak bonus", description="+100 per correct answer in a row after the first, up to +500."
    )


class QuestionForm(FlaskForm):
    """One question; the fields of the other types are ignored."""

    type = SelectField(
        "Type",
        choices=[SelectChoice(t, TYPE_LABELS[t]) for t in AUTHORED_TYPES],
        default="single",
    )
    prompt = TextAreaField(
        "Question", validators=[Optional(), Length(max=MAX_PROMPT_LENGTH)], render_kw={"rows": 3}
    )
    option_0 = StringField("Option 1", validators=[Optional(), Length(max=120)])
    option_1 = StringField("Option 2", validators=[Optional(), Length(max=120)])
    option_2 = StringField("Option 3", validators=[Optional(), Length(max=120)])
    option_3 = StringField("Option 4", validators=[Optional(), Length(max=120)])
    correct_0 = BooleanField("Correct")
    correct_1 = BooleanField("Correct")
    correct_2 = BooleanField("Correct")
    correct_3 = BooleanField("Correct")
    truth = RadioField(
        "The statement is",
        choices=[SelectChoice("0", "True"), SelectChoice("1", "False")],
        default="0",
    )
    accepted = TextAreaField(
        "Accepted answers",
        validators=[Optional(), Length(max=2000)],
        description="One per line. Case, accents and small typos are forgiven.",
        render_kw={"rows": 3},
    )
    time_limit = IntegerField(
        "Seconds to answer",
        default=20,
        validators=[DataRequired(), NumberRange(MIN_TIME_LIMIT, MAX_TIME_LIMIT)],
        render_kw={"min": MIN_TIME_LIMIT, "max": MAX_TIME_LIMIT, "inputmode": "numeric"},
    )
    points = SelectField(
        "Points",
        choices=[
            SelectChoice("1000", "1000"),
            SelectChoice("2000", "2000 (double)"),
            SelectChoice("0", "0 (just for fun)"),
        ],
        default="1000",
    )
    image = FileField("Upload a picture (optional)", render_kw={"accept": "image/*"})
    remove_image = BooleanField("Remove the picture")

    def options(self) -> list[str]:
        """The four option boxes, in order."""
        return [getattr(self, f"option_{i}").data or "" for i in OPTION_SLOTS]

    def correct(self) -> list[int]:
        """Which options are ticked correct (for true/false: the chosen truth)."""
        if self.type.data == "truefalse":
            return [int(self.truth.data or "0")]
        return [i for i in OPTION_SLOTS if getattr(self, f"correct_{i}").data]


class PeopleRoundForm(FlaskForm):
    """How many people questions to add."""

    count = IntegerField(
        "Questions",
        default=5,
        validators=[DataRequired(), NumberRange(1, MAX_ROUND)],
        render_kw={"min": 1, "max": MAX_ROUND, "inputmode": "numeric"},
    )


class ImportForm(FlaskForm):
    """A quiz exported from Known as JSON."""

    file = FileField("Quiz file (.json)", validators=[FileRequired("Choose a quiz file.")])
