"""Avatar uploads: a real image, metadata stripped, at most 512 px (see ``conference.pictures``)."""

from __future__ import annotations

from conference.pictures import Picture, PictureError, reencode

MAX_SIDE = 512

# The names callers and tests use for avatars.
AvatarError = PictureError
ProcessedAvatar = Picture


def process_avatar(data: bytes) -> Picture:
    """Validate and re-encode an uploaded avatar as a JPEG of at most 512 x 512 px."""
    return reencode(data, max_side=MAX_SIDE, code_prefix="avatar")
