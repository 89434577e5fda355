from campaign.errors import DomainError


class ReservationError(DomainError):
    """A booking rule refused the request. ``code`` tells the API which status to answer with."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code


class RateLimited(DomainError):
    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
