from navio.kernel.errors import InvalidInput, NotFound


class PlaceNotFound(NotFound):
    code = "place_not_found"
    title = "Place not found"


class InvalidSearch(InvalidInput):
    code = "invalid_search"
    title = "Invalid search request"


class ImportFailed(InvalidInput):
    code = "import_failed"
    title = "Import failed"
