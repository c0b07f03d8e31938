"""Signed webhooks: endpoints, deliveries of the change log's anonymous view, and the worker
that sends them (Standard Webhooks)."""
