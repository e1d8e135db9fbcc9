"""The control plane: functions, immutable versions, aliases and tags (their single writer)."""

from turnout.control.edits import ConfigUpdate
from turnout.control.plane import Control, Listener

__all__ = ["ConfigUpdate", "Control", "Listener"]
