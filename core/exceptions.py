class TransitionNotAllowed(Exception):
    """The incident's current state does not allow this change (HTTP 409 on the API)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
