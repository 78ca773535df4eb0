"""Question pictures: prove it is an image, drop its metadata, fit it to the projector."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from conference.errors import DomainError
from conference.quiz.service import QuestionImage

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1280  # sharp on a 1080p projector, small enough for phones on venue Wi-Fi
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "BMP", "MPO"}


class QuestionImageError(DomainError):
    """The upload is not a picture we accept."""


def process_image(data: bytes) -> QuestionImage:
    """Validate and re-encode an uploaded picture as a JPEG of at most 1280 px a side."""
    if not data:
        raise QuestionImageError("image_empty", "Choose a picture to upload.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise QuestionImageError(
            "image_too_large",
            f"That picture is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1_048_576} MB.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                probe.verify()
            if fmt not in ACCEPTED_FORMATS:
                raise QuestionImageError("image_format", "Upload a JPEG, PNG, GIF or WebP picture.")
            if width * height > MAX_PIXELS:
                raise QuestionImageError("image_too_large", "That picture has too many pixels.")
            with Image.open(io.BytesIO(data)) as source:
                source.seek(0)
                img: Image.Image = ImageOps.exif_transpose(source)
                img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                if img.mode in ("RGBA", "LA", "P"):
                    rgba = img.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                else:
                    flat = img.convert("RGB")
                out = io.BytesIO()
                # A fresh encode carries no EXIF, GPS or comment blocks from the original.
                flat.save(out, format="JPEG", quality=85, optimize=True)
                return QuestionImage(out.getvalue(), "image/jpeg")
    except QuestionImageError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise QuestionImageError(
            "image_not_picture", "That file is not a picture we can read. Upload a JPEG or PNG."
        ) from None
