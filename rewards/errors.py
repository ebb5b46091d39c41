from ledger.errors import DomainError


class SoldOut(DomainError):
    code = "sold_out"
    default_message = "Not enough left in stock."
