"""Is an uploaded file, all of it, the PDF, PNG or JPEG it claims to be? (Visit attachments,
forwarded to Solo and opened later by clinicians.)

The first bytes only say what a file claims: a PNG or PDF header followed by SVG or HTML passed
that check and was forwarded. So the whole file is parsed — images decoded to the last pixel
with Pillow, PDFs read with pypdf down to every page — and nothing may follow the format's
own end marker (PNG's IEND chunk, JPEG's EOI, PDF's last %%EOF), where a polyglot hides its
second document."""

import io
import re
import warnings

from PIL import Image
from pypdf import PdfReader

SNIFFED_TYPES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# Pillow names a phone's multi-picture JPEG (a JPEG with its depth map or preview) "MPO".
PILLOW_FORMATS = {"image/png": {"PNG"}, "image/jpeg": {"JPEG", "MPO"}}
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"
PDF_END = re.compile(rb"%%EOF[\x00\t\n\f\r ]*\Z")  # trailing whitespace is common and harmless
MAX_PIXELS = 60_000_000  # a 5 MB file that unpacks to more is a decompression bomb


class NotTheClaimedType(ValueError):
    """The file is not wholly a PDF, PNG or JPEG; the message says why, for staff."""


def attachment_type_sniff(head: bytes) -> str | None:
    """The type a file claims by its first bytes (never by its name or the browser's say)."""
    for magic, mime in SNIFFED_TYPES:
        if head.startswith(magic):
            return mime
    return None


def attachment_type_checked(content: bytes) -> str | None:
    """The file's type once the whole file has been checked to be one; None when it does not
    even claim to be a PDF, PNG or JPEG. Raises NotTheClaimedType when it claims one and is
    not, or carries something after its end."""
    mime = attachment_type_sniff(content[:16])
    if mime == "application/pdf":
        _check_pdf(content)
    elif mime is not None:
        _check_image(content, mime)
    return mime


def _check_image(content: bytes, mime: str) -> None:
    kind = "PNG" if mime == "image/png" else "JPEG"
    problem = NotTheClaimedType(f"This file starts like a {kind} image but is not a valid one.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format not in PILLOW_FORMATS[mime]:
                    raise problem
                if image.width * image.height > MAX_PIXELS:
                    raise NotTheClaimedType("This image has too many pixels to be checked.")
                image.verify()  # structure and checksums; the image is unusable afterwards
            with Image.open(io.BytesIO(content)) as image:
                image.load()  # decode every pixel: truncated or corrupt data fails here
    except NotTheClaimedType:
        raise
    except Exception as exc:  # a hostile file can make a decoder raise almost anything
        raise problem from exc
    if not content.endswith(PNG_END if mime == "image/png" else JPEG_END):
        raise NotTheClaimedType(
            f"This {kind} image has other data after its end (it may hide another document); "
            "save it again as a plain image."
        )


def _check_pdf(content: bytes) -> None:
    problem = NotTheClaimedType("This file starts like a PDF but is not a valid PDF document.")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise NotTheClaimedType(
                "This PDF is password-protected, so its content cannot be checked; "
                "attach an unprotected copy."
            )
        if len(reader.pages) == 0:
            raise problem
        for page in reader.pages:
            page.get_contents()  # parse every page's content stream
    except NotTheClaimedType:
        raise
    except Exception as exc:  # pypdf raises many types on hostile input (PyPdfError and more)
        raise problem from exc
    if not PDF_END.search(content[-1024:]):
        raise NotTheClaimedType(
            "This PDF has other data after its end (it may hide another document); "
            "save or print it again as a PDF."
        )
