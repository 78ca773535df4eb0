"""The follow-list import form and the private note form."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from conference.network.service import MAX_NOTE_LENGTH
from conference.people.handles import PLATFORM_LABELS, PLATFORMS

# Bare names ("@maria") name no platform; websites are never bare names.
BARE_NAME_PLATFORMS = tuple(p for p in PLATFORMS if p != "website")


class FollowForm(FlaskForm):
    """Paste handles or upload an export; choose what bare names are."""

    handles = TextAreaField(
        "Paste handles or profile links",
        validators=[Optional(), Length(max=500_000)],
        description="One per line, or separated by commas: @name@server, https://x.com/name, "
        "linkedin.com/in/name, name.bsky.social…",
    )
    default_platform = SelectField(
        "Bare names like @maria are",
        choices=[SelectChoice("", "Not sure — show them to me")]
        + [SelectChoice(p, PLATFORM_LABELS[p]) for p in BARE_NAME_PLATFORMS],
        default="",
        validate_choice=True,
    )
    upload = FileField(
        "…or upload an export",
        description="Mastodon: following_accounts.csv (Preferences → Import and export). "
        "LinkedIn: Connections.csv (Settings → Data privacy → Get a copy of your data).",
    )


class NoteForm(FlaskForm):
    """A private note about someone you met."""

    note = TextAreaField(
        "Private note",
        validators=[Optional(), Length(max=MAX_NOTE_LENGTH)],
        description="Only you see this. It goes into your contacts download.",
    )
