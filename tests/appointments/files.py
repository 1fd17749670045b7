"""Real files for upload tests: the portal decodes images and parses PDFs whole, so a
hand-written header is not enough."""

import io

from PIL import Image
from pypdf import PdfWriter


def make_pdf(padding: int = 0) -> bytes:
    """A real one-page PDF (pypdf); `padding` characters of metadata make it larger."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if padding:
        writer.add_metadata({"/Padding": "x" * padding})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes (the metadata string grows byte for byte)."""
    padding = 1000
    for _ in range(5):  # offsets in the xref table may gain a digit: converge in a few steps
        pdf = make_pdf(padding=padding)
        if len(pdf) == size:
            return pdf
        padding += size - len(pdf)
    raise AssertionError(f"no PDF of exactly {size} bytes")


def make_image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()
