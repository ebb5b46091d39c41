from core.errors import DomainError


class SoldOut(DomainError):
    code = "sold_out"
    default_message = "Not enough left in stock."


class CampaignDone(DomainError):
    code = "campaign_done"
    default_message = "The campaign has been paid out; a campaign pays its audience once."


class PeriodNotOver(DomainError):
    code = "period_not_over"
    default_message = "The period has not ended yet."
