"""Avatar uploads: prove it is an image, drop its metadata, shrink it to at most 512 px."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from conference.errors import DomainError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 512
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; a decompression bomb is not
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "BMP", "MPO"}


class AvatarError(DomainError):
    """The upload is not an image we accept."""


@dataclass(frozen=True)
class ProcessedAvatar:
    """The re-encoded picture, ready to store."""

    image: bytes
    content_type: str
    width: int
    height: int


def process_avatar(data: bytes) -> ProcessedAvatar:
    """Validate and re-encode an uploaded picture as a JPEG of at most 512 x 512 px."""
    if not data:
        raise AvatarError("avatar_empty", "Choose a picture to upload.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise AvatarError(
            "avatar_too_large",
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
                raise AvatarError("avatar_format", "Upload a JPEG, PNG, GIF or WebP picture.")
            if width * height > MAX_PIXELS:
                raise AvatarError("avatar_too_large", "That picture has too many pixels.")
            with Image.open(io.BytesIO(data)) as source:
                source.seek(0)  # the first frame of an animation
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
                return ProcessedAvatar(out.getvalue(), "image/jpeg", flat.width, flat.height)
    except AvatarError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise AvatarError(
            "avatar_not_image", "That file is not a picture we can read. Upload a JPEG or PNG."
        ) from None
