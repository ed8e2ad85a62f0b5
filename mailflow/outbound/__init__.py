"""Outbound mail: the frozen description of a mail and its composition into wire bytes."""
