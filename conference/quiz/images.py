"""Question pictures: a real image, metadata stripped, fit to the projector."""

from __future__ import annotations

from conference.pictures import PictureError, reencode
from conference.quiz.service import QuestionImage

MAX_SIDE = 1280  # sharp on a 1080p projector, small enough for phones on venue Wi-Fi

QuestionImageError = PictureError


def process_image(data: bytes) -> QuestionImage:
    """Validate and re-encode an uploaded picture as a JPEG of at most 1280 px a side."""
    picture = reencode(data, max_side=MAX_SIDE, code_prefix="image")
    return QuestionImage(picture.image, picture.content_type)
