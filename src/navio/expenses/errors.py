from __future__ import annotations

from navio.kernel.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class ExpenseNotFound(NotFound):
    code = "expense_not_found"
    title = "Expense not found"


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"
    title = "Receipt not found"


class SettlementNotFound(NotFound):
    code = "settlement_not_found"
    title = "Settlement not found"


class ExpenseForbidden(Forbidden):
    code = "expense_forbidden"
    title = "You may not change this expense"


class InvalidExpense(InvalidInput):
    code = "invalid_expense"
    title = "Invalid expense"


class SharesDoNotSum(InvalidInput):
    code = "shares_do_not_sum"
    title = "The shares do not add up to the expense"


class NotATripMember(InvalidInput):
    code = "not_a_trip_member"
    title = "Only the trip's members can pay or share its expenses"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"
    title = "Unknown currency"


class InvalidSettlement(InvalidInput):
    code = "invalid_settlement"
    title = "Invalid settlement"


class NotAnImage(InvalidInput):
    code = "not_an_image"
    title = "The upload is not a readable image"
    status = 415


class ImageTooLarge(InvalidInput):
    code = "image_too_large"
    title = "The image is too large"
    status = 413


class OcrUnavailable(DomainError):
    code = "ocr_unavailable"
    title = "Receipt reading is not available on this server"
    status = 503


class InvalidStatement(InvalidInput):
    code = "invalid_statement"
    title = "The statement file cannot be read"


class StatementRowsInvalid(InvalidInput):
    code = "statement_rows_invalid"
    title = "Some statement rows cannot be imported"


class ImportNotFound(NotFound):
    code = "statement_import_not_found"
    title = "Statement import not found"


class ImportAlreadyCommitted(Conflict):
    code = "statement_import_committed"
    title = "This import has already been committed"
