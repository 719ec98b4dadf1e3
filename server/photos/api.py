"""Photo endpoints (being built)."""
from litestar import Controller


class PhotosApi(Controller):
    path = "/api/v1/photos"
