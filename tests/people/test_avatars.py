"""Avatar uploads: real images only, metadata stripped, at most 512 px."""

import io

import pytest
from PIL import Image

from conference.people.avatars import AvatarError, process_avatar


def png_bytes(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 90) if mode == "RGB" else None).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width: int, height: int) -> bytes:
    img = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise when shown
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_large_image_is_shrunk_to_512() -> None:
    result = process_avatar(png_bytes(2000, 1000))
    assert (result.width, result.height) == (512, 256)
    assert result.content_type == "image/jpeg"
    with Image.open(io.BytesIO(result.image)) as img:
        assert img.size == (512, 256)


def test_metadata_is_stripped_and_orientation_applied() -> None:
    result = process_avatar(jpeg_with_exif(300, 100))
    with Image.open(io.BytesIO(result.image)) as img:
        assert not img.getexif()
        assert img.size == (100, 300)  # rotated as the camera meant it
    assert b"SpyCam" not in result.image


def test_transparent_png_becomes_white_background() -> None:
    result = process_avatar(png_bytes(50, 50, mode="RGBA"))
    with Image.open(io.BytesIO(result.image)) as img:
        assert img.getpixel((25, 25)) == pytest.approx((255, 255, 255), abs=3)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "avatar_empty"),
        (b"%PDF-1.4 not an image", "avatar_not_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "avatar_not_image"),
        (b"x" * (8 * 1024 * 1024 + 1), "avatar_too_large"),
    ],
)
def test_bad_uploads_get_clear_errors(data: bytes, code: str) -> None:
    with pytest.raises(AvatarError) as err:
        process_avatar(data)
    assert err.value.code == code
    assert err.value.message


def test_decompression_bomb_is_refused() -> None:
    with pytest.raises(AvatarError):
        process_avatar(png_bytes(8000, 6000, mode="L"))
