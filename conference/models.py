"""Every model, imported in one place so Alembic and ``create_all`` see the whole schema."""

from conference.accounts.models import Account
from conference.badges.models import Badge
from conference.checkin.models import CheckIn, CheckInList, Scan
from conference.events.models import Event, Membership, StaffInvite
from conference.hunt.models import HintReveal, Hunt, Mission, MissionCompletion, MissionHint
from conference.network.models import FollowHash, Meeting
from conference.people.models import Attendee, AttendeeHandle, Avatar, ImportJob, LoginLink
from conference.quiz.models import Answer, Player, Question, Quiz, QuizRun, RunQuestion
from conference.scoring.models import PointsEntry

__all__ = [
    "Account",
    "Answer",
    "Attendee",
    "AttendeeHandle",
    "Avatar",
    "Badge",
    "CheckIn",
    "CheckInList",
    "Event",
    "FollowHash",
    "HintReveal",
    "Hunt",
    "ImportJob",
    "LoginLink",
    "Meeting",
    "Membership",
    "Mission",
    "MissionCompletion",
    "MissionHint",
    "Player",
    "PointsEntry",
    "Question",
    "Quiz",
    "QuizRun",
    "RunQuestion",
    "Scan",
    "StaffInvite",
]
