from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class PriceReportNotFound(NotFound):
    code = "price_report_not_found"
    title = "Price report not found"


class DuplicatePriceReport(Conflict):
    code = "duplicate_price_report"
    title = "You reported this item here on that day already"


class UnknownItem(InvalidInput):
    code = "unknown_item"
    title = "No such item is priced"


class UnknownPlace(InvalidInput):
    code = "unknown_place"
    title = "No such place"


class InvalidPriceReport(InvalidInput):
    code = "invalid_price_report"
    title = "The price report cannot be saved as sent"


class InvalidPriceQuery(InvalidInput):
    code = "invalid_price_query"
    title = "The price question cannot be answered as asked"


class PriceWatchNotFound(NotFound):
    code = "price_watch_not_found"
    title = "Price watch not found"


class PriceWatchLimitReached(Conflict):
    code = "price_watch_limit_reached"
    title = "You watch as many prices as one may"
