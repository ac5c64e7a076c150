"""The change history as the pages not yet on the service layer read it (families, members: issue 20):
``service.history``'s rows for a caller already checked. Remove with its last user."""

from genolog.metadata.service.history import Change
from genolog.metadata.service.history import changes_of as history

__all__ = ["Change", "history"]
