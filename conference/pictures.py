"""Uploaded pictures (avatars, quiz images): prove it is an image, drop its metadata, shrink it.

Pure: bytes in, a re-encoded JPEG out, or a ``PictureError`` with a clear message.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from conference.errors import DomainError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; a decompression bomb is not
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "BMP", "MPO"}


class PictureError(DomainError):
    """The upload is not a picture we accept."""


@dataclass(frozen=True)
class Picture:
    """A re-encoded picture, ready to store."""

    image: bytes
    content_type: str
    width: int
    height: int


def reencode(data: bytes, *, max_side: int, code_prefix: str = "picture") -> Picture:
    """Validate ``data`` and re-encode it as a JPEG of at most ``max_side`` px a side.

    Error codes are ``<code_prefix>_empty``, ``_too_large``, ``_format`` and ``_not_image``.
    """
    if not data:
        raise PictureError(f"{code_prefix}_empty", "Choose a picture to upload.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PictureError(
            f"{code_prefix}_too_large",
            f"That picture is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1_048_576} MB.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                probe.verify()  # catches truncated and corrupt files before decoding
            if fmt not in ACCEPTED_FORMATS:
                raise PictureError(
                    f"{code_prefix}_format", "Upload a JPEG, PNG, GIF or WebP picture."
                )
            if width * height > MAX_PIXELS:
                raise PictureError(f"{code_prefix}_too_large", "That picture has too many pixels.")
            with Image.open(io.BytesIO(data)) as source:
                source.seek(0)  # the first frame of an animation
                img: Image.Image = ImageOps.exif_transpose(source)
                img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                if img.mode in ("RGBA", "LA", "P"):
                    rgba = img.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                else:
                    flat = img.convert("RGB")
                out = io.BytesIO()
                # A fresh encode carries no EXIF, GPS or comment blocks from the original.
                flat.save(out, format="JPEG", quality=85, optimize=True)
                return Picture(out.getvalue(), "image/jpeg", flat.width, flat.height)
    except PictureError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise PictureError(
            f"{code_prefix}_not_image",
            "That file is not a picture we can read. Upload a JPEG or PNG.",
        ) from None
