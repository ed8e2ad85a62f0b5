"""Routing (振り分け): what a received mail is, and which round and party it belongs to."""
