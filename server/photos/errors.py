"""Upload errors that need a more precise status than 400.

They are `Invalid` (bad input, with a translated message) so code that
catches bad input in general still catches them; `server.web.errors` answers
with their own status code.
"""
from server.errors import Invalid


class TooLarge(Invalid):
    """Too many bytes or too many pixels."""

    status_code = 413


class UnsupportedMedia(Invalid):
    """Not a multipart upload, or a file that is not a photo we accept."""

    status_code = 415
