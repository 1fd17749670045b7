"""Files the portal hands to staff: every CSV goes through `csv_writer` and every download's
name through `attachment_disposition`, so no stored value (an MRN, a metric key, a vendor's
CSV cell) can run as a spreadsheet formula or break a response header.

CSV injection (OWASP): a cell starting with `=`, `+`, `-`, `@`, tab or CR is read by Excel,
LibreOffice and Sheets as a formula; such a text cell is written with a leading apostrophe,
which the spreadsheet shows as text. Numbers are left alone: Python numbers, and text that is
exactly a decimal number (the readings CSV's "-3.5", a "-18000" offset), which a spreadsheet
reads as that number and never as a formula."""

import csv
import io
import re
import unicodedata

from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def spreadsheet_safe(cell):
    """The cell as a spreadsheet will show it as text (see the module docstring)."""
    if not isinstance(cell, str) or not cell.startswith(FORMULA_STARTS):
        return cell
    if PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell


class SafeCsvWriter:
    """`csv.writer` whose rows pass through `spreadsheet_safe`, cell by cell."""

    def __init__(self, file, **kwargs):
        self._writer = csv.writer(file, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(file, **kwargs) -> SafeCsvWriter:
    return SafeCsvWriter(file, **kwargs)


def csv_neutralised(content: bytes, encoding: str = "utf-8") -> bytes:
    """A CSV file someone else wrote (a vendor's export), rewritten cell by cell through
    `spreadsheet_safe` before staff download it."""
    text = content.decode(encoding, errors="replace")
    out = io.StringIO()
    csv_writer(out).writerows(csv.reader(io.StringIO(text, newline="")))
    return out.getvalue().encode(encoding)


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` for `filename`: control characters dropped (a newline
    is not allowed in a header), quotes and non-ASCII encoded per RFC 6266 (`filename*`)."""
    clean = "".join(
        ch for ch in filename if ch == " " or unicodedata.category(ch)[0] not in ("C", "Z")
    )
    return content_disposition_header(True, clean.strip() or "download")
